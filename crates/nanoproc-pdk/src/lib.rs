//! Write nanoproc plugins in Rust.
//!
//! A nanoproc **plugin** is a WebAssembly module whose exported functions take bytes and return
//! bytes; a host loads it into a deny-by-default sandbox and calls those functions. This crate
//! is the guest side of that ABI (`docs/abi.md`, version [`abi::ABI_VERSION`]): it provides the
//! allocator and version exports the host expects, macros that turn ordinary Rust functions into
//! plugin functions, and wrappers for what the host offers (configuration, logging, host
//! functions).
//!
//! # Setup
//!
//! A plugin is a `cdylib` crate compiled for `wasm32-unknown-unknown` (or `wasm32-wasip1` when
//! it needs files, clocks or randomness through WASI):
//!
//! ```toml
//! [package]
//! name = "count_vowels"
//! version = "0.1.0"
//! edition = "2024"
//!
//! [lib]
//! crate-type = ["cdylib"]
//!
//! [dependencies]
//! nanoproc-pdk = { path = "../nanoproc/crates/nanoproc-pdk" }
//! serde = { version = "1", features = ["derive"] } # only for export_json!
//!
//! [profile.release]
//! opt-level = "s"
//! lto = true
//! codegen-units = 1
//! strip = true
//! panic = "abort"
//! ```
//!
//! ```sh
//! rustup target add wasm32-unknown-unknown
//! cargo build --release --target wasm32-unknown-unknown
//! nanoproc call target/wasm32-unknown-unknown/release/count_vowels.wasm count_vowels --input 'Hello, World!'
//! ```
//!
//! # A complete plugin
//!
//! ```
//! use nanoproc_pdk::{Error, Result, config, log};
//! use serde::{Deserialize, Serialize};
//!
//! // Bytes in, bytes out: exported as `count_vowels`.
//! fn count_vowels(input: Vec<u8>) -> Result<Vec<u8>> {
//!     let vowels = config::get("vowels").unwrap_or_else(|| "aeiouAEIOU".to_string());
//!     let count = input.iter().filter(|b| vowels.as_bytes().contains(b)).count();
//!     log::debug(format!("{count} vowels in {} bytes", input.len()));
//!     Ok(format!(r#"{{"count":{count},"total":{}}}"#, input.len()).into_bytes())
//! }
//! nanoproc_pdk::export!(count_vowels);
//!
//! // JSON in, JSON out: exported as `greet`.
//! #[derive(Deserialize)]
//! struct Person {
//!     name: String,
//! }
//!
//! #[derive(Serialize)]
//! struct Greeting {
//!     message: String,
//! }
//!
//! fn greet(person: Person) -> Result<Greeting> {
//!     if person.name.is_empty() {
//!         return Err(Error::new("name must not be empty"));
//!     }
//!     Ok(Greeting { message: format!("hello, {}", person.name) })
//! }
//! nanoproc_pdk::export_json!(greet);
//!
//! // A function the host provides (it must be granted: `--allow-host-fn host::kv_get`).
//! nanoproc_pdk::host_fn!(host::kv_get);
//!
//! fn lookup(key: Vec<u8>) -> Result<Vec<u8>> {
//!     kv_get(&key)
//! }
//! nanoproc_pdk::export!(lookup);
//! # fn main() {
//! #     // Compiled natively (as this example is), the functions are plain Rust functions.
//! #     assert_eq!(
//! #         count_vowels(b"Hello".to_vec()).expect("counts"),
//! #         br#"{"count":2,"total":5}"#.to_vec()
//! #     );
//! #     assert!(greet(Person { name: String::new() }).is_err());
//! #     assert!(lookup(b"k".to_vec()).is_err()); // no host outside nanoproc
//! # }
//! ```
//!
//! # How calls work
//!
//! - The host writes a function's input into a block it gets from [`abi::nanoproc_alloc`]; the
//!   export glue takes ownership of it as a `Vec<u8>` and frees it after the call.
//! - The function's output `Vec<u8>` is kept in a static slot, so the host can copy it after
//!   the function returns, and freed when the next exported function is called. Repeated calls
//!   on one instance therefore do not leak.
//! - Returning `Err(e)` calls the `nanoproc::fail` import with `e`'s message: the call fails with
//!   that message and its output is ignored.
//! - A panic logs `plugin panicked: ...` at error level through [`log`], then traps
//!   (`panic = "abort"`): the call fails with a trap.
//!
//! # Outside `wasm32`
//!
//! The crate also compiles for the host target, so plugin logic can be unit-tested with a plain
//! `cargo test`. There, the macros only type-check the functions (nothing is exported),
//! [`config`] reports that it only works inside nanoproc ([`config::get`] returns `None`),
//! [`log`] discards messages, and [`host_fn!`] functions return an error.

