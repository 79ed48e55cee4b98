// types: exports nanoproc:examples/all-types (examples/components/wit/types.wit) in
// JavaScript, built by `jco componentize`; the same behaviour as the Rust one
// (examples/components/rust/types). Every echo* function returns its argument unchanged; the
// others compute.
//
// How WIT values look in JavaScript (jco's mapping): s64/u64 are BigInts, other numbers are
// Numbers; list<u8> is a Uint8Array; records are objects with camelCase fields; tuples are
// arrays; variants are {tag, val}; enums are strings; flags are objects of booleans; option<T>
// is T or undefined, but a nested option is {tag: 'some', val} / {tag: 'none'}; a result
// parameter is {tag: 'ok' | 'err', val}, and a result return value is returned (ok) or thrown
// (err).

const U32_MAX = 4294967295;

class Counter {
  #value;

  constructor(start) {
    this.#value = start;
  }

  increment(by) {
    this.#value = BigInt.asUintN(64, this.#value + by);
    return this.#value;
  }

  get() {
    return this.#value;
  }
}

const identity = (x) => x;

export const allTypes = {
  Counter,

  echoBool: identity,
  echoS8: identity,
  echoS16: identity,
  echoS32: identity,
  echoS64: identity,
  echoU8: identity,
  echoU16: identity,
  echoU32: identity,
  echoU64: identity,
  echoF32: identity,
  echoF64: identity,
  echoChar: identity,
  echoString: identity,
  echoBytes: identity,
  echoStrings: identity,
  echoPoint: identity,
  echoPerson: identity,
  echoTuple: identity,
  echoShape: identity,
  echoColor: identity,
  echoOption: identity,
  echoNestedOption: identity,
  echoResult(x) {
    if (x.tag === 'err') throw x.val;
    return x.val;
  },
  echoUnitResult(x) {
    if (x.tag === 'err') throw x.val;
  },
  echoPermissions: identity,
  echoMany(a, b, c) {
    return [a, b, c];
  },

  nothing() {},

  add(a, b) {
    return BigInt.asIntN(64, a + b);
  },

  upper(s) {
    return s.toUpperCase();
  },

  sum(bytes) {
    let total = 0n;
    for (const b of bytes) total += BigInt(b);
    return total;
  },

  area(s) {
    switch (s.tag) {
      case 'circle':
        return Math.PI * s.val * s.val;
      case 'rectangle':
        return Math.abs(s.val.x * s.val.y);
      default:
        return 0;
    }
  },

  nextColor(c) {
    return { red: 'green', green: 'blue', blue: 'red' }[c];
  },

  invert(p) {
    return { read: !p.read, write: !p.write, execute: !p.execute };
  },

  describe(p) {
    return p.nickname === undefined
      ? `${p.name} (${p.age})`
      : `${p.name} "${p.nickname}" (${p.age})`;
  },

  parseU32(s) {
    if (/^[0-9]+$/.test(s) && Number(s) <= U32_MAX) return Number(s);
    throw `\`${s}\` is not a u32`;
  },

  half(x) {
    return x % 2 === 0 ? x / 2 : undefined;
  },

  check(fail) {
    // A result without payloads: throwing anything is err.
    if (fail) throw undefined;
  },
};
