//! The contenders' set-up: nanoproc, Extism, and a minimal hand-written Wasmtime host (the
//! floor), all calling the same logic.

use anyhow::{Context, Result, anyhow, bail};
use std::path::{Path, PathBuf};
use wasmtime::{
    Caller, Config, Enabled, Engine, InstanceAllocationStrategy, InstancePre, Linker, Memory,
    Module, ModuleExport, PoolingAllocationConfig, Store, TypedFunc,
};

/// Wasmtime 48's error type is its own (not `anyhow`'s): convert at the boundary.
pub trait W<T> {
    fn w(self) -> Result<T>;
}

impl<T> W<T> for wasmtime::Result<T> {
    #[inline]
    fn w(self) -> Result<T> {
        self.map_err(|e| anyhow!("{e:?}"))
    }
}

/// Where the guests are.
#[derive(Clone, Debug)]
pub struct Guests {
    /// examples/plugins/bin/echo.wasm (exports `echo`, `noop`).
    pub echo: PathBuf,
    /// examples/plugins/bin/count_vowels.wasm.
    pub count_vowels: PathBuf,
    /// The Extism twin of both (benches/plugins/extism-guest).
    pub extism: PathBuf,
}

/// Sizes shared by the pooling engines, so nanoproc and the floor get the same pool.
pub const MAX_MEMORY: usize = 1 << 30;

// ---------------------------------------------------------------------------------------------
// nanoproc

/// A pooling nanoproc engine with `slots` instance slots and compile cache in `cache`.
pub fn nanoproc_engine(slots: u32, cache: &Path) -> Result<nanoproc::Engine> {
    let mut b = nanoproc::Engine::builder();
    b.pooling(Some(nanoproc::PoolingOptions {
        total_instances: slots,
        max_memory_size: MAX_MEMORY,
        // Whatever else nanoproc's pool has (e.g. keep-resident sizes): its own defaults.
        ..Default::default()
    }))
    .cache_dir(Some(cache.to_path_buf()))
    .progress(false);
    Ok(b.build()?)
}

pub fn nanoproc_plugin(engine: &nanoproc::Engine, path: &Path) -> Result<nanoproc::plugin::Plugin> {
    Ok(nanoproc::plugin::Plugin::builder(engine)
        .wasm_file(path)
        .policy(nanoproc::Policy::default())
        .build()?)
}

// ---------------------------------------------------------------------------------------------
// Extism

pub fn extism_manifest(path: &Path) -> extism::Manifest {
    extism::Manifest::new([extism::Wasm::file(path)])
}

/// Compiled once (no disk cache involved); fresh `Plugin`s come from it.
pub fn extism_compiled(path: &Path) -> Result<extism::CompiledPlugin> {
    extism::PluginBuilder::new(extism_manifest(path))
        .with_wasi(false)
        .with_cache_disabled()
        .compile()
}

/// A wasmtime cache config file (Extism's on-disk compile cache) pointing at `dir`.
pub fn extism_cache_config(dir: &Path) -> Result<PathBuf> {
    std::fs::create_dir_all(dir)?;
    let toml = dir.join("wasmtime-cache.toml");
    std::fs::write(
        &toml,
        format!(
            "[cache]\ndirectory = {:?}\n",
            dir.join("data").display().to_string()
        ),
    )?;
    Ok(toml)
}

/// `Plugin::new`-equivalent with the on-disk cache configured.
pub fn extism_plugin_cached(path: &Path, cache_toml: &Path) -> Result<extism::Plugin> {
    extism::PluginBuilder::new(extism_manifest(path))
        .with_wasi(false)
        .with_cache_config(cache_toml)
        .build()
}

// ---------------------------------------------------------------------------------------------
// The floor: a minimal Wasmtime 48 host for the nanoproc ABI

/// The pool both raw engines use: same slot count and memory size as nanoproc's.
fn pool(slots: u32) -> PoolingAllocationConfig {
    let mut pool = PoolingAllocationConfig::new();
    pool.total_core_instances(slots)
        .total_memories(slots)
        .total_tables(slots)
        .max_memory_size(MAX_MEMORY);
    pool
}

/// Wasmtime's defaults plus a pooling allocator with default settings: a used memory slot is
/// reset with `madvise(MADV_DONTNEED)` and the next instance faults its pages in again.
pub fn default_pool_engine(slots: u32) -> Result<Engine> {
    let mut config = Config::new();
    config.memory_init_cow(true);
    config.allocation_strategy(InstanceAllocationStrategy::Pooling(pool(slots)));
    Engine::new(&config).w()
}

/// The floor: Wasmtime's defaults (copy-on-write memory images on, no epoch interruption, no
/// fuel) plus a pooling allocator tuned like nanoproc's: a used slot is reset in place
/// (PAGEMAP_SCAN finds the dirty pages, memset/copy resets them, up to 1 MiB per memory and
/// 64 KiB per table) instead of `madvise(MADV_DONTNEED)`, so pages stay mapped and the next
/// instance takes no page faults. `epochs` adds epoch interruption (a diagnostic variant: the
/// one codegen setting nanoproc's engine adds that costs guest time).
pub fn floor_engine(slots: u32, epochs: bool) -> Result<Engine> {
    let mut config = Config::new();
    config.memory_init_cow(true);
    config.epoch_interruption(epochs);
    let mut pool = pool(slots);
    pool.pagemap_scan(Enabled::Yes)
        .linear_memory_keep_resident(1 << 20)
        .table_keep_resident(64 << 10);
    config.allocation_strategy(InstanceAllocationStrategy::Pooling(pool));
    Engine::new(&config).w()
}

