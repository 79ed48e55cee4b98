//! Node.js bindings of nanoproc: run untrusted WebAssembly as deny-by-default nano-processes.
//!
//! A thin skin over the `nanoproc` crate (napi-rs): `NativePolicy` maps the options object
//! index.js normalises onto `nanoproc::PolicyBuilder`, `NativePlugin` onto
//! `nanoproc::plugin::Plugin` (synchronous calls on the JavaScript thread, async calls as
//! libuv tasks), `run` onto `Prepared::run`, and every `nanoproc::Error` onto one JavaScript
//! error class (made by the factory index.js registers). index.js is the public API.

// napi-derive registers the exported items with Node only outside `cfg(test)`; in the (empty)
// test build of `cargo clippy --all-targets` they would all look unused.
#![cfg_attr(test, allow(dead_code))]

mod audit;
mod convert;
mod engine;
mod errors;
mod hostfn;
mod plugin;
mod policy;
mod run;

use napi::bindgen_prelude::Function;
use napi::{Env, JsValue};
use napi_derive::napi;

/// Adds the raw N-API functions (the fast call path) to the module's exports.
#[napi(module_exports)]
pub fn module_exports(env: Env, exports: napi::bindgen_prelude::Object<'_>) -> napi::Result<()> {
    plugin::register_fast(env.raw(), exports.raw())
}

/// Registers the function native code calls to make every error it throws:
/// `(className, kind, detail, exitCode, hostFn, hostMessage) => Error`.
#[napi(catch_unwind)]
pub fn set_error_factory(env: Env, factory: Function<'_>) -> napi::Result<()> {
    errors::set_factory(env.raw(), factory.raw())
}

/// The version of the nanoproc library inside.
#[napi(catch_unwind)]
pub fn version() -> String {
    env!("CARGO_PKG_VERSION").to_string()
}

/// How many audit events a plugin keeps at most.
#[napi(catch_unwind)]
pub fn max_audit_events() -> u32 {
    u32::try_from(audit::MAX_KEPT_EVENTS).unwrap_or(u32::MAX)
}
