//! The plugin ABI boundary with a hostile guest: the fuzzer picks the allocator's results,
//! the returned (ptr, len), memory growth and every argument to `nanoproc::log`, `fail`,
//! `config_get` and to host functions (see `src/plugin_guest.wat`). Every call ends in `Ok`
//! or a typed error of an expected kind, never a panic or a host crash; echoes come back
//! intact; and afterwards a good call still works and a fresh sandbox's memory is clean.
#![no_main]

use libfuzzer_sys::fuzz_target;
use nanoproc::plugin::{CallOptions, PluginInstance};
use nanoproc_fuzz::assert_kind;
use nanoproc_fuzz::plugin::{FIXTURE, assert_host_healthy, plugin};
use std::sync::LazyLock;

/// The input, in a byte format simple enough to write seeds by hand:
///
/// ```text
/// byte 0      bit 0: calls go to one reused instance (state persists) instead of fresh
///             sandboxes; bit 1: a config value "alloc" follows as a u32 (LE), which
///             `nanoproc_alloc` returns; else bit 2: it follows as text (1 length byte, bytes)
/// then calls, until the input ends (at most 8):
///   1 byte    the function: run, echo, peek, wrong_type, a missing one, nanoproc_alloc (mod 6)
///   1 byte    the call's memory budget: 0 the policy's (1 MiB), else this many × 16 KiB
///   2 bytes   the input's length (LE; cut to what is left), then the input
/// ```
struct Input<'a> {
    reuse: bool,
    alloc: Option<String>,
    calls: Vec<Call<'a>>,
}

struct Call<'a> {
    function: Function,
    max_memory: Option<u64>,
    input: &'a [u8],
}

fn parse(data: &[u8]) -> Option<Input<'_>> {
    let (&flags, mut rest) = data.split_first()?;
    let alloc = if flags & 2 != 0 {
        let (n, r) = rest.split_first_chunk::<4>()?;
        rest = r;
        Some(u32::from_le_bytes(*n).to_string())
    } else if flags & 4 != 0 {
        let (&n, r) = rest.split_first()?;
        let (text, r) = r.split_at_checked(usize::from(n))?;
        rest = r;
        Some(String::from_utf8_lossy(text).into_owned())
    } else {
        None
    };
    let mut calls = Vec::new();
    while calls.len() < 8 {
        let Some((&[f, mem], r)) = rest.split_first_chunk::<2>() else {
            break;
        };
        let (len, r) = match r.split_first_chunk::<2>() {
            Some((len, r)) => (usize::from(u16::from_le_bytes(*len)), r),
            None => (0, &[][..]),
        };
        let (input, r) = r.split_at(len.min(r.len()));
        rest = r;
        calls.push(Call {
            function: Function::ALL[usize::from(f) % Function::ALL.len()],
            max_memory: (mem != 0).then(|| u64::from(mem) * (16 << 10)),
            input,
        });
    }
    Some(Input {
        reuse: flags & 1 != 0,
        alloc,
        calls,
    })
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum Function {
    Run,
    Echo,
    Peek,
    WrongType,
    Missing,
    Alloc,
}

impl Function {
    const ALL: [Function; 6] = [
        Function::Run,
        Function::Echo,
        Function::Peek,
        Function::WrongType,
        Function::Missing,
        Function::Alloc,
    ];

    fn name(self) -> &'static str {
        match self {
            Function::Run => "run",
            Function::Echo => "echo",
            Function::Peek => "peek",
            Function::WrongType => "wrong_type",
            Function::Missing => "no_such_function",
            Function::Alloc => "nanoproc_alloc",
        }
    }
}

/// With `NANOPROC_FUZZ_STATS` set, every call prints `outcome: <function> -> <kind>` to
/// stderr, to see what a corpus reaches (`-runs=0` over it; docs/fuzzing.md).
static STATS: LazyLock<bool> = LazyLock::new(|| std::env::var_os("NANOPROC_FUZZ_STATS").is_some());

/// What a call may fail with.
const ALLOWED: &[&str] = &[
    "abi violation",
    "guest trap",
    "plugin error",
    "host function error",
    "memory limit",
];

fuzz_target!(|data: &[u8]| {
    let Some(input) = parse(data) else {
        return;
    };
    let f = &*FIXTURE;
    let plugin = match plugin(&f.engine, &f.loaded, input.alloc) {
        Ok(p) => p,
        Err(e) => panic!("the guest stopped building: {e:?}"),
    };
    let mut instance: Option<PluginInstance> = None;
    for call in &input.calls {
        let options = CallOptions {
            max_memory: call.max_memory,
            ..CallOptions::default()
        };
        let name = call.function.name();
        let result = if input.reuse {
            let inst = match &mut instance {
                Some(i) => i,
                None => match plugin.instance() {
                    Ok(i) => instance.insert(i),
                    Err(e) => {
                        assert_kind(&e, ALLOWED);
                        continue;
                    }
                },
            };
            inst.call_with(name, call.input, &options)
        } else {
            plugin.call_with(name, call.input, &options)
        };
        if *STATS {
            let outcome = match &result {
                Ok(_) => "ok",
                Err(e) => e.kind_name(),
            };
            eprintln!("outcome: {name} -> {outcome}");
        }
        match (&result, call.function) {
            (Ok(out), Function::Echo) => assert_eq!(out, call.input, "echo changed its input"),
            (Ok(out), Function::Peek) => {
                assert_eq!(out.len(), 0xffe0);
                // A fresh sandbox that was given no input has touched nothing: whatever
                // earlier sandboxes left in recycled memory must be gone.
                if !input.reuse && call.input.is_empty() {
                    assert!(
                        out.iter().all(|b| *b == 0),
                        "a fresh sandbox sees bytes left by an earlier one"
                    );
                }
            }
            (Ok(_), Function::Run) => {}
            (Ok(out), f) => panic!("calling {f:?} succeeded with {} bytes", out.len()),
            (Err(e), Function::WrongType | Function::Missing | Function::Alloc) => {
                assert_kind(e, &["abi violation"])
            }
            (Err(e), _) => assert_kind(e, ALLOWED),
        }
    }
    drop(instance);
    assert_host_healthy();
});
