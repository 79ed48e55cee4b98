//! `Engine`: the shared Wasmtime engine, and the process-wide defaults used when none is given.

use crate::errors;
use nanoproc::{EngineBuilder, PoolingOptions};
use napi::Env;
use napi_derive::napi;
use std::path::PathBuf;
use std::sync::OnceLock;

/// A configured engine (the native half of `Engine`).
#[napi]
pub struct NativeEngine {
    pub(crate) inner: nanoproc::Engine,
    pooling: Option<u32>,
}

#[napi]
impl NativeEngine {
    /// `fuel` meters instructions; `pooling` is the number of pooled sandbox slots (0: none,
    /// allocate on demand; `None`: the default); `cache_dir` is `"default"`, `"off"` or a
    /// directory.
    #[napi(constructor, catch_unwind)]
    pub fn new(
        env: Env,
        fuel: bool,
        pooling: Option<u32>,
        cache_dir: String,
    ) -> napi::Result<Self> {
        let slots = match pooling {
            None => Some(PoolingOptions::default().total_instances),
            Some(0) => None,
            Some(n) => Some(n),
        };
        build(fuel, slots, &cache_dir).map_err(|e| errors::to_napi(env.raw(), &e))
    }

    /// Whether fuel metering is on.
    #[napi(getter, catch_unwind)]
    pub fn fuel(&self) -> bool {
        self.inner.fuel_enabled()
    }

    /// Pooled sandbox slots, or 0 without pooling.
    #[napi(getter, catch_unwind)]
    pub fn pooling(&self) -> u32 {
        self.pooling.unwrap_or(0)
    }

    /// The compile cache directory, or `null` when caching is off.
    #[napi(getter, catch_unwind)]
    pub fn cache_dir(&self) -> Option<String> {
        self.inner
            .cache_dir()
            .map(|d| d.to_string_lossy().into_owned())
    }
}

fn build(fuel: bool, slots: Option<u32>, cache_dir: &str) -> nanoproc::Result<NativeEngine> {
    let mut b = EngineBuilder::new();
    b.fuel(fuel).progress(false);
    b.pooling(slots.map(|total_instances| PoolingOptions {
        total_instances,
        ..PoolingOptions::default()
    }));
    match cache_dir {
        "default" => {}
        "off" => {
            b.cache_dir(None);
        }
        dir => {
            b.cache_dir(Some(PathBuf::from(dir)));
        }
    }
    Ok(NativeEngine {
        inner: b.build()?,
        pooling: slots,
    })
}

static DEFAULT: OnceLock<nanoproc::Engine> = OnceLock::new();
static DEFAULT_FUEL: OnceLock<nanoproc::Engine> = OnceLock::new();

/// The process-wide default engine (pooling on), with fuel metering or without.
pub(crate) fn default_engine(fuel: bool) -> nanoproc::Result<nanoproc::Engine> {
    let cell = if fuel { &DEFAULT_FUEL } else { &DEFAULT };
    if let Some(e) = cell.get() {
        return Ok(e.clone());
    }
    let built = build(
        fuel,
        Some(PoolingOptions::default().total_instances),
        "default",
    )?;
    Ok(cell.get_or_init(|| built.inner).clone())
}

/// `engine`, or the default engine (with fuel metering when `needs_fuel`).
pub(crate) fn resolve(
    engine: Option<&NativeEngine>,
    needs_fuel: bool,
) -> nanoproc::Result<nanoproc::Engine> {
    match engine {
        Some(e) => Ok(e.inner.clone()),
        None => default_engine(needs_fuel),
    }
}
