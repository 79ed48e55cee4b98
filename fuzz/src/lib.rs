//! Shared glue for nanoproc's fuzz targets: the targets in `fuzz_targets/` stay thin, and
//! the fixtures (engines, the plugin guest, the component types and a generator of WIT
//! values) live here, built once per process.

pub mod component;
pub mod plugin;

use nanoproc::{Engine, Error};

/// An engine without the compile cache (fuzzing must not write to disk) or progress output.
pub fn engine(pooling: Option<nanoproc::PoolingOptions>) -> Engine {
    let mut b = Engine::builder();
    b.cache_dir(None).progress(false).pooling(pooling);
    match b.build() {
        Ok(e) => e,
        Err(e) => panic!("cannot build the fuzzing engine: {e}"),
    }
}

/// Panics (a finding) unless `e` is one of the `allowed` kinds: every failure must be a
/// typed error of the expected kind, never `Internal` or an unrelated kind.
#[track_caller]
pub fn assert_kind(e: &Error, allowed: &[&str]) {
    assert!(
        allowed.contains(&e.kind_name()),
        "unexpected error kind `{}` (allowed: {allowed:?}): {e:?}",
        e.kind_name()
    );
    let line = e.to_string();
    assert!(!line.is_empty(), "empty error message: {e:?}");
}
