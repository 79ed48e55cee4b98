//! The live-handle registry: every handle given to C is a key here, never dereferenced.
//!
//! A handle pointer is the address of a small allocation of the registry's own (a token),
//! and the object behind it is an `Arc` the registry owns. Every entry point looks the address
//! up (with the handle's expected type) and works on a cloned `Arc`, so:
//! - a NULL, freed, foreign or wrong-type pointer is an `InvalidArgument` error, not undefined
//!   behaviour, and freeing twice is detected and ignored;
//! - freeing a handle while another thread is using it is safe: the object lives until the
//!   last call using it returns;
//! - a freed handle stays invalid: its token is not freed with it but kept in a quarantine of
//!   the [`QUARANTINE`] most recently freed tokens, so the allocator cannot give the same
//!   address to a newer handle until that many more handles have been freed. (Were the
//!   address of the object itself the handle, a handle used after its `_free` would silently
//!   reach whatever object the allocator put at that address next.)
//!
//! The registry is sharded by address so threads calling different plugins rarely meet.

use crate::error::CError;
use std::any::Any;
use std::cell::RefCell;
use std::collections::{HashMap, VecDeque};
use std::hash::{BuildHasherDefault, Hasher};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, LazyLock, Mutex, MutexGuard, Weak};

/// The address a handle is known by: allocated for the handle, kept allocated in the
/// quarantine for a while after it is freed.
type Token = Box<u64>;

struct Entry {
    object: Arc<dyn Any + Send + Sync>,
    name: &'static str,
    token: Token,
}

const SHARDS: usize = 16;

/// How many freed tokens stay allocated (about 32 bytes each with the allocator's overhead:
/// at most 512 KiB): a freed handle cannot be confused with a newer one before this many
/// more handles were freed.
pub(crate) const QUARANTINE: usize = 16 * 1024;

/// Keys are addresses of distinct live allocations: hashing them is a multiply.
#[derive(Default)]
pub(crate) struct AddrHasher(u64);

impl Hasher for AddrHasher {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for b in bytes {
            self.0 = (self.0 ^ u64::from(*b)).wrapping_mul(0x100_0000_01b3);
        }
    }
    fn write_usize(&mut self, n: usize) {
        // Fibonacci hashing: the multiply spreads the aligned low bits over the high ones.
        self.0 = (n as u64).wrapping_mul(0x9e37_79b9_7f4a_7c15);
    }
}

type Shard = HashMap<usize, Entry, BuildHasherDefault<AddrHasher>>;

struct Registry {
    shards: [Mutex<Shard>; SHARDS],
    quarantine: Mutex<VecDeque<Token>>,
}

static LIVE: LazyLock<Registry> = LazyLock::new(|| Registry {
    shards: std::array::from_fn(|_| Mutex::new(HashMap::default())),
    quarantine: Mutex::new(VecDeque::new()),
});

fn shard(addr: usize) -> MutexGuard<'static, Shard> {
    // Allocations are at least 8-byte aligned; the low bits carry nothing.
    LIVE.shards[(addr >> 4) % SHARDS]
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// Registers `value` as a live handle of type `name` and returns its pointer for C.
pub(crate) fn register<T: Any + Send + Sync, H>(value: T, name: &'static str) -> *mut H {
    let object: Arc<dyn Any + Send + Sync> = Arc::new(value);
    let token: Token = Box::new(0);
    let addr = &*token as *const u64 as usize;
    shard(addr).insert(
        addr,
        Entry {
            object,
            name,
            token,
        },
    );
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
    // Read before the lookup: see `RECENT`.
    let generation = FREES.load(Ordering::Acquire);
    let (object, found) = match RECENT
        .try_with(|r| r.borrow().find(addr, generation))
        .ok()
        .flatten()
    {
        Some(hit) => hit,
        None => {
            let (object, found) = match shard(addr).get(&addr) {
                Some(e) => (e.object.clone(), e.name),
                None => {
                    return Err(CError::argument(format!(
                        "`{arg}` is not a live {name}: it was freed already, or never came from nanoproc"
                    )));
                }
            };
            let _ = RECENT.try_with(|r| r.borrow_mut().remember(addr, generation, found, &object));
            (object, found)
        }
    };
    object
        .downcast::<T>()
        .map_err(|_| CError::argument(format!("`{arg}` is a {found}, not a {name}")))
}

/// How many handles have been freed, ever: a thread's [`RECENT`] lookups are valid only
/// while this has not changed since they were made.
static FREES: AtomicU64 = AtomicU64::new(0);

/// A few handles this thread looked up lately, so that a host calling the same instance or
/// plugin again and again does not take a registry lock each time (the lock and its
/// cache-line traffic were a third of the C ABI's own cost of a warm call). An entry is used
/// only while no handle at all has been freed since it was made ([`FREES`] unchanged): a
/// lookup made before a free finished has a smaller count than every lookup after it, so a
/// freed handle is never found here. Entries hold `Weak` references: they never keep an
/// object alive after its handle is freed.
struct Recent {
    entries: [Option<Remembered>; RECENT_SIZE],
    next: usize,
}