#![warn(missing_docs)]

pub mod abi;
pub mod config;
mod error;
pub mod log;
mod sys;

#[doc(hidden)]
#[path = "glue.rs"]
pub mod __private;

pub use error::{Error, Result};

/// Exports functions of type `fn(Vec<u8>) -> Result<Vec<u8>, E>` as plugin functions.
///
/// `E` is [`Error`] or anything that converts into it (`String`, `&str`, any
/// [`std::error::Error`]).
///
/// ```
/// fn shout(input: Vec<u8>) -> nanoproc_pdk::Result<Vec<u8>> {
///     Ok(input.to_ascii_uppercase())
/// }
/// fn whisper(input: Vec<u8>) -> nanoproc_pdk::Result<Vec<u8>> {
///     Ok(input.to_ascii_lowercase())
/// }
/// mod inner {
///     pub fn hello(_: Vec<u8>) -> Result<Vec<u8>, String> {
///         Ok(b"hello".to_vec())
///     }
/// }
///
/// nanoproc_pdk::export!(shout, whisper); // exported as `shout` and `whisper`
/// nanoproc_pdk::export!(inner::hello as "say-hello"); // any path, any export name
/// # fn main() {}
/// ```
///
/// For each function, compiled for `wasm32`, this generates (inside an anonymous `const _`
/// block, so nothing is added to your namespace and the Rust function keeps its name)
///
/// ```ignore
/// #[unsafe(export_name = "shout")]
/// extern "C" fn __nanoproc_export(ptr: i32, len: i32) -> i64
/// ```
///
/// which takes ownership of the input the host wrote at `ptr` (freed after the call), calls the
/// function, and returns its output as `(out_ptr << 32) | out_len`; the output stays alive until
/// the next exported call. On `Err(e)` it calls `nanoproc::fail` with `e`'s message and returns
/// `0`.
///
/// The export name is also a linker symbol: avoid names of C library functions (`log`, `exp`,
/// `malloc`, ...) in plugins that link the C library or use floating-point math.
///
/// On other targets only the function's type is checked.
#[macro_export]
macro_rules! export {
    (@bytes $func:path, [$($name:tt)*]) => {
        const _: () = {
            #[cfg(target_arch = "wasm32")]
            #[unsafe(export_name = $($name)*)]
            extern "C" fn __nanoproc_export(ptr: i32, len: i32) -> i64 {
                // SAFETY: only the host calls this export, passing (0, 0) or an input block
                // from nanoproc_alloc, as docs/abi.md prescribes.
                unsafe { $crate::__private::call_bytes(ptr, len, $func) }
            }
            #[cfg(not(target_arch = "wasm32"))]
            $crate::__private::check_bytes($func);
        };
    };
    ($($func:ident),+ $(,)?) => {
        $( $crate::export!(@bytes $func, [stringify!($func)]); )+
    };
    ($func:path as $name:literal) => {
        $crate::export!(@bytes $func, [$name]);
    };
}

/// Exports functions of type `fn(In) -> Result<Out, E>` as plugin functions that take and return
/// JSON, with `In: serde::de::DeserializeOwned` and `Out: serde::Serialize`.
///
/// The input bytes are decoded with `serde_json` (an empty input decodes as `null`, so `In` may
/// be `()` or an `Option`); input that does not decode fails the call with
/// `NAME: invalid JSON input: <serde_json error>` (or `... the input is empty`). The output is encoded compactly. Otherwise
/// it behaves as [`export!`], including the `path as "name"` form.
///
/// ```
/// use serde::{Deserialize, Serialize};
///
/// #[derive(Deserialize)]
/// struct Add {
///     a: i64,
///     b: i64,
/// }
///
/// #[derive(Serialize)]
/// struct Sum {
///     sum: i64,
/// }
///
/// fn add(input: Add) -> nanoproc_pdk::Result<Sum> {
///     let sum = input.a.checked_add(input.b).ok_or("overflow")?;
///     Ok(Sum { sum })
/// }
///
/// nanoproc_pdk::export_json!(add); // {"a":1,"b":2} -> {"sum":3}
/// # fn main() {}
/// ```
#[macro_export]
macro_rules! export_json {
    (@json $func:path, [$($name:tt)*]) => {
        const _: () = {
            #[cfg(target_arch = "wasm32")]
            #[unsafe(export_name = $($name)*)]
            extern "C" fn __nanoproc_export(ptr: i32, len: i32) -> i64 {
                // SAFETY: only the host calls this export, passing (0, 0) or an input block
                // from nanoproc_alloc, as docs/abi.md prescribes.
                unsafe { $crate::__private::call_json($($name)*, ptr, len, $func) }
            }
            #[cfg(not(target_arch = "wasm32"))]
            $crate::__private::check_json($func);
        };
    };
    ($($func:ident),+ $(,)?) => {
        $( $crate::export_json!(@json $func, [stringify!($func)]); )+
    };
    ($func:path as $name:literal) => {
        $crate::export_json!(@json $func, [$name]);
    };
}

