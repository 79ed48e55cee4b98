//! The C ABI of nanoproc: what `include/nanoproc.h` declares (generated from this crate by
//! cbindgen; `tests/header.rs` fails when the checked-in header is stale, and
//! `NANOPROC_BLESS=1 cargo test -p nanoproc-capi --test header` rewrites it).
//!
//! Every non-Rust host SDK (Go, .NET, Java, Node) goes through these functions. The rules
//! every function follows are in the header's preamble (`cbindgen.toml`): opaque handles,
//! errors as objects, nothing panics or unwinds across the boundary, every handle checked.

#![allow(clippy::missing_safety_doc)] // every unsafe function has a `# Safety` section

mod args;
pub mod audit;
pub mod buf;
pub mod engine;
pub mod error;
mod handles;
pub mod host_fn;
pub mod plugin;
pub mod policy;
pub mod run;

use std::ffi::c_char;

/// nanoproc's version (`0.1.0`), NUL-terminated, static.
#[unsafe(no_mangle)]
pub extern "C" fn nanoproc_version() -> *const c_char {
    concat!(env!("CARGO_PKG_VERSION"), "\0").as_ptr().cast()
}

/// How many objects nanoproc has handed out and not yet had freed: handles of every type
/// (engines, builders, plugins, instances, cancel tokens, outcomes, errors, and the
/// `nanoproc_host_call` of each host-function callback while it runs) plus output buffers.
/// For leak checks in tests: it returns to its old value once everything made since is freed.
#[unsafe(no_mangle)]
pub extern "C" fn nanoproc_live_objects() -> usize {
    error::guard_value(usize::MAX, || handles::live_count() + buf::live_count())
}
