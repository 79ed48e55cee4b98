// count_vowels: a plugin component (world nanoproc:plugin/plugin, wit/plugin.wit at the
// repository root) in JavaScript, built by `jco componentize`. Same functions and output as the
// Rust one (examples/components/rust/count_vowels):
//
// - count_vowels: text -> {"count":N,"total":M,"vowels":"aeiouAEIOU"}: N characters of the
//   input in the vowel set (invalid UTF-8 counts as non-vowels), M input bytes; config key
//   `vowels` replaces the vowel set.
// - echo: returns its input.
// - fail: fails with "failing on purpose".
// - log: logs its input (lossy UTF-8) at info level, returns empty output.
// - call_host: returns "plugin got: " + the output of host function host::greet called with the
//   input; the host's error, if any, is this call's error.
//
// A function returning result<_, E> returns its ok value, and throws to return err: a thrown
// string is the err value, and an error thrown by an import (its `payload`) passes through.

import { callHost, configGet, log } from 'nanoproc:plugin/host@0.1.0';

const DEFAULT_VOWELS = 'aeiouAEIOU';
const FUNCTIONS = ['count_vowels', 'echo', 'fail', 'log', 'call_host'];

function text(bytes) {
  // Not fatal: invalid sequences become U+FFFD, like Rust's String::from_utf8_lossy.
  return new TextDecoder('utf-8').decode(bytes);
}

function countVowels(input) {
  const vowels = configGet('vowels') ?? DEFAULT_VOWELS;
  let count = 0;
  for (const c of text(input)) {
    if (vowels.includes(c)) count += 1;
  }
  // The same bytes as Rust's serde_json: no spaces, non-ASCII characters unescaped.
  const json = JSON.stringify({ count, total: input.length, vowels });
  return new TextEncoder().encode(json);
}

export const handler = {
  functions() {
    return [...FUNCTIONS];
  },

  call(name, input) {
    switch (name) {
      case 'count_vowels':
        return countVowels(input);
      case 'echo':
        return input;
      case 'fail':
        throw 'failing on purpose';
      case 'log':
        log('info', text(input));
        return new Uint8Array();
      case 'call_host': {
        const greeting = callHost('host::greet', input);
        const prefix = new TextEncoder().encode('plugin got: ');
        const output = new Uint8Array(prefix.length + greeting.length);
        output.set(prefix);
        output.set(greeting, prefix.length);
        return output;
      }
      default:
        throw `no function \`${name}\` in this plugin (it has: ${FUNCTIONS.join(', ')})`;
    }
  },
};
