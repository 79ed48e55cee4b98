//! # nanoproc
//!
//! Run untrusted WebAssembly as *nano-processes*: each a Wasm instance with its own linear
//! memory, no ambient authority, and only the capabilities its [`Policy`] grants.
//!
//! The data path is always the same:
//! front door → [`Policy`] → [`Prepared`] → [`Sandbox`] → [`Outcome`].
//!
//! ```no_run
//! use nanoproc::{Engine, Policy, Prepared, loader};
//! # fn main() -> nanoproc::Result<()> {
//! let engine = Engine::new()?;
//! let mut policy = Policy::builder();
//! policy.dir("./data", "/data").max_memory(64 << 20);
//! let loaded = loader::load_file(&engine, "examples/guests/bin/cat.wasm".as_ref())?;
//! let outcome = Prepared::new(&engine, &loaded, policy.build()?)?.run(vec![])?;
//! println!("exit code {}", outcome.exit_code());
//! # Ok(()) }
//! ```

pub mod audit;
pub mod component;
pub mod engine;
pub mod error;
pub mod inspect;
pub mod integrity;
pub mod limits;
pub mod loader;
pub mod outcome;
pub mod plugin;
pub mod policy;
pub mod receipt;
pub mod sandbox;
mod wasi;

pub use audit::{AuditEvent, AuditSink, Decision, JsonLinesSink, MemorySink, TracingSink};
pub use engine::{Engine, EngineBuilder, PoolingOptions};
pub use error::{Error, LimitKind, Result, TrapInfo};
pub use loader::{Loaded, ModuleKind};
pub use outcome::{Outcome, Status, Usage};
pub use policy::{Policy, PolicyBuilder, PolicyFile};
pub use sandbox::{Prepared, Sandbox};
/// The Wasmtime version nanoproc is built on, for typed component bindings
/// (`bindgen!({ wasmtime_crate: nanoproc::wasmtime, .. })`) and [`component`] values.
pub use wasmtime;
