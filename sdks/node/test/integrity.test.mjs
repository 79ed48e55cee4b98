// Integrity: trusted keys, sha256 pins and signed run receipts (examples/integrity holds signed
// fixtures and their published test keys).
import { test } from 'node:test'
import assert from 'node:assert/strict'
import crypto from 'node:crypto'
import fs from 'node:fs'
import path from 'node:path'
import { nanoproc, GUESTS, PLUGINS, ROOT } from './helpers.mjs'

const { run, runAsync, verifyReceipt, Policy, Program, Plugin, IntegrityError, PolicyError, NanoprocError } = nanoproc
const INTEGRITY = path.join(ROOT, 'examples', 'integrity')
const PUBLISHER = path.join(INTEGRITY, 'keys', 'publisher.pub')
const HOST_KEY = path.join(INTEGRITY, 'keys', 'host.key')
const HOST_PUB = path.join(INTEGRITY, 'keys', 'host.pub')
const SIGNED_HELLO = path.join(INTEGRITY, 'bin', 'hello.signed.wasm')
const HELLO = path.join(GUESTS, 'hello.wasm')

const trusting = (extra = {}) => new Policy({ trustKeys: [PUBLISHER], ...extra })

/** `fn` throws an IntegrityError (exit code 126) whose message contains `text`. */
function refused(fn, text) {
  assert.throws(fn, (e) => {
    assert.ok(e instanceof IntegrityError, `${e}`)
    assert.ok(e instanceof NanoprocError)
    assert.equal(e.kind, 'integrity')
    assert.equal(e.exitCode, 126)
    assert.equal(e.code, 'ERR_NANOPROC_INTEGRITY')
    assert.ok(e.message.startsWith('integrity: '), e.message)
    assert.ok(e.message.includes(text), e.message)
    assert.equal(e.message.split('\n').length, 1)
    return true
  })
}

function tampered() {
  const bytes = fs.readFileSync(SIGNED_HELLO)
  bytes[bytes.length - 300] ^= 1
  return bytes
}

test('an unsigned program is refused with exit code 126', () => {
  refused(() => run(HELLO, trusting()), 'is not signed')
  refused(() => run(fs.readFileSync(HELLO), trusting()), 'is not signed')
  refused(() => new Program(HELLO, trusting()), 'is not signed')
  // The same program runs under a policy without integrity settings.
  assert.equal(run(HELLO).stdout.toString(), 'hello from a nano-process\n')
})

test('a signed program runs; one flipped byte is refused before compiling', async () => {
  const out = run(SIGNED_HELLO, trusting())
  assert.equal(out.exitCode, 0)
  assert.equal(out.stdout.toString(), 'hello from a nano-process\n')
  assert.equal(out.receipt, undefined)
  const program = new Program(SIGNED_HELLO, trusting())
  assert.equal(program.run().stdout.toString(), 'hello from a nano-process\n')
  refused(() => run(tampered(), trusting()), 'was modified after it was signed')
  refused(() => new Program(tampered(), trusting()), 'was modified after it was signed')
  await assert.rejects(runAsync(tampered(), trusting()), (e) => {
    assert.ok(e instanceof IntegrityError)
    assert.match(e.message, /was modified after it was signed/)
    return true
  })
})

test('sha256 pins: the pinned binary runs, any other is refused', () => {
  refused(() => run(HELLO, { pinSha256: ['0'.repeat(64)] }), 'does not pin')
  const digest = crypto.createHash('sha256').update(fs.readFileSync(HELLO)).digest('hex')
  assert.equal(run(HELLO, { pinSha256: [`sha256:${digest}`] }).exitCode, 0)
  assert.equal(new Program(HELLO).sha256, digest)
})

test('invalid integrity settings are PolicyErrors', () => {
  const policyError = (options, text) =>
    assert.throws(
      () => new Policy(options),
      (e) => e instanceof PolicyError && e.exitCode === 125 && e.message.includes(text),
    )
  policyError({ requireSignature: 'all' }, 'needs at least one trusted key')
  policyError({ trustKeys: [PUBLISHER], requireSignature: 'most' }, 'requireSignature: `most` is not one of')
  policyError({ trustKeys: [path.join(INTEGRITY, 'keys', 'publisher.key')] }, 'secret key')
  policyError({ pinSha256: ['abc'] }, 'invalid policy: ')
  assert.throws(() => new Policy({ trustKeys: PUBLISHER }), TypeError)
  // "none" with a trusted key lets an unsigned program run.
  assert.equal(run(HELLO, trusting({ requireSignature: 'none' })).exitCode, 0)
})

test('plugins: unsigned refused, signed runs', () => {
  refused(() => new Plugin(path.join(PLUGINS, 'echo.wasm'), { policy: trusting() }), 'is not signed')
  const p = new Plugin(path.join(INTEGRITY, 'bin', 'echo.signed.wasm'), { policy: trusting() })
  assert.equal(p.callSync('echo', Buffer.from('signed')).toString(), 'signed')
  p.close()
})

test('receipts: signed by the host key, checked, edits detected', async () => {
  const out = run(SIGNED_HELLO, trusting(), { receiptKey: HOST_KEY })
  assert.ok(Buffer.isBuffer(out.receipt))
  const receipt = JSON.parse(out.receipt.toString())
  assert.equal(receipt.format, 'nanoproc-receipt/1')
  assert.equal(receipt.module.sha256, crypto.createHash('sha256').update(fs.readFileSync(SIGNED_HELLO)).digest('hex'))
  assert.equal(receipt.outcome.exit_code, 0)
  verifyReceipt(out.receipt, HOST_PUB)
  verifyReceipt(new Uint8Array(out.receipt), HOST_PUB)
  refused(() => verifyReceipt(out.receipt, PUBLISHER), 'not by a trusted host key')
  const text = out.receipt.toString()
  assert.ok(text.includes('"exit_code": 0'))
  const edited = Buffer.from(text.replace('"exit_code": 0', '"exit_code": 7'))
  refused(() => verifyReceipt(edited, HOST_PUB), 'was modified after it was signed')
  refused(() => verifyReceipt(Buffer.from('not json'), HOST_PUB), 'the receipt is not JSON')

  const later = await runAsync(SIGNED_HELLO, trusting(), { receiptKey: HOST_KEY })
  verifyReceipt(later.receipt, HOST_PUB)
  assert.equal((await runAsync(SIGNED_HELLO, trusting())).receipt, undefined)
  // The receipt key must be a secret key.
  assert.throws(() => run(SIGNED_HELLO, trusting(), { receiptKey: HOST_PUB }), NanoprocError)
})
