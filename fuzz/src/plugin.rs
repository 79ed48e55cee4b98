//! The `plugin_abi` fixture: one pooling engine, the guest (`plugin_guest.wat`) compiled
//! once, the host functions it imports, and a baseline plugin that must keep working.

use nanoproc::plugin::{HostFunctions, Plugin};
use nanoproc::{Engine, Loaded, Policy, PoolingOptions, loader};
use std::sync::LazyLock;
use std::time::Duration;

/// The guest's WAT text.
pub const GUEST: &str = include_str!("plugin_guest.wat");

/// Most bytes of memory a sandbox may use (the guest's memory may grow to 16 pages).
pub const MAX_MEMORY: u64 = 1 << 20;

/// What every call shares: the engine and the compiled guest.
pub struct Fixture {
    /// A pooling engine, like `nanoproc call --repeat` and most embedders use, so recycled
    /// memory is exercised too.
    pub engine: Engine,
    /// The compiled guest.
    pub loaded: Loaded,
    /// A plugin without config, for the "the host still works" check.
    pub baseline: Plugin,
}

/// Built on first use.
pub static FIXTURE: LazyLock<Fixture> = LazyLock::new(|| {
    let engine = crate::engine(Some(PoolingOptions {
        total_instances: 32,
        max_memory_size: MAX_MEMORY as usize,
        keep_resident: 64 << 10,
    }));
    let loaded = loader::load_bytes(&engine, GUEST.as_bytes(), "plugin_guest.wat")
        .unwrap_or_else(|e| panic!("the guest does not load: {e}"));
    let baseline = plugin(&engine, &loaded, None).unwrap_or_else(|e| panic!("{e}"));
    Fixture {
        engine,
        loaded,
        baseline,
    }
});

/// The host functions the guest imports: `host::echo` returns its input, `host::boom` fails.
pub fn host_functions() -> HostFunctions {
    let mut h = HostFunctions::new();
    h.register("host", "echo", |_ctx, input| Ok(input.to_vec()));
    h.register("host", "boom", |_ctx, input| {
        Err(format!("boom ({} bytes of input)", input.len()))
    });
    h
}

/// A plugin of the guest, with `alloc` as its config value "alloc" if given.
pub fn plugin(engine: &Engine, loaded: &Loaded, alloc: Option<String>) -> nanoproc::Result<Plugin> {
    let mut policy = Policy::builder();
    policy
        .allow_host_fn("host::echo")
        .allow_host_fn("host::boom")
        .max_memory(MAX_MEMORY)
        .timeout(Some(Duration::from_secs(5)));
    let mut b = Plugin::builder(engine)
        .loaded(loaded.clone())
        .name("fuzz")
        .policy(policy.build()?)
        .host_functions(host_functions());
    if let Some(a) = alloc {
        b = b.config("alloc", a);
    }
    b.build()
}

/// The host still works: a fresh sandbox of the baseline plugin echoes, and its memory
/// holds nothing from earlier sandboxes.
pub fn assert_host_healthy() {
    let f = &*FIXTURE;
    let input = b"the host still works";
    match f.baseline.call("echo", input) {
        Ok(out) => assert_eq!(out, input, "echo returned other bytes"),
        Err(e) => panic!("a good call failed after the fuzzed ones: {e:?}"),
    }
    match f.baseline.call("peek", b"") {
        Ok(mem) => assert!(
            mem.iter().all(|b| *b == 0),
            "a fresh sandbox sees bytes left by an earlier one"
        ),
        Err(e) => panic!("peek failed: {e:?}"),
    }
}