const RECENT_SIZE: usize = 4;

struct Remembered {
    addr: usize,
    generation: u64,
    name: &'static str,
    object: Weak<dyn Any + Send + Sync>,
}

impl Recent {
    fn find(
        &self,
        addr: usize,
        generation: u64,
    ) -> Option<(Arc<dyn Any + Send + Sync>, &'static str)> {
        let hit = self
            .entries
            .iter()
            .flatten()
            .find(|e| e.addr == addr && e.generation == generation)?;
        Some((hit.object.upgrade()?, hit.name))
    }

    fn remember(
        &mut self,
        addr: usize,
        generation: u64,
        name: &'static str,
        object: &Arc<dyn Any + Send + Sync>,
    ) {
        let slot = self
            .entries
            .iter()
            .position(|e| e.as_ref().is_some_and(|e| e.addr == addr))
            .unwrap_or_else(|| {
                self.next = (self.next + 1) % RECENT_SIZE;
                self.next
            });
        self.entries[slot] = Some(Remembered {
            addr,
            generation,
            name,
            object: Arc::downgrade(object),
        });
    }
}

thread_local! {
    static RECENT: RefCell<Recent> = const {
        RefCell::new(Recent { entries: [const { None }; RECENT_SIZE], next: 0 })
    };
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
    if map.get(&addr).map(|e| e.name) != Some(name) {
        return None;
    }
    let entry = map.remove(&addr)?;
    drop(map);
    // After the removal: every lookup that found the handle read a smaller count.
    FREES.fetch_add(1, Ordering::AcqRel);
    let Entry { object, token, .. } = entry;
    {
        let mut q = LIVE
            .quarantine
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        if q.len() >= QUARANTINE {
            q.pop_front();
        }
        q.push_back(token);
    }
    // The object may run C code when dropped (a user-data free function): outside any lock.
    object.downcast::<T>().ok()
}

/// How many handles are live (all types): what the C tests check to prove nothing leaks.
pub(crate) fn live_count() -> usize {
    LIVE.shards
        .iter()
        .map(|s| s.lock().unwrap_or_else(|p| p.into_inner()).len())
        .sum()
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Thing;

    struct Dropped(Arc<std::sync::atomic::AtomicBool>);

    impl Drop for Dropped {
        fn drop(&mut self) {
            self.0.store(true, Ordering::SeqCst);
        }
    }

    #[test]
    fn a_handle_freed_on_another_thread_is_not_found_in_this_threads_recent_lookups() {
        let dropped = Arc::new(std::sync::atomic::AtomicBool::new(false));
        let h: *mut u8 = register(Dropped(dropped.clone()), "dropped");
        // Looked up twice: the second time from this thread's recent lookups.
        assert!(get::<Dropped, _>(h, "dropped", "h").is_ok());
        assert!(get::<Dropped, _>(h, "dropped", "h").is_ok());
        let addr = h as usize;
        std::thread::spawn(move || {
            release::<Dropped, _>(addr as *mut u8, "dropped");
        })
        .join()
        .unwrap_or_default();
        // The recent lookup held no strong reference: the object is gone with its handle.
        assert!(dropped.load(Ordering::SeqCst));
        assert!(get::<Dropped, _>(h, "dropped", "h").is_err());
    }

    #[test]
    fn a_handle_in_use_when_freed_is_refused_after_the_free() {
        let dropped = Arc::new(std::sync::atomic::AtomicBool::new(false));
        let h: *mut u8 = register(Dropped(dropped.clone()), "dropped");
        let in_use = get::<Dropped, _>(h, "dropped", "h");
        assert!(in_use.is_ok());
        assert!(release::<Dropped, _>(h, "dropped").is_some());
        // Still alive (a call holds it), but its handle is freed.
        assert!(!dropped.load(Ordering::SeqCst));
        assert!(get::<Dropped, _>(h, "dropped", "h").is_err());
        drop(in_use);
        assert!(dropped.load(Ordering::SeqCst));
    }

    #[test]
    fn a_freed_handle_is_not_reused_by_the_next_one() {
        let mut freed = Vec::new();
        for _ in 0..1000 {
            let h: *mut u8 = register(Thing, "thing");
            assert!(release::<Thing, _>(h, "thing").is_some());
            freed.push(h as usize);
            let next: *mut u8 = register(Thing, "thing");
            assert!(!freed.contains(&(next as usize)), "an address came back");
            assert!(get::<Thing, _>(h, "thing", "h").is_err());
            release::<Thing, _>(next, "thing");
            freed.push(next as usize);
        }
    }
}
