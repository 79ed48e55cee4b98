//! Components: typed WIT interfaces, WASI preview 2, any world.
//!
//! A component declares in WIT exactly which interfaces it imports, so its policy can grant
//! them one by one, and it is called with typed values instead of raw bytes.
//!
//! * [`Component`] loads a component of any world and calls its exported functions with
//!   dynamic values ([`Val`](wasmtime::component::Val)) or JSON ([`json`]), each call in a
//!   fresh sandbox by default; [`ComponentInstance::with`] runs typed calls through bindings
//!   that `wasmtime::component::bindgen!` generated for your own world.
//! * Components of the `nanoproc:plugin` world (`wit/plugin.wit`) are plugins: load them with
//!   [`crate::plugin::Plugin`] like a core-module plugin.
//!
//! People and scripts speak JSON; [`json`] converts between JSON and WIT values, driven by the
//! function's WIT types, with one documented mapping (`docs/component-json.md`) and errors
//! that name the JSON path of the offending value.

mod dynamic;
pub mod json;
mod runtime;
pub(crate) mod store;

pub(crate) use dynamic::link;
pub use dynamic::{Component, ComponentBuilder, ComponentInstance, ExportedFunction};
pub use store::{CallFuture, ComponentState, ComponentStore, Ext};
