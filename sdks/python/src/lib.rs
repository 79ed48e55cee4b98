//! Python bindings of nanoproc: run untrusted WebAssembly as deny-by-default nano-processes.
//!
//! A thin skin over the `nanoproc` crate (PyO3, abi3): `Policy` maps keyword arguments onto
//! `nanoproc::PolicyBuilder`, `Plugin` onto `nanoproc::plugin::Plugin`, `run` onto
//! `Prepared::run`, and every `nanoproc::Error` onto one exception class. The Python
//! package `nanoproc` (python/nanoproc) re-exports this module.

mod audit;
mod convert;
mod engine;
mod errors;
mod plugin;
mod policy;
mod run;

use pyo3::prelude::*;

/// Run untrusted WebAssembly as deny-by-default nano-processes: each call or run in its own
/// sandbox with only the capabilities its Policy grants, hard limits on memory, CPU, wall
/// time and output, and an audit trail.
#[pymodule]
fn _nanoproc(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<engine::Engine>()?;
    m.add_class::<policy::Policy>()?;
    m.add_class::<plugin::Plugin>()?;
    m.add_class::<plugin::PluginInstance>()?;
    m.add_class::<run::Program>()?;
    m.add_class::<run::Outcome>()?;
    m.add_class::<run::Usage>()?;
    m.add_class::<audit::AuditEvent>()?;
    m.add_function(wrap_pyfunction!(run::run, m)?)?;
    m.add_function(wrap_pyfunction!(run::verify_receipt, m)?)?;
    errors::register(m)?;
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    m.add("MAX_AUDIT_EVENTS", audit::MAX_KEPT_EVENTS)?;
    Ok(())
}
