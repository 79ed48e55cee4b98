//! The cases, one module per category. Each module has a `cases()` list and one function
//! per attack.

pub mod abi;
pub mod c_abi;
pub mod component;
pub mod cpu;
pub mod environment;
pub mod fs;
pub mod host_fn;
pub mod integrity;
pub mod memory;
pub mod module;
pub mod net;
pub mod output;
pub mod trap;

/// A WASI preview 1 command: `body` is WAT inside the module, which already has one page
/// of exported memory, `proc_exit` as `$exit` and `fd_write` as `$fd_write`.
pub fn command(body: &str) -> String {
    format!(
        r#"(module
  (import "wasi_snapshot_preview1" "proc_exit" (func $exit (param i32)))
  (import "wasi_snapshot_preview1" "fd_write" (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (memory (export "memory") 1)
  {body})"#
    )
}

/// A plugin module (ABI version 1): one page of exported memory, the `nanoproc` imports
/// (`$fail`, `$log`, `$config_get`), an allocator whose body is `alloc` (WAT returning an
/// i32 from the requested length in local 0), and `body` (more WAT, e.g. the functions).
pub fn plugin(alloc: &str, body: &str) -> String {
    plugin_with("", alloc, body)
}

/// [`plugin`] with more `imports` (WAT import fields, e.g. host functions).
pub fn plugin_with(imports: &str, alloc: &str, body: &str) -> String {
    format!(
        r#"(module
  (import "nanoproc" "fail" (func $fail (param i32 i32)))
  (import "nanoproc" "log" (func $log (param i32 i32 i32)))
  (import "nanoproc" "config_get" (func $config_get (param i32 i32 i32 i32) (result i64)))
  {imports}
  (memory (export "memory") 1)
  (func (export "nanoproc_abi_version") (result i32) i32.const 1)
  (func (export "nanoproc_alloc") (param i32) (result i32) {alloc})
  {body})"#
    )
}
