//! `echo`: small functions for tests and benchmarks, all in one plugin module.
//!
//! | export | does |
//! |---|---|
//! | `echo` | returns its input unchanged |
//! | `noop` | ignores its input, returns empty output |
//! | `fail` | always fails with `failing on purpose` |
//! | `trap` | traps (`unreachable`) |
//! | `spin` | loops forever without calling the host (stopped by `--timeout` or `--fuel`) |
//! | `grow` | allocates and touches 1 MiB blocks forever (stopped by `--max-memory`; traps when an allocation fails) |
//! | `log` | logs its input (lossily decoded as UTF-8) at info level, returns empty output |

use nanoproc_pdk::{Error, Result};
use std::hint::black_box;

fn echo(input: Vec<u8>) -> Result<Vec<u8>> {
    Ok(input)
}

fn noop(_input: Vec<u8>) -> Result<Vec<u8>> {
    Ok(Vec::new())
}

fn fail(_input: Vec<u8>) -> Result<Vec<u8>> {
    Err(Error::new("failing on purpose"))
}

fn trap(_input: Vec<u8>) -> Result<Vec<u8>> {
    #[cfg(target_arch = "wasm32")]
    core::arch::wasm32::unreachable();
    #[cfg(not(target_arch = "wasm32"))]
    unreachable!("`trap` traps only on wasm32");
}

fn spin(_input: Vec<u8>) -> Result<Vec<u8>> {
    let mut n: u64 = 0;
    loop {
        n = black_box(n.wrapping_add(1));
    }
}

const MIB: usize = 1 << 20;

fn grow(_input: Vec<u8>) -> Result<Vec<u8>> {
    let mut blocks: Vec<Vec<u8>> = Vec::new();
    loop {
        let mut block = vec![0u8; MIB];
        // Write to every page, so the memory is really used (not just reserved).
        for i in (0..MIB).step_by(4096) {
            block[i] = 1;
        }
        blocks.push(black_box(block));
    }
}

fn log(input: Vec<u8>) -> Result<Vec<u8>> {
    nanoproc_pdk::log::info(String::from_utf8_lossy(&input));
    Ok(Vec::new())
}

nanoproc_pdk::export!(echo, noop, fail, trap, spin, grow, log);
