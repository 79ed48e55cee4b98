//! The shared Wasmtime [`Engine`]: configured once, cheap to clone, `Send + Sync`.
//!
//! It owns the epoch ticker that makes wall-clock deadlines interrupt guests, and the
//! location of the on-disk compile cache.

use crate::error::{Error, Result};
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

/// How often the epoch advances. Deadlines are rounded up to whole ticks.
pub const EPOCH_TICK: Duration = Duration::from_millis(5);

/// A configured Wasmtime engine plus nanoproc's settings. Clone it freely.
#[derive(Clone)]
pub struct Engine {
    inner: Arc<EngineInner>,
}

struct EngineInner {
    wasmtime: wasmtime::Engine,
    fuel: bool,
    max_wasm_stack: usize,
    max_blocks_per_function: u32,
    cache_dir: Option<PathBuf>,
    progress: bool,
    stop_ticker: Arc<AtomicBool>,
    ticker: std::sync::Once,
}

impl Drop for EngineInner {
    fn drop(&mut self) {
        self.stop_ticker.store(true, Ordering::Relaxed);
    }
}

/// Default of [`EngineBuilder::max_blocks_per_function`]: 20,000 blocks compile in about
/// 1 s on one core. Real compilers' output stays far below: the largest functions of
/// CPython (componentize-py) and SpiderMonkey (componentize-js) hold 3,112 and 4,216.
pub const DEFAULT_MAX_BLOCKS_PER_FUNCTION: u32 = 20_000;

/// How to get an engine that meters fuel, in every language nanoproc is used from.
pub(crate) const HOW_FUEL: &str = "make the engine with fuel metering on (Rust: EngineBuilder::fuel(true); C: NANOPROC_ENGINE_FUEL; Go: WithFuel(); Python: Engine(fuel=True))";

/// Configures an [`Engine`]. Defaults: no fuel metering, on-demand allocation, parallel
/// compilation, epoch interruption (always on), compile cache in the user's cache dir.
#[derive(Debug, Clone)]
pub struct EngineBuilder {
    fuel: bool,
    pooling: Option<PoolingOptions>,
    cache_dir: Option<PathBuf>,
    progress: bool,
    max_wasm_stack: usize,
    max_blocks_per_function: u32,
}

/// Sizing of the pooling instance allocator (for many short-lived sandboxes).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PoolingOptions {
    /// How many sandboxes may be alive at once.
    pub total_instances: u32,
    /// The largest linear memory one instance may have, in bytes.
    pub max_memory_size: usize,
    /// Bytes of each recycled linear memory kept mapped and reset in place (instead of being
    /// handed back to the kernel and faulted in again by the next sandbox). Costs resident
    /// memory per idle slot; saves page faults and `madvise` calls per sandbox.
    pub keep_resident: usize,
}

impl Default for PoolingOptions {
    fn default() -> Self {
        PoolingOptions {
            total_instances: 1000,
            max_memory_size: 1 << 30,
            keep_resident: 1 << 20,
        }
    }
}

impl Default for EngineBuilder {
    fn default() -> Self {
        EngineBuilder {
            fuel: false,
            pooling: None,
            cache_dir: default_cache_dir(),
            progress: true,
            max_wasm_stack: 512 * 1024,
            max_blocks_per_function: DEFAULT_MAX_BLOCKS_PER_FUNCTION,
        }
    }
}

/// `$NANOPROC_CACHE_DIR`, else `<user cache dir>/nanoproc`, else none.
pub fn default_cache_dir() -> Option<PathBuf> {
    if let Some(dir) = std::env::var_os("NANOPROC_CACHE_DIR").filter(|d| !d.is_empty()) {
        return Some(PathBuf::from(dir));
    }
    dirs::cache_dir().map(|d| d.join("nanoproc"))
}

impl EngineBuilder {
    /// A builder with the defaults above.
    pub fn new() -> Self {
        Self::default()
    }
    /// Enables fuel metering (needed by policies that set `fuel`; costs some speed).
    pub fn fuel(&mut self, enable: bool) -> &mut Self {
        self.fuel = enable;
        self
    }
    /// Uses the pooling instance allocator with these sizes (`None`: allocate on demand).
    pub fn pooling(&mut self, options: Option<PoolingOptions>) -> &mut Self {
        self.pooling = options;
        self
    }
    /// Where compiled code is cached; `None` disables the cache.
    pub fn cache_dir(&mut self, dir: Option<PathBuf>) -> &mut Self {
        self.cache_dir = dir;
        self
    }
    /// Shows a progress spinner on stderr while compiling large modules (only on a terminal).
    pub fn progress(&mut self, enable: bool) -> &mut Self {
        self.progress = enable;
        self
    }
    /// Maximum native stack the guest may use, in bytes (default 512 KiB).
    pub fn max_wasm_stack(&mut self, bytes: usize) -> &mut Self {
        self.max_wasm_stack = bytes;
        self
    }

