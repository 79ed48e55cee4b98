//! `nanoproc_engine`: compiles and runs guests; share one per process.

use crate::args::{opt_str_arg, out_arg, write_out};
use crate::error::{CError, guard, guard_value, nanoproc_error};
use crate::handles;
use nanoproc::{Engine, EngineBuilder, PoolingOptions};
use std::ffi::c_char;
use std::sync::Arc;

/// Opaque engine. Thread-safe: share one across threads and plugins. Free with
/// `nanoproc_engine_free` (plugins made from it keep what they need alive).
#[allow(non_camel_case_types)]
pub struct nanoproc_engine {
    _private: [u8; 0],
}

pub(crate) const NAME: &str = "nanoproc_engine";

/// Flag for `nanoproc_engine_new`: meter fuel, so policies and calls can set fuel budgets.
pub const NANOPROC_ENGINE_FUEL: u32 = 1;
/// Flag for `nanoproc_engine_new`: the pooling allocator (1,000 sandboxes of up to 1 GiB),
/// which makes a fresh sandbox per call cost a few microseconds. Recommended for plugins.
pub const NANOPROC_ENGINE_POOLING: u32 = 2;
/// Flag for `nanoproc_engine_new`: no on-disk compile cache.
pub const NANOPROC_ENGINE_NO_CACHE: u32 = 4;

/// The engine behind `engine` (argument `arg`).
pub(crate) fn engine(engine: *const nanoproc_engine, arg: &str) -> Result<Arc<Engine>, CError> {
    handles::get(engine, NAME, arg)
}

/// Makes an engine. `flags` is a bitwise OR of `NANOPROC_ENGINE_*` (0 for the defaults: no
/// fuel, on-demand allocation, compile cache on). `cache_dir` sets the compile cache's
/// directory (NULL: `$NANOPROC_CACHE_DIR`, else the user's cache directory). On success
/// `*engine_out` is a new engine the caller owns.
///
/// # Safety
/// `cache_dir` is NULL or a NUL-terminated string; `engine_out` is writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn nanoproc_engine_new(
    flags: u32,
    cache_dir: *const c_char,
    engine_out: *mut *mut nanoproc_engine,
) -> *mut nanoproc_error {
    guard(|| {
        out_arg(engine_out, "engine_out")?;
        let known = NANOPROC_ENGINE_FUEL | NANOPROC_ENGINE_POOLING | NANOPROC_ENGINE_NO_CACHE;
        if flags & !known != 0 {
            return Err(CError::argument(format!(
                "unknown engine flags {:#x}; use NANOPROC_ENGINE_FUEL, NANOPROC_ENGINE_POOLING, NANOPROC_ENGINE_NO_CACHE",
                flags & !known
            )));
        }
        // SAFETY: forwarded contract.
        let dir = unsafe { opt_str_arg(cache_dir, "cache_dir") }?;
        let mut b = EngineBuilder::new();
        b.fuel(flags & NANOPROC_ENGINE_FUEL != 0)
            .progress(false)
            .pooling((flags & NANOPROC_ENGINE_POOLING != 0).then(PoolingOptions::default));
        if flags & NANOPROC_ENGINE_NO_CACHE != 0 {
            b.cache_dir(None);
        } else if let Some(dir) = dir {
            b.cache_dir(Some(dir.into()));
        }
        let engine = b.build()?;
        // SAFETY: checked above.
        unsafe { write_out(engine_out, handles::register(engine, NAME)) };
        Ok(())
    })
}

/// Frees `engine`. NULL, and an engine freed already, are ignored.
#[unsafe(no_mangle)]
pub extern "C" fn nanoproc_engine_free(engine: *mut nanoproc_engine) {
    guard_value((), || {
        handles::release::<Engine, _>(engine, NAME);
    })
}