/// Declares a function the host provides, as a Rust function
/// `fn NAME(input: &[u8]) -> nanoproc_pdk::Result<Vec<u8>>`.
///
/// ```
/// nanoproc_pdk::host_fn!(host::kv_get); // imports `kv_get` from wasm module `host`
/// nanoproc_pdk::host_fn!(
///     /// Looks a key up in the host's store.
///     pub host::kv_lookup
/// );
/// nanoproc_pdk::host_fn!(pub(crate) extern "kv-store"::put); // any module name, as a string
///
/// fn cached(key: Vec<u8>) -> nanoproc_pdk::Result<Vec<u8>> {
///     let value = kv_get(&key)?;
///     Ok(value)
/// }
/// nanoproc_pdk::export!(cached);
/// # fn main() {}
/// ```
///
/// Compiled for `wasm32`, the function calls the import `NAME` of wasm module `MODULE` with the
/// input's `(ptr, len)` (`(0, 0)` when empty) and gets `(out_ptr << 32) | out_len` back. The
/// host wrote the output into a block it obtained from this plugin's
/// [`nanoproc_alloc`](abi::nanoproc_alloc), so the function takes ownership of it as a
/// `Vec<u8>` without copying. A host function that fails traps the whole call, so on `wasm32`
/// the result is always `Ok` for a well-behaved host; outside `wasm32` it is always an error
/// saying the function only works inside nanoproc.
///
/// The host links a host function only if the plugin's policy grants it
/// (`nanoproc call --allow-host-fn host::kv_get`); a plugin importing one that is not granted
/// fails to load, whether or not it ever calls it.
///
/// The module is written `host::NAME` for the usual `host` module and `extern "MODULE"::NAME`
/// for any other (a `macro_rules!` macro cannot turn an identifier into the string the
/// `#[link(wasm_import_module)]` attribute needs).
#[macro_export]
macro_rules! host_fn {
    (@import [$($attr:tt)*] [$vis:vis] $module:literal, $name:ident) => {
        $($attr)*
        $vis fn $name(input: &[u8]) -> $crate::Result<::std::vec::Vec<u8>> {
            #[cfg(target_arch = "wasm32")]
            {
                #[link(wasm_import_module = $module)]
                unsafe extern "C" {
                    #[link_name = stringify!($name)]
                    fn import(ptr: i32, len: i32) -> i64;
                }
                // SAFETY: (ptr, len) describe `input`, which outlives the call.
                let call = |ptr, len| unsafe { import(ptr, len) };
                // SAFETY: per docs/abi.md the host writes a host function's output into a
                // block from this plugin's nanoproc_alloc(out_len).
                unsafe { $crate::__private::call_host($module, stringify!($name), input, call) }
            }
            #[cfg(not(target_arch = "wasm32"))]
            {
                let _ = input;
                $crate::__private::host_fn_unavailable($module, stringify!($name))
            }
        }
    };
    ($(#[$attr:meta])* $vis:vis host :: $name:ident) => {
        $crate::host_fn!(@import [$(#[$attr])*] [$vis] "host", $name);
    };
    ($(#[$attr:meta])* $vis:vis extern $module:literal :: $name:ident) => {
        $crate::host_fn!(@import [$(#[$attr])*] [$vis] $module, $name);
    };
    ($(#[$attr:meta])* $vis:vis $module:ident :: $name:ident) => {
        ::core::compile_error!(::core::concat!(
            "host_fn!: write the module as a string: host_fn!(extern \"",
            ::core::stringify!($module),
            "\"::",
            ::core::stringify!($name),
            ")"
        ));
    };
}