    /// The most structured control blocks (`block`, `loop`, `if`, `try_table`) one function
    /// may hold; modules with a larger function are refused as invalid before compiling
    /// (default [`DEFAULT_MAX_BLOCKS_PER_FUNCTION`]). Cranelift's compile time grows with the
    /// square of this number, so it bounds how long a hostile module can keep a host thread
    /// compiling.
    pub fn max_blocks_per_function(&mut self, blocks: u32) -> &mut Self {
        self.max_blocks_per_function = blocks;
        self
    }

    /// Builds the engine and starts its epoch ticker.
    pub fn build(&self) -> Result<Engine> {
        let mut config = wasmtime::Config::new();
        config.epoch_interruption(true);
        config.consume_fuel(self.fuel);
        config.parallel_compilation(true);
        config.max_wasm_stack(self.max_wasm_stack);
        config.wasm_multi_memory(true);
        config.wasm_component_model(true);
        config.memory_init_cow(true);
        if let Some(p) = self.pooling {
            let mut pool = wasmtime::PoolingAllocationConfig::new();
            pool.total_core_instances(p.total_instances);
            pool.total_memories(p.total_instances);
            pool.total_tables(p.total_instances);
            pool.total_stacks(p.total_instances);
            pool.total_component_instances(p.total_instances);
            pool.max_memory_size(p.max_memory_size);
            pool.linear_memory_keep_resident(p.keep_resident);
            pool.table_keep_resident(p.keep_resident.min(64 << 10));
            pool.pagemap_scan(wasmtime::Enabled::Auto);
            config.allocation_strategy(wasmtime::InstanceAllocationStrategy::Pooling(pool));
        }
        let wasmtime = wasmtime::Engine::new(&config)
            .map_err(|e| Error::Internal(format!("cannot configure the Wasmtime engine: {e:#}")))?;
        Ok(Engine {
            inner: Arc::new(EngineInner {
                wasmtime,
                fuel: self.fuel,
                max_wasm_stack: self.max_wasm_stack,
                max_blocks_per_function: self.max_blocks_per_function,
                cache_dir: self.cache_dir.clone(),
                progress: self.progress,
                stop_ticker: Arc::new(AtomicBool::new(false)),
                ticker: std::sync::Once::new(),
            }),
        })
    }
}

fn start_ticker(engine: wasmtime::EngineWeak, stop: Arc<AtomicBool>) {
    let spawned = std::thread::Builder::new()
        .name("nanoproc-epoch".into())
        .spawn(move || {
            while !stop.load(Ordering::Relaxed) {
                std::thread::sleep(EPOCH_TICK);
                match engine.upgrade() {
                    Some(e) => e.increment_epoch(),
                    None => break,
                }
            }
        });
    if let Err(e) = spawned {
        tracing::error!("cannot start the epoch ticker thread; timeouts will not fire: {e}");
    }
}

impl Engine {
    /// An engine with the default settings.
    pub fn new() -> Result<Self> {
        EngineBuilder::new().build()
    }
    /// A builder.
    pub fn builder() -> EngineBuilder {
        EngineBuilder::new()
    }
    /// The underlying Wasmtime engine.
    pub fn wasmtime(&self) -> &wasmtime::Engine {
        &self.inner.wasmtime
    }
    /// Whether fuel metering is on.
    pub fn fuel_enabled(&self) -> bool {
        self.inner.fuel
    }
    /// Fails with [`Error::InvalidPolicy`] when `policy` sets fuel and this engine does not
    /// meter it (every front door checks before linking).
    pub(crate) fn check_fuel(&self, policy: &crate::Policy) -> Result<()> {
        if policy.limits().fuel.is_some() && !self.fuel_enabled() {
            return Err(Error::InvalidPolicy(format!(
                "the policy sets fuel but the engine was built without fuel metering; {HOW_FUEL}"
            )));
        }
        Ok(())
    }
    /// The compile cache directory, if caching is on.
    pub fn cache_dir(&self) -> Option<&std::path::Path> {
        self.inner.cache_dir.as_deref()
    }
    /// The most control blocks one function may hold for this engine to compile it (see
    /// [`EngineBuilder::max_blocks_per_function`]).
    pub fn max_blocks_per_function(&self) -> u32 {
        self.inner.max_blocks_per_function
    }
    /// The native stack, in bytes, one guest call may use (see
    /// [`EngineBuilder::max_wasm_stack`]).
    pub fn max_wasm_stack(&self) -> usize {
        self.inner.max_wasm_stack
    }
    pub(crate) fn progress(&self) -> bool {
        self.inner.progress
    }

    /// Starts the epoch ticker the first time something needs deadlines to fire (a timeout
    /// or a cancellable plugin call); runs without one never pay for the thread.
    pub(crate) fn ensure_ticker(&self) {
        self.inner
            .ticker
            .call_once(|| start_ticker(self.inner.wasmtime.weak(), self.inner.stop_ticker.clone()));
    }
}
