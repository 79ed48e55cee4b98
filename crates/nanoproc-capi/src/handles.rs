//! The live-handle registry: every handle given to C is a key here, never dereferenced.
//!
//! A handle pointer is the address of an `Arc` the registry owns. Every entry point looks the
//! address up (with the handle's expected type) and works on a cloned `Arc`, so:
//! - a NULL, freed, foreign or wrong-type pointer is an `InvalidArgument` error, not undefined
//!   behaviour, and freeing twice is detected and ignored;
//! - freeing a handle while another thread is using it is safe: the object lives until the
//!   last call using it returns.
//!
//! The registry is sharded by address so threads calling different plugins rarely meet.

use crate::error::CError;
use std::any::Any;
use std::collections::HashMap;
use std::sync::{Arc, LazyLock, Mutex, MutexGuard};

type Entry = (Arc<dyn Any + Send + Sync>, &'static str);

const SHARDS: usize = 16;

struct Registry {
    shards: [Mutex<HashMap<usize, Entry>>; SHARDS],
}

static LIVE: LazyLock<Registry> = LazyLock::new(|| Registry {
    shards: std::array::from_fn(|_| Mutex::new(HashMap::new())),
});

fn shard(addr: usize) -> MutexGuard<'static, HashMap<usize, Entry>> {
    // Allocations are at least 16-byte aligned; the low bits carry nothing.
    LIVE.shards[(addr >> 4) % SHARDS]
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// Registers `value` as a live handle of type `name` and returns its pointer for C.
pub(crate) fn register<T: Any + Send + Sync, H>(value: T, name: &'static str) -> *mut H {
    let arc: Arc<dyn Any + Send + Sync> = Arc::new(value);
    let addr = Arc::as_ptr(&arc) as *const () as usize;
    shard(addr).insert(addr, (arc, name));
    addr as *mut H
}

/// The live object behind `ptr`, which C passed as argument `arg` expecting a `name`.
pub(crate) fn get<T: Any + Send + Sync, H>(
    ptr: *const H,
    name: &'static str,
    arg: &str,
) -> Result<Arc<T>, CError> {
    if ptr.is_null() {
        return Err(CError::argument(format!("`{arg}` is NULL; pass a {name}")));
    }
    let addr = ptr as usize;
    let (entry, found) = match shard(addr).get(&addr) {
        Some((entry, found)) => (entry.clone(), *found),
        None => {
            return Err(CError::argument(format!(
                "`{arg}` is not a live {name}: it was freed already, or never came from nanoproc"
            )));
        }
    };
    entry
        .downcast::<T>()
        .map_err(|_| CError::argument(format!("`{arg}` is a {found}, not a {name}")))
}

/// Removes the handle `ptr` of type `name` and returns its object (dropped when the last
/// user lets go). `None` for NULL, an unknown pointer or another type (then nothing changes).
pub(crate) fn release<T: Any + Send + Sync, H>(
    ptr: *const H,
    name: &'static str,
) -> Option<Arc<T>> {
    if ptr.is_null() {
        return None;
    }
    let addr = ptr as usize;
    let mut map = shard(addr);
    if map.get(&addr).map(|(_, found)| *found) != Some(name) {
        return None;
    }
    let (entry, _) = map.remove(&addr)?;
    drop(map);
    entry.downcast::<T>().ok()
}

/// How many handles are live (all types): what the C tests check to prove nothing leaks.
pub(crate) fn live_count() -> usize {
    LIVE.shards
        .iter()
        .map(|s| s.lock().unwrap_or_else(|p| p.into_inner()).len())
        .sum()
}
