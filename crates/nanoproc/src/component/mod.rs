//! Component-model values at the edges of nanoproc.
//!
//! Components take and return typed WIT values ([`wasmtime::component::Val`]); people and
//! scripts speak JSON. [`json`] converts between the two, driven by the function's WIT
//! types, with one documented mapping (`docs/component-json.md`) and errors that name the
//! JSON path of the offending value.

pub mod json;