/// A module linked for the floor host: the `nanoproc` imports are stubs (`config_get` says
/// "absent", like a plugin with no config), resolved once into an `InstancePre`.
#[derive(Clone)]
pub struct RawPlugin {
    pub engine: Engine,
    pub module: Module,
    pub pre: InstancePre<()>,
    memory: ModuleExport,
    alloc: ModuleExport,
    /// Whether the engine has epoch interruption on (then stores need a far deadline).
    epochs: bool,
}

pub fn raw_linker(engine: &Engine) -> Result<Linker<()>> {
    let mut linker = Linker::new(engine);
    linker
        .func_wrap("nanoproc", "fail", |_: Caller<'_, ()>, _: i32, _: i32| {})
        .w()?;
    linker
        .func_wrap(
            "nanoproc",
            "log",
            |_: Caller<'_, ()>, _: i32, _: i32, _: i32| {},
        )
        .w()?;
    linker
        .func_wrap(
            "nanoproc",
            "config_get",
            |_: Caller<'_, ()>, _: i32, _: i32, _: i32, _: i32| -> i64 { -1 },
        )
        .w()?;
    Ok(linker)
}

impl RawPlugin {
    pub fn from_file(engine: &Engine, path: &Path, epochs: bool) -> Result<Self> {
        let module = Module::from_file(engine, path)
            .map_err(|e| anyhow!("{e:#}"))
            .with_context(|| format!("compiling {}", path.display()))?;
        Self::from_module(engine, module, epochs)
    }

    pub fn from_module(engine: &Engine, module: Module, epochs: bool) -> Result<Self> {
        let pre = raw_linker(engine)?.instantiate_pre(&module).w()?;
        let idx = |n: &str| {
            module
                .get_export_index(n)
                .ok_or_else(|| anyhow!("no export `{n}`"))
        };
        Ok(RawPlugin {
            memory: idx("memory")?,
            alloc: idx("nanoproc_alloc")?,
            engine: engine.clone(),
            pre,
            module: module.clone(),
            epochs,
        })
    }

    pub fn export(&self, name: &str) -> Result<ModuleExport> {
        self.module
            .get_export_index(name)
            .ok_or_else(|| anyhow!("no export `{name}`"))
    }

    /// A fresh store + instance.
    pub fn instantiate(&self) -> Result<RawInstance> {
        let mut store = Store::new(&self.engine, ());
        if self.epochs {
            store.set_epoch_deadline(1 << 40);
        }
        let instance = self.pre.instantiate(&mut store).w()?;
        let memory = match instance.get_module_export(&mut store, &self.memory) {
            Some(wasmtime::Extern::Memory(m)) => m,
            _ => bail!("`memory` is not a memory"),
        };
        Ok(RawInstance {
            store,
            instance,
            memory,
            alloc_export: self.alloc,
            alloc: None,
        })
    }

    /// One fresh sandbox + one call of `f`, the floor of `Plugin::call`.
    pub fn call_fresh(&self, f: &ModuleExport, input: &[u8]) -> Result<Vec<u8>> {
        let mut i = self.instantiate()?;
        let f = i.func(f)?;
        i.call(&f, input)
    }
}

pub struct RawInstance {
    pub store: Store<()>,
    instance: wasmtime::Instance,
    pub memory: Memory,
    alloc_export: ModuleExport,
    /// `nanoproc_alloc`, resolved on first non-empty input (as nanoproc does).
    alloc: Option<TypedFunc<i32, i32>>,
}

impl RawInstance {
    pub fn func(&mut self, e: &ModuleExport) -> Result<TypedFunc<(i32, i32), i64>> {
        self.func_of(e)
    }

    fn func_of<P: wasmtime::WasmParams, R: wasmtime::WasmResults>(
        &mut self,
        e: &ModuleExport,
    ) -> Result<TypedFunc<P, R>> {
        match self.instance.get_module_export(&mut self.store, e) {
            Some(wasmtime::Extern::Func(f)) => f.typed(&self.store).w(),
            _ => bail!("not a function"),
        }
    }

    /// The ABI call: alloc + one copy in, the call, one copy out.
    #[inline]
    pub fn call(&mut self, f: &TypedFunc<(i32, i32), i64>, input: &[u8]) -> Result<Vec<u8>> {
        let len = input.len() as i32;
        let ptr = if input.is_empty() {
            0
        } else {
            if self.alloc.is_none() {
                let e = self.alloc_export;
                self.alloc = Some(self.func_of(&e)?);
            }
            let alloc = self.alloc.as_ref().expect("resolved above");
            let p = alloc.call(&mut self.store, len).w()?;
            self.memory
                .write(&mut self.store, p as u32 as usize, input)
                .map_err(|e| anyhow!("{e}"))?;
            p
        };
        let packed = f.call(&mut self.store, (ptr, len)).w()? as u64;
        let (out_ptr, out_len) = ((packed >> 32) as usize, (packed & 0xffff_ffff) as usize);
        let data = self.memory.data(&self.store);
        data.get(out_ptr..out_ptr + out_len)
            .map(<[u8]>::to_vec)
            .ok_or_else(|| anyhow!("output out of bounds"))
    }
}

/// The declared (initial) size of a module's exported memory, in bytes.
pub fn declared_memory(module: &Module) -> u64 {
    module
        .exports()
        .find_map(|e| e.ty().memory().map(|m| m.minimum() * 65536))
        .unwrap_or(0)
}
