//! C ABI misuse: what a buggy or hostile C host (or an SDK built on `include/nanoproc.h`)
//! can do to nanoproc through the `extern "C"` functions of `crates/nanoproc-capi`, called
//! here directly: NULL, freed, double-freed, wrong-type and forged handles, strings that are
//! not UTF-8, NULL data with a length, out-of-range enums and flags, concurrent and
//! re-entrant calls on one instance, host-call pointers kept past their callback, frees
//! while a call runs, builders built twice, host functions failing without a message.
//!
//! Every case also checks that `nanoproc_live_objects()` is back to where it was: nothing
//! the misuse touched was leaked or freed twice.

use crate::expect::{End, Expect, Got};
use crate::{Case, Category, Ctx};
use nanoproc_capi::buf::{nanoproc_buf, nanoproc_buf_free};
use nanoproc_capi::engine::{
    NANOPROC_ENGINE_NO_CACHE, nanoproc_engine, nanoproc_engine_free, nanoproc_engine_new,
};
use nanoproc_capi::error::{
    nanoproc_error, nanoproc_error_detail, nanoproc_error_exit_code, nanoproc_error_free,
    nanoproc_error_get_kind, nanoproc_error_kind as K, nanoproc_error_message,
};
use nanoproc_capi::host_fn::{
    nanoproc_host_call, nanoproc_host_call_plugin, nanoproc_host_call_remaining_ms,
    nanoproc_host_call_set_error, nanoproc_host_call_set_output, nanoproc_host_call_should_stop,
};
use nanoproc_capi::nanoproc_live_objects;
use nanoproc_capi::plugin::{
    nanoproc_cancel, nanoproc_cancel_cancel, nanoproc_cancel_free, nanoproc_cancel_new,
    nanoproc_instance, nanoproc_instance_call, nanoproc_instance_free, nanoproc_plugin,
    nanoproc_plugin_builder_build, nanoproc_plugin_builder_free, nanoproc_plugin_builder_host_fn,
    nanoproc_plugin_builder_name, nanoproc_plugin_builder_new, nanoproc_plugin_builder_policy,
    nanoproc_plugin_builder_wasm_bytes, nanoproc_plugin_builder_wasm_file, nanoproc_plugin_call,
    nanoproc_plugin_free, nanoproc_plugin_function_count, nanoproc_plugin_instance,
};
use nanoproc_capi::policy::{
    nanoproc_policy_builder_allow_host_fn, nanoproc_policy_builder_env,
    nanoproc_policy_builder_free, nanoproc_policy_builder_new, nanoproc_policy_builder_stderr,
    nanoproc_policy_builder_stdin, nanoproc_policy_builder_stdout,
    nanoproc_policy_builder_validate,
};
use nanoproc_capi::run::{
    nanoproc_outcome, nanoproc_outcome_error, nanoproc_outcome_exit_code, nanoproc_outcome_free,
    nanoproc_outcome_json, nanoproc_run_bytes, nanoproc_run_file,
};
use std::ffi::{CStr, CString, c_char, c_void};
use std::os::unix::ffi::OsStrExt;
use std::path::Path;
use std::ptr::{null, null_mut};
use std::sync::atomic::{AtomicBool, AtomicI32, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

const C: Category = Category::CAbi;
const INVALID: K = K::NANOPROC_ERROR_INVALID_ARGUMENT;

/// The C ABI cases.
pub fn cases() -> Vec<Case> {
    vec![
        Case::new(
            "capi.null_handles",
            C,
            "a C host passes NULL for every kind of handle: engine, policy builder, plugin builder, plugin, instance, cancel token, outcome, error, buffer, host call",
            "every entry point looks its handles up before use: NULL is an error naming the argument; frees and accessors of NULL do nothing",
            Expect::CError(INVALID, "`plugin` is NULL"),
            null_handles,
        ),
        Case::new(
            "capi.use_after_free",
            C,
            "a handle of each kind used after its `_free`, with a new object of the same kind made in between (where the allocator likes to put it)",
            "a handle is a registry token whose address stays out of circulation for 16,384 frees: a freed handle is unknown, never the newer object",
            Expect::CError(INVALID, "not a live nanoproc_plugin"),
            use_after_free,
        ),
        Case::new(
            "capi.double_free",
            C,
            "every kind of handle freed twice (engine, policy builder, plugin builder, plugin, instance, cancel token, outcome, error) and a buffer freed twice, new objects made between the frees",
            "a free removes the handle from the registry and a second free of an unknown handle does nothing: the newer objects stay intact",
            Expect::Returned,
            double_free,
        )
        .isolated(),
        Case::new(
            "capi.wrong_type",
            C,
            "an engine passed as a plugin, a plugin as a cancel token, a policy builder as an engine, and each freed with another type's `_free`",
            "the registry records each handle's type: a mismatch is an error naming both types, a mismatched free does nothing",
            Expect::CError(INVALID, "is a nanoproc_engine, not a nanoproc_plugin"),
            wrong_type,
        ),
        Case::new(
            "capi.forged_pointer",
            C,
            "pointers nanoproc never handed out used as handles and freed: 0x1, 0xdeadbeef0, a stack address, a heap block of the host's, the top of the address space",
            "handles are looked up, never dereferenced: an unknown address is an error and its free does nothing",
            Expect::CError(INVALID, "never came from nanoproc"),
            forged_pointer,
        )
        .isolated(),
        Case::new(
            "capi.non_utf8",
            C,
            "strings that are not UTF-8: a function name given with its length, an environment variable, a plugin name, a module path",
            "every string is checked before use and refused, naming the argument",
            Expect::CError(INVALID, "`function` is not UTF-8"),
            non_utf8,
        ),
        Case::new(
            "capi.null_data_with_length",
            C,
            "NULL data with a non-zero length (call input, stdin, module bytes, a host function's output) and a real pointer with length SIZE_MAX",
            "lengths are checked against NULL and `isize::MAX` before a byte is read",
            Expect::CError(INVALID, "`input` is NULL but its length is 4096"),
            null_data_with_length,
        ),
        Case::new(
            "capi.output_mode_out_of_range",
            C,
            "output modes 3, -1 and INT_MAX for stdout and stderr (out of range for the C enum)",
            "modes arrive as integers and are checked against the three defined values: no invalid enum value is ever formed",
            Expect::CError(INVALID, "output mode 3 is not a nanoproc_output_mode"),
            output_mode_out_of_range,
        ),
        Case::new(
            "capi.unknown_engine_flags",
            C,
            "engine flags with undefined bits (0x8, 0xffffffff)",
            "unknown bits are refused and named, not ignored; nothing is written to the out-pointer",
            Expect::CError(INVALID, "unknown engine flags 0x8"),
            unknown_engine_flags,
        ),
        Case::new(
            "capi.busy_instance",
            C,
            "a second thread calls an instance while its first call runs (blocked in a host function)",
            "an instance runs one call at a time: the second is refused at once, neither queued nor run on the same store; the first completes",
            Expect::CError(INVALID, "`instance` is busy with another call"),
            busy_instance,
        ),
        Case::new(
            "capi.reentrant_instance",
            C,
            "a host function calls back into the instance whose call it is serving",
            "refused like any concurrent call (no deadlock, no second alias of the store); the outer call completes",
            Expect::CError(INVALID, "`instance` is busy with another call"),
            reentrant_instance,
        ),
        Case::new(
            "capi.stale_host_call",
            C,
            "a host function keeps its `nanoproc_host_call *` and uses it after returning: from the host's thread, and in the next callback (same stack address)",
            "a host-call pointer is a handle valid only during its callback and on its thread: every later use returns false (NULL, -1, stop)",
            Expect::Returned,
            stale_host_call,
        ),
        Case::new(
            "capi.free_plugin_during_call",
            C,
            "another thread frees the plugin, and a host function frees the instance it serves, while their calls run",
            "a call holds its own reference: it completes with the right output; the host function's user data is freed exactly once, after the last call",
            Expect::Returned,
            free_during_call,
        ),
        Case::new(
            "capi.build_twice",
            C,
            "a plugin builder built a second time, and configured after it was built",
            "building consumes the builder, successful or not: later uses are errors, not a second plugin from freed state",
            Expect::CError(INVALID, "not a live nanoproc_plugin_builder"),
            build_twice,
        ),
        Case::new(
            "capi.host_error_without_message",
            C,
            "a host function returns a non-zero status without setting a message",
            "the plugin's call fails with the host-function error kind, naming the function and the status",
            Expect::CError(K::NANOPROC_ERROR_HOST_FUNCTION, "returned status 7"),
            host_error_without_message,
        ),
    ]
}

// ---------------------------------------------------------------------------------------
// Helpers

/// An error object read and freed: kind, message, exit code.
type Taken = (K, String, i32);

/// Reads and frees `e`; `None` for NULL (success).
fn take(e: *mut nanoproc_error) -> Option<Taken> {
    if e.is_null() {
        return None;
    }
    let kind = nanoproc_error_get_kind(e);
    let message = text(nanoproc_error_message(e));
    let exit_code = nanoproc_error_exit_code(e);
    nanoproc_error_free(e);
    Some((kind, message, exit_code))
}

fn text(p: *const c_char) -> String {
    if p.is_null() {
        return String::new();
    }
    // SAFETY: nanoproc returns NUL-terminated strings, valid until their owner is freed.
    unsafe { CStr::from_ptr(p) }.to_string_lossy().into_owned()
}

/// The case's observed end, from an error object (NULL: the call returned `output`).
fn got(e: *mut nanoproc_error, output: Vec<u8>) -> Got {
    match take(e) {
        None => Got::bare(End::Returned(output)),
        Some((kind, message, exit_code)) => Got::bare(End::CFailed {
            kind,
            message,
            exit_code,
        }),
    }
}

/// `e` must be an error of `kind` whose message contains `phrase`.
fn refused(what: &str, e: *mut nanoproc_error, kind: K, phrase: &str) -> Result<(), String> {
    match take(e) {
        None => Err(format!("{what}: succeeded; expected {kind:?}")),
        Some((k, m, _)) if k == kind && m.contains(phrase) => Ok(()),
        Some((k, m, _)) => Err(format!(
            "{what}: expected {kind:?} with “{phrase}”, got {k:?}: {m}"
        )),
    }
}

/// `e` must be NULL.
fn ok(what: &str, e: *mut nanoproc_error) -> Result<(), String> {
    match take(e) {
        None => Ok(()),
        Some((k, m, _)) => Err(format!("{what}: {k:?}: {m}")),
    }
}

fn cpath(p: &Path) -> CString {
    CString::new(p.as_os_str().as_bytes()).unwrap_or_default()
}

/// The live-object count when the case started: `check` fails if it is not back there.
struct Baseline(usize);

impl Baseline {
    fn now() -> Self {
        Baseline(nanoproc_live_objects())
    }

    fn check(&self) -> Result<(), String> {
        let now = nanoproc_live_objects();
        if now == self.0 {
            Ok(())
        } else {
            Err(format!(
                "nanoproc_live_objects() is {now}, not {} as before the case: handles leaked or lost",
                self.0
            ))
        }
    }
}

/// A handle freed when dropped (so a failing case still cleans up).
struct Owned<T> {
    ptr: *mut T,
    free: extern "C" fn(*mut T),
}

impl<T> Owned<T> {
    fn new(ptr: *mut T, free: extern "C" fn(*mut T)) -> Self {
        Owned { ptr, free }
    }
}

impl<T> Drop for Owned<T> {
    fn drop(&mut self) {
        (self.free)(self.ptr);
    }
}

/// An engine without a compile cache (nothing written outside the case).
fn new_engine() -> Result<Owned<nanoproc_engine>, String> {
    let mut e = null_mut();
    // SAFETY: a valid out-pointer.
    ok("engine", unsafe {
        nanoproc_engine_new(NANOPROC_ENGINE_NO_CACHE, null(), &mut e)
    })?;
    Ok(Owned::new(e, nanoproc_engine_free))
}

/// What a host function registered by these cases does, and what it saw.
#[derive(Default)]
struct Host {
    calls: AtomicUsize,
    freed: AtomicUsize,
    /// Non-zero: return this status (without a message).
    status: AtomicI32,
    /// Block until `release` (after setting `entered`).
    block: AtomicBool,
    entered: AtomicBool,
    release: AtomicBool,
    /// An instance to call back into (its address), and what that gave.
    reenter: AtomicUsize,
    reentered: Mutex<Option<Taken>>,
    /// An instance to free from inside the callback (its address).
    free_instance: AtomicUsize,
    /// The call pointer of the previous callback, and whether using it in this one failed.
    kept: AtomicUsize,
    stale_refused: AtomicBool,
    /// Whether `nanoproc_host_call_set_output(call, NULL, 3)` was refused.
    null_output_refused: AtomicBool,
}

/// `host::greet`: answers "hello, " + input (see [`Host`] for the misbehaviours).
unsafe extern "C" fn greet(
    data: *mut c_void,
    call: *mut nanoproc_host_call,
    input: *const u8,
    len: usize,
) -> i32 {
    // SAFETY: the cases register an `Arc<Host>` that outlives the plugin.
    let host = unsafe { &*(data as *const Host) };
    host.calls.fetch_add(1, Ordering::SeqCst);
    let kept = host.kept.swap(call as usize, Ordering::SeqCst) as *mut nanoproc_host_call;
    if !kept.is_null() {
        // SAFETY: any pointer may be passed; nanoproc checks it.
        let refused = unsafe { !nanoproc_host_call_set_output(kept, b"stale".as_ptr(), 5) }
            && nanoproc_host_call_plugin(kept).is_null()
            && nanoproc_host_call_should_stop(kept);
        host.stale_refused.store(refused, Ordering::SeqCst);
    }
    let reenter = host.reenter.load(Ordering::SeqCst) as *const nanoproc_instance;
    if !reenter.is_null() {
        let mut out = nanoproc_buf {
            data: null_mut(),
            len: 0,
        };
        // SAFETY: valid name and output; the instance pointer is checked by nanoproc.
        let e = unsafe {
            nanoproc_instance_call(
                reenter,
                c"call_host".as_ptr(),
                9,
                null(),
                0,
                null(),
                &mut out,
            )
        };
        if let Ok(mut r) = host.reentered.lock() {
            *r = take(e);
        }
        // SAFETY: `out` is a buffer nanoproc wrote.
        unsafe { nanoproc_buf_free(&mut out) };
    }
    // SAFETY: NULL with a length: what is tested; nothing may be read.
    let null_output = unsafe { nanoproc_host_call_set_output(call, null(), 3) };
    host.null_output_refused
        .store(!null_output, Ordering::SeqCst);
    let inst = host.free_instance.swap(0, Ordering::SeqCst);
    if inst != 0 {
        nanoproc_instance_free(inst as *mut nanoproc_instance);
    }
    if host.block.load(Ordering::SeqCst) {
        host.entered.store(true, Ordering::SeqCst);
        while !host.release.load(Ordering::SeqCst) {
            std::thread::sleep(Duration::from_millis(1));
        }
    }
    let status = host.status.load(Ordering::SeqCst);
    if status != 0 {
        return status;
    }
    // SAFETY: nanoproc passes `len` readable bytes.
    let input = unsafe { std::slice::from_raw_parts(input, len) };
    let mut out = b"hello, ".to_vec();
    out.extend_from_slice(input);
    // SAFETY: `out` is readable for its length.
    unsafe { nanoproc_host_call_set_output(call, out.as_ptr(), out.len()) };
    0
}

unsafe extern "C" fn host_free(data: *mut c_void) {
    // SAFETY: as in `greet`.
    let host = unsafe { &*(data as *const Host) };
    host.freed.fetch_add(1, Ordering::SeqCst);
}

/// `call_host.wasm` (or `echo.wasm` without `host`) on `engine`, with `host::greet` served by
/// `host` and granted.
fn plugin(
    cx: &Ctx,
    engine: &Owned<nanoproc_engine>,
    host: Option<&Arc<Host>>,
) -> Result<Owned<nanoproc_plugin>, String> {
    let mut b = null_mut();
    // SAFETY: valid out-pointer, NUL-terminated strings.
    unsafe {
        ok("builder", nanoproc_plugin_builder_new(engine.ptr, &mut b))?;
        let file = cx.env.plugin_path(if host.is_some() {
            "call_host.wasm"
        } else {
            "echo.wasm"
        });
        let builder = Owned::new(b, nanoproc_plugin_builder_free);
        ok(
            "wasm file",
            nanoproc_plugin_builder_wasm_file(builder.ptr, cpath(&file).as_ptr()),
        )?;
        if let Some(host) = host {
            ok(
                "host fn",
                nanoproc_plugin_builder_host_fn(
                    builder.ptr,
                    c"host".as_ptr(),
                    c"greet".as_ptr(),
                    Some(greet),
                    Arc::as_ptr(host) as *mut c_void,
                    Some(host_free),
                ),
            )?;
            let policy = Owned::new(nanoproc_policy_builder_new(), nanoproc_policy_builder_free);
            ok(
                "grant",
                nanoproc_policy_builder_allow_host_fn(policy.ptr, c"host::greet".as_ptr()),
            )?;
            ok(
                "policy",
                nanoproc_plugin_builder_policy(builder.ptr, policy.ptr),
            )?;
        }
        let mut p = null_mut();
        let e = nanoproc_plugin_builder_build(builder.ptr, &mut p);
        drop(builder); // built: the free is ignored
        ok("build", e)?;
        Ok(Owned::new(p, nanoproc_plugin_free))
    }
}

/// Calls `function` of `plugin` with `input`: the error (if any) and the output.
fn call(
    plugin: *const nanoproc_plugin,
    function: &str,
    input: &[u8],
) -> (*mut nanoproc_error, Vec<u8>) {
    let mut out = nanoproc_buf {
        data: null_mut(),
        len: 0,
    };
    // SAFETY: name and input valid for their lengths; `out` writable.
    let e = unsafe {
        nanoproc_plugin_call(
            plugin,
            function.as_ptr().cast(),
            function.len(),
            input.as_ptr(),
            input.len(),
            null(),
            &mut out,
        )
    };
    (e, take_buf(&mut out))
}

fn icall(
    instance: *const nanoproc_instance,
    function: &str,
    input: &[u8],
) -> (*mut nanoproc_error, Vec<u8>) {
    let mut out = nanoproc_buf {
        data: null_mut(),
        len: 0,
    };
    // SAFETY: as in `call`.
    let e = unsafe {
        nanoproc_instance_call(
            instance,
            function.as_ptr().cast(),
            function.len(),
            input.as_ptr(),
            input.len(),
            null(),
            &mut out,
        )
    };
    (e, take_buf(&mut out))
}

/// The bytes of `buf`, which is then freed.
fn take_buf(buf: &mut nanoproc_buf) -> Vec<u8> {
    let bytes = if buf.data.is_null() {
        Vec::new()
    } else {
        // SAFETY: nanoproc wrote `len` bytes at `data`.
        unsafe { std::slice::from_raw_parts(buf.data, buf.len) }.to_vec()
    };
    // SAFETY: a buffer nanoproc wrote.
    unsafe { nanoproc_buf_free(buf) };
    bytes
}

fn instance(plugin: &Owned<nanoproc_plugin>) -> Result<Owned<nanoproc_instance>, String> {
    let mut i = null_mut();
    // SAFETY: valid out-pointer.
    ok("instance", unsafe {
        nanoproc_plugin_instance(plugin.ptr, &mut i)
    })?;
    Ok(Owned::new(i, nanoproc_instance_free))
}

fn expect_output(
    what: &str,
    (e, out): (*mut nanoproc_error, Vec<u8>),
    want: &[u8],
) -> Result<(), String> {
    ok(what, e)?;
    if out == want {
        Ok(())
    } else {
        Err(format!(
            "{what}: returned {:?}, not {:?}",
            String::from_utf8_lossy(&out),
            String::from_utf8_lossy(want)
        ))
    }
}

// ---------------------------------------------------------------------------------------
// Cases

fn null_handles(_cx: &Ctx) -> Result<Got, String> {
    let base = Baseline::now();
    let mut out = nanoproc_buf {
        data: null_mut(),
        len: 0,
    };
    let mut b = null_mut();
    let mut o = null_mut();
    // SAFETY: every pointer argument is NULL or valid; NULL handles are what is tested.
    unsafe {
        refused(
            "plugin_builder_new(NULL engine)",
            nanoproc_plugin_builder_new(null(), &mut b),
            INVALID,
            "`engine` is NULL",
        )?;
        refused(
            "policy_builder_env(NULL)",
            nanoproc_policy_builder_env(null_mut(), c"A".as_ptr(), c"B".as_ptr()),
            INVALID,
            "`policy` is NULL",
        )?;
        refused(
            "plugin_builder_wasm_file(NULL)",
            nanoproc_plugin_builder_wasm_file(null_mut(), c"x.wasm".as_ptr()),
            INVALID,
            "`builder` is NULL",
        )?;
        refused(
            "instance_call(NULL)",
            nanoproc_instance_call(null(), c"echo".as_ptr(), 4, null(), 0, null(), &mut out),
            INVALID,
            "`instance` is NULL",
        )?;
        refused(
            "cancel_cancel(NULL)",
            nanoproc_cancel_cancel(null()),
            INVALID,
            "`cancel` is NULL",
        )?;
        refused(
            "outcome_error(NULL)",
            nanoproc_outcome_error(null()),
            INVALID,
            "`outcome` is NULL",
        )?;
        refused(
            "run_file(NULL engine)",
            nanoproc_run_file(null(), c"x.wasm".as_ptr(), null(), &mut o),
            INVALID,
            "`engine` is NULL",
        )?;
        if nanoproc_outcome_exit_code(null()) != 2 || !nanoproc_outcome_json(null()).is_null() {
            return Err("outcome accessors of NULL did not refuse it".into());
        }
        if nanoproc_error_get_kind(null()) != INVALID
            || !nanoproc_error_message(null()).is_null()
            || !nanoproc_error_detail(null()).is_null()
            || nanoproc_error_exit_code(null()) != 2
        {
            return Err("error accessors of NULL did not refuse it".into());
        }
        if nanoproc_host_call_set_output(null_mut(), b"x".as_ptr(), 1)
            || nanoproc_host_call_set_error(null_mut(), c"x".as_ptr())
            || !nanoproc_host_call_should_stop(null_mut())
            || nanoproc_host_call_remaining_ms(null_mut()) != -1
            || !nanoproc_host_call_plugin(null_mut()).is_null()
        {
            return Err("host-call functions accepted NULL".into());
        }
        // Frees of NULL do nothing.
        nanoproc_engine_free(null_mut());
        nanoproc_policy_builder_free(null_mut());
        nanoproc_plugin_builder_free(null_mut());
        nanoproc_plugin_free(null_mut());
        nanoproc_instance_free(null_mut());
        nanoproc_cancel_free(null_mut());
        nanoproc_outcome_free(null_mut());
        nanoproc_error_free(null_mut());
        nanoproc_buf_free(null_mut());
        nanoproc_buf_free(&mut out);
    }
    let (e, output) = call(null(), "echo", b"x");
    let g = got(e, output);
    base.check()?;
    Ok(g)
}

fn use_after_free(cx: &Ctx) -> Result<Got, String> {
    let base = Baseline::now();
    let engine = new_engine()?;
    // Policy builders: free, make another, use the old one.
    let old = nanoproc_policy_builder_new();
    nanoproc_policy_builder_free(old);
    let newer = Owned::new(nanoproc_policy_builder_new(), nanoproc_policy_builder_free);
    // SAFETY: valid strings; the handle is what is tested.
    refused(
        "policy builder after free",
        unsafe { nanoproc_policy_builder_env(old, c"A".as_ptr(), c"B".as_ptr()) },
        INVALID,
        "not a live nanoproc_policy_builder",
    )?;
    ok(
        "the newer policy builder",
        nanoproc_policy_builder_validate(newer.ptr),
    )?;
    // Cancel tokens.
    let old = nanoproc_cancel_new();
    nanoproc_cancel_free(old);
    let _newer = Owned::new(nanoproc_cancel_new(), nanoproc_cancel_free);
    refused(
        "cancel token after free",
        nanoproc_cancel_cancel(old),
        INVALID,
        "not a live nanoproc_cancel",
    )?;
    // Errors: a freed error reads as no error at all.
    let e1 = nanoproc_policy_builder_stdout(newer.ptr, 9);
    nanoproc_error_free(e1);
    let e2 = nanoproc_policy_builder_stdout(newer.ptr, 8);
    let stale = nanoproc_error_message(e1).is_null() && nanoproc_error_exit_code(e1) == 2;
    nanoproc_error_free(e2);
    if !stale {
        return Err("a freed error object still answered".into());
    }
    // Outcomes.
    let mut o = null_mut();
    let wat = br#"(module (func (export "_start")))"#;
    // SAFETY: valid bytes and out-pointer.
    ok("run", unsafe {
        nanoproc_run_bytes(engine.ptr, wat.as_ptr(), wat.len(), null(), null(), &mut o)
    })?;
    nanoproc_outcome_free(o);
    let mut o2 = null_mut();
    // SAFETY: as above.
    ok("run", unsafe {
        nanoproc_run_bytes(engine.ptr, wat.as_ptr(), wat.len(), null(), null(), &mut o2)
    })?;
    let _o2 = Owned::new(o2, nanoproc_outcome_free);
    refused(
        "outcome after free",
        nanoproc_outcome_error(o),
        INVALID,
        "not a live nanoproc_outcome",
    )?;
    // Instances and plugins.
    let p = plugin(cx, &engine, None)?;
    let i = instance(&p)?;
    let old_instance = i.ptr;
    drop(i);
    let _i2 = instance(&p)?;
    refused(
        "instance after free",
        icall(old_instance, "echo", b"x").0,
        INVALID,
        "not a live nanoproc_instance",
    )?;
    let old_plugin = p.ptr;
    drop(p);
    let p2 = plugin(cx, &engine, None)?;
    expect_output("the newer plugin", call(p2.ptr, "echo", b"new"), b"new")?;
    let (e, out) = call(old_plugin, "echo", b"old");
    let g = got(e, out);
    drop((p2, _i2, _o2, _newer, newer, engine));
    base.check()?;
    Ok(g)
}

fn double_free(cx: &Ctx) -> Result<Got, String> {
    let base = Baseline::now();
    let engine = new_engine()?;
    // Each kind: make, free, make a newer one, free the first again, use the newer one.
    let e = new_engine()?;
    let first = e.ptr;
    drop(e);
    let newer_engine = new_engine()?;
    nanoproc_engine_free(first);
    let p = plugin(cx, &newer_engine, None)?;
    expect_output(
        "plugin on the newer engine",
        call(p.ptr, "echo", b"a"),
        b"a",
    )?;

    let pol = nanoproc_policy_builder_new();
    nanoproc_policy_builder_free(pol);
    let newer_pol = Owned::new(nanoproc_policy_builder_new(), nanoproc_policy_builder_free);
    nanoproc_policy_builder_free(pol);
    ok(
        "newer policy builder",
        nanoproc_policy_builder_validate(newer_pol.ptr),
    )?;

    let mut b = null_mut();
    // SAFETY: valid out-pointer.
    ok("builder", unsafe {
        nanoproc_plugin_builder_new(engine.ptr, &mut b)
    })?;
    nanoproc_plugin_builder_free(b);
    let mut b2 = null_mut();
    // SAFETY: as above.
    ok("builder", unsafe {
        nanoproc_plugin_builder_new(engine.ptr, &mut b2)
    })?;
    let newer_builder = Owned::new(b2, nanoproc_plugin_builder_free);
    nanoproc_plugin_builder_free(b);
    // SAFETY: a NUL-terminated string.
    ok("newer builder", unsafe {
        nanoproc_plugin_builder_name(newer_builder.ptr, c"still here".as_ptr())
    })?;

    let i = instance(&p)?;
    let first_instance = i.ptr;
    drop(i);
    let newer_instance = instance(&p)?;
    nanoproc_instance_free(first_instance);
    expect_output(
        "newer instance",
        icall(newer_instance.ptr, "echo", b"b"),
        b"b",
    )?;

    let c = nanoproc_cancel_new();
    nanoproc_cancel_free(c);
    let newer_cancel = Owned::new(nanoproc_cancel_new(), nanoproc_cancel_free);
    nanoproc_cancel_free(c);
    ok("newer cancel", nanoproc_cancel_cancel(newer_cancel.ptr))?;

    let wat = br#"(module (func (export "_start")))"#;
    let mut o = null_mut();
    // SAFETY: valid bytes and out-pointer.
    ok("run", unsafe {
        nanoproc_run_bytes(engine.ptr, wat.as_ptr(), wat.len(), null(), null(), &mut o)
    })?;
    nanoproc_outcome_free(o);
    let mut o2 = null_mut();
    // SAFETY: as above.
    ok("run", unsafe {
        nanoproc_run_bytes(engine.ptr, wat.as_ptr(), wat.len(), null(), null(), &mut o2)
    })?;
    let newer_outcome = Owned::new(o2, nanoproc_outcome_free);
    nanoproc_outcome_free(o);
    if nanoproc_outcome_exit_code(newer_outcome.ptr) != 0 {
        return Err("the newer outcome was lost".into());
    }

    let e1 = nanoproc_policy_builder_stdout(newer_pol.ptr, 9);
    nanoproc_error_free(e1);
    let e2 = nanoproc_policy_builder_stdout(newer_pol.ptr, 8);
    nanoproc_error_free(e1);
    let kept = text(nanoproc_error_message(e2));
    nanoproc_error_free(e2);
    if !kept.contains("output mode 8") {
        return Err(format!("the newer error was lost: {kept:?}"));
    }

    // A buffer freed twice through the same struct: the second free sees {NULL, 0}.
    let mut out = nanoproc_buf {
        data: null_mut(),
        len: 0,
    };
    // SAFETY: valid name, input and output.
    ok("call", unsafe {
        nanoproc_plugin_call(
            p.ptr,
            c"echo".as_ptr(),
            4,
            b"buf".as_ptr(),
            3,
            null(),
            &mut out,
        )
    })?;
    // SAFETY: a buffer nanoproc wrote, freed twice.
    unsafe {
        nanoproc_buf_free(&mut out);
        nanoproc_buf_free(&mut out);
    }
    let (e, output) = call(p.ptr, "echo", b"after the double frees");
    let g = got(e, output);
    drop((
        newer_outcome,
        newer_cancel,
        newer_instance,
        newer_builder,
        newer_pol,
        p,
        newer_engine,
        engine,
    ));
    base.check()?;
    Ok(g)
}

fn wrong_type(cx: &Ctx) -> Result<Got, String> {
    let base = Baseline::now();
    let engine = new_engine()?;
    let p = plugin(cx, &engine, None)?;
    let pol = Owned::new(nanoproc_policy_builder_new(), nanoproc_policy_builder_free);
    let mut count = 0usize;
    refused(
        "plugin as a cancel token",
        nanoproc_cancel_cancel(p.ptr as *const nanoproc_cancel),
        INVALID,
        "is a nanoproc_plugin, not a nanoproc_cancel",
    )?;
    let mut b = null_mut();
    refused(
        "policy builder as an engine",
        // SAFETY: valid out-pointer; the handle is what is tested.
        unsafe { nanoproc_plugin_builder_new(pol.ptr as *const nanoproc_engine, &mut b) },
        INVALID,
        "is a nanoproc_policy_builder, not a nanoproc_engine",
    )?;
    // Mismatched frees do nothing.
    nanoproc_plugin_free(engine.ptr as *mut nanoproc_plugin);
    nanoproc_engine_free(p.ptr as *mut nanoproc_engine);
    nanoproc_outcome_free(pol.ptr as *mut nanoproc_outcome);
    nanoproc_error_free(p.ptr as *mut nanoproc_error);
    // SAFETY: valid out-pointer.
    ok("plugin still there", unsafe {
        nanoproc_plugin_function_count(p.ptr, &mut count)
    })?;
    ok(
        "policy still there",
        nanoproc_policy_builder_validate(pol.ptr),
    )?;
    let p2 = plugin(cx, &engine, None)?; // the engine too
    // SAFETY: valid out-pointer; the handle is what is tested.
    let e =
        unsafe { nanoproc_plugin_function_count(engine.ptr as *const nanoproc_plugin, &mut count) };
    let g = got(e, Vec::new());
    drop((p2, pol, p, engine));
    base.check()?;
    Ok(g)
}

fn forged_pointer(_cx: &Ctx) -> Result<Got, String> {
    let base = Baseline::now();
    let on_stack = 0u64;
    let on_heap = Box::new([0u8; 64]);
    let forged: [usize; 5] = [
        0x1,
        0xd_eadb_eef0,
        &on_stack as *const u64 as usize,
        on_heap.as_ptr() as usize,
        usize::MAX & !0xf,
    ];
    let mut last = None;
    for addr in forged {
        let mut count = 0usize;
        // SAFETY: valid out-pointer; the handle is what is tested (never dereferenced).
        let e =
            unsafe { nanoproc_plugin_function_count(addr as *const nanoproc_plugin, &mut count) };
        let t = take(e).ok_or_else(|| format!("{addr:#x} was taken for a plugin"))?;
        if t.0 != INVALID || !t.1.contains("never came from nanoproc") {
            return Err(format!("{addr:#x}: {:?}: {}", t.0, t.1));
        }
        refused(
            "forged cancel",
            nanoproc_cancel_cancel(addr as *const nanoproc_cancel),
            INVALID,
            "never came from nanoproc",
        )?;
        if nanoproc_error_get_kind(addr as *const nanoproc_error) != INVALID
            || !nanoproc_error_message(addr as *const nanoproc_error).is_null()
        {
            return Err(format!("{addr:#x} was read as an error object"));
        }
        // Frees of forged pointers do nothing.
        nanoproc_plugin_free(addr as *mut nanoproc_plugin);
        nanoproc_engine_free(addr as *mut nanoproc_engine);
        nanoproc_error_free(addr as *mut nanoproc_error);
        nanoproc_outcome_free(addr as *mut nanoproc_outcome);
        last = Some(t);
    }
    // A buffer whose data nanoproc never handed out: ignored, the bytes untouched.
    let mut mine = [7u8; 16];
    let mut foreign = nanoproc_buf {
        data: mine.as_mut_ptr(),
        len: mine.len(),
    };
    // SAFETY: a writable struct; its data is what is tested.
    unsafe { nanoproc_buf_free(&mut foreign) };
    if mine != [7u8; 16] || !foreign.data.is_null() {
        return Err("a foreign buffer was touched".into());
    }
    drop(on_heap);
    base.check()?;
    let (kind, message, exit_code) = last.ok_or("no forged pointer tried")?;
    Ok(Got::bare(End::CFailed {
        kind,
        message,
        exit_code,
    }))
}

fn non_utf8(cx: &Ctx) -> Result<Got, String> {
    let base = Baseline::now();
    let engine = new_engine()?;
    let p = plugin(cx, &engine, None)?;
    let pol = Owned::new(nanoproc_policy_builder_new(), nanoproc_policy_builder_free);
    let bad = b"\xff\xfe\0";
    // SAFETY: NUL-terminated (not UTF-8) strings: what is tested.
    unsafe {
        refused(
            "env name",
            nanoproc_policy_builder_env(pol.ptr, bad.as_ptr().cast(), c"v".as_ptr()),
            INVALID,
            "`name` is not UTF-8",
        )?;
        refused(
            "env value",
            nanoproc_policy_builder_env(pol.ptr, c"N".as_ptr(), c"\xc3\x28".as_ptr()),
            INVALID,
            "`value` is not UTF-8",
        )?;
        let mut b = null_mut();
        ok("builder", nanoproc_plugin_builder_new(engine.ptr, &mut b))?;
        let builder = Owned::new(b, nanoproc_plugin_builder_free);
        refused(
            "plugin name",
            nanoproc_plugin_builder_name(builder.ptr, bad.as_ptr().cast()),
            INVALID,
            "`name` is not UTF-8",
        )?;
        refused(
            "module path",
            nanoproc_plugin_builder_wasm_file(builder.ptr, c"/tmp/\xff.wasm".as_ptr()),
            INVALID,
            "`path` is not UTF-8",
        )?;
    }
    // A function name with its length: the bytes "ech\xff" (no NUL anywhere).
    let name = b"ech\xff";
    let mut buf = nanoproc_buf {
        data: null_mut(),
        len: 0,
    };
    // SAFETY: 4 readable bytes; `buf` writable.
    let e = unsafe {
        nanoproc_plugin_call(p.ptr, name.as_ptr().cast(), 4, null(), 0, null(), &mut buf)
    };
    let g = got(e, take_buf(&mut buf));
    drop((pol, p, engine));
    base.check()?;
    Ok(g)
}

fn null_data_with_length(cx: &Ctx) -> Result<Got, String> {
    let base = Baseline::now();
    let engine = new_engine()?;
    let p = plugin(cx, &engine, None)?;
    let pol = Owned::new(nanoproc_policy_builder_new(), nanoproc_policy_builder_free);
    let mut out = nanoproc_buf {
        data: null_mut(),
        len: 0,
    };
    let real = [0u8; 8];
    // SAFETY: NULL (or an 8-byte buffer) with a lying length: what is tested; nothing is read.
    unsafe {
        refused(
            "stdin",
            nanoproc_policy_builder_stdin(pol.ptr, null(), 10),
            INVALID,
            "`data` is NULL but its length is 10",
        )?;
        let mut b = null_mut();
        ok("builder", nanoproc_plugin_builder_new(engine.ptr, &mut b))?;
        let builder = Owned::new(b, nanoproc_plugin_builder_free);
        refused(
            "module bytes",
            nanoproc_plugin_builder_wasm_bytes(builder.ptr, null(), 100),
            INVALID,
            "`wasm` is NULL but its length is 100",
        )?;
        let mut o = null_mut();
        refused(
            "run bytes",
            nanoproc_run_bytes(engine.ptr, null(), 8, null(), null(), &mut o),
            INVALID,
            "`wasm` is NULL but its length is 8",
        )?;
        refused(
            "input of length SIZE_MAX",
            nanoproc_plugin_call(
                p.ptr,
                c"echo".as_ptr(),
                4,
                real.as_ptr(),
                usize::MAX,
                null(),
                &mut out,
            ),
            INVALID,
            "impossible length",
        )?;
        refused(
            "function name NULL with a length",
            nanoproc_plugin_call(p.ptr, null(), 4, null(), 0, null(), &mut out),
            INVALID,
            "`function` is NULL but its length is 4",
        )?;
    }
    // A host function's output.
    let host = Arc::new(Host::default());
    let hp = plugin(cx, &engine, Some(&host))?;
    expect_output(
        "call_host",
        call(hp.ptr, "call_host", b"z"),
        b"plugin got: hello, z",
    )?;
    if !host.null_output_refused.load(Ordering::SeqCst) {
        return Err("a host function's NULL output with a length was taken".into());
    }
    // SAFETY: as above.
    let e =
        unsafe { nanoproc_plugin_call(p.ptr, c"echo".as_ptr(), 4, null(), 4096, null(), &mut out) };
    let g = got(e, take_buf(&mut out));
    drop((hp, pol, p, engine));
    base.check()?;
    Ok(g)
}

fn output_mode_out_of_range(_cx: &Ctx) -> Result<Got, String> {
    let base = Baseline::now();
    let pol = Owned::new(nanoproc_policy_builder_new(), nanoproc_policy_builder_free);
    for mode in [-1, i32::MAX, i32::MIN] {
        refused(
            "stdout mode",
            nanoproc_policy_builder_stdout(pol.ptr, mode),
            INVALID,
            &format!("output mode {mode} is not"),
        )?;
        refused(
            "stderr mode",
            nanoproc_policy_builder_stderr(pol.ptr, mode),
            INVALID,
            &format!("output mode {mode} is not"),
        )?;
    }
    ok(
        "the builder is intact",
        nanoproc_policy_builder_validate(pol.ptr),
    )?;
    let g = got(nanoproc_policy_builder_stdout(pol.ptr, 3), Vec::new());
    drop(pol);
    base.check()?;
    Ok(g)
}

fn unknown_engine_flags(_cx: &Ctx) -> Result<Got, String> {
    let base = Baseline::now();
    let mut e = std::ptr::dangling_mut::<nanoproc_engine>();
    // SAFETY: a valid out-pointer; the flags are what is tested.
    refused(
        "all bits",
        unsafe { nanoproc_engine_new(u32::MAX, null(), &mut e) },
        INVALID,
        "unknown engine flags 0xfffffff8",
    )?;
    // SAFETY: as above.
    let g = got(
        unsafe { nanoproc_engine_new(0x8, null(), &mut e) },
        Vec::new(),
    );
    if e != std::ptr::dangling_mut::<nanoproc_engine>() {
        return Err("the out-pointer was written on failure".into());
    }
    base.check()?;
    Ok(g)
}

/// Runs `f` on another thread with the raw pointer `p` (addresses cross threads as usize).
fn on_thread<T: Send + 'static>(
    p: usize,
    f: impl FnOnce(usize) -> T + Send + 'static,
) -> std::thread::JoinHandle<T> {
    std::thread::spawn(move || f(p))
}

/// Waits until the host function has been entered (at most 60 s).
fn wait_entered(host: &Host) -> Result<(), String> {
    for _ in 0..60_000 {
        if host.entered.load(Ordering::SeqCst) {
            return Ok(());
        }
        std::thread::sleep(Duration::from_millis(1));
    }
    Err("the host function was never entered".into())
}

fn busy_instance(cx: &Ctx) -> Result<Got, String> {
    let base = Baseline::now();
    let engine = new_engine()?;
    let host = Arc::new(Host::default());
    host.block.store(true, Ordering::SeqCst);
    let p = plugin(cx, &engine, Some(&host))?;
    let i = instance(&p)?;
    let first = on_thread(i.ptr as usize, |i| {
        let (e, out) = icall(i as *const nanoproc_instance, "call_host", b"first");
        (take(e), out)
    });
    wait_entered(&host)?;
    let (e, out) = icall(i.ptr, "call_host", b"second");
    let g = got(e, out);
    host.release.store(true, Ordering::SeqCst);
    let (err, out) = first
        .join()
        .map_err(|_| "the first call's thread panicked")?;
    if let Some((k, m, _)) = err {
        return Err(format!("the first call failed: {k:?}: {m}"));
    }
    if out != b"plugin got: hello, first" {
        return Err(format!(
            "the first call returned {:?}",
            String::from_utf8_lossy(&out)
        ));
    }
    host.block.store(false, Ordering::SeqCst);
    expect_output(
        "a later call",
        icall(i.ptr, "call_host", b"then"),
        b"plugin got: hello, then",
    )?;
    drop((i, p, engine));
    if host.freed.load(Ordering::SeqCst) != 1 {
        return Err("the user data was not freed exactly once".into());
    }
    base.check()?;
    Ok(g)
}

fn reentrant_instance(cx: &Ctx) -> Result<Got, String> {
    let base = Baseline::now();
    let engine = new_engine()?;
    let host = Arc::new(Host::default());
    let p = plugin(cx, &engine, Some(&host))?;
    let i = instance(&p)?;
    host.reenter.store(i.ptr as usize, Ordering::SeqCst);
    expect_output(
        "the outer call",
        icall(i.ptr, "call_host", b"outer"),
        b"plugin got: hello, outer",
    )?;
    host.reenter.store(0, Ordering::SeqCst);
    let inner = host
        .reentered
        .lock()
        .map_err(|_| "poisoned")?
        .take()
        .ok_or("the re-entrant call succeeded")?;
    if host.calls.load(Ordering::SeqCst) != 1 {
        return Err("the host function ran more than once (the re-entrant call ran)".into());
    }
    drop((i, p, engine));
    base.check()?;
    let (kind, message, exit_code) = inner;
    Ok(Got::bare(End::CFailed {
        kind,
        message,
        exit_code,
    }))
}

fn stale_host_call(cx: &Ctx) -> Result<Got, String> {
    let base = Baseline::now();
    let engine = new_engine()?;
    let host = Arc::new(Host::default());
    let p = plugin(cx, &engine, Some(&host))?;
    expect_output(
        "first call",
        call(p.ptr, "call_host", b"a"),
        b"plugin got: hello, a",
    )?;
    // From the host's thread, after the callback returned.
    let kept = host.kept.load(Ordering::SeqCst) as *mut nanoproc_host_call;
    // SAFETY: valid data; the call pointer is what is tested.
    let used = unsafe {
        nanoproc_host_call_set_output(kept, b"late".as_ptr(), 4)
            || nanoproc_host_call_set_error(kept, c"late".as_ptr())
    } || !nanoproc_host_call_should_stop(kept)
        || nanoproc_host_call_remaining_ms(kept) != -1
        || !nanoproc_host_call_plugin(kept).is_null();
    if used {
        return Err("a host-call pointer was usable after its callback returned".into());
    }
    // In the next callback (same thread, same depth: very likely the same stack address).
    let (e, out) = call(p.ptr, "call_host", b"b");
    if !host.stale_refused.load(Ordering::SeqCst) {
        return Err("the previous callback's pointer was usable in the next callback".into());
    }
    let g = got(e, out);
    if !matches!(&g.end, End::Returned(o) if o == b"plugin got: hello, b") {
        return Err(format!("the second call: {}", g.summary()));
    }
    drop((p, engine));
    base.check()?;
    Ok(g)
}

fn free_during_call(cx: &Ctx) -> Result<Got, String> {
    let base = Baseline::now();
    let engine = new_engine()?;
    let host = Arc::new(Host::default());
    host.block.store(true, Ordering::SeqCst);
    let p = plugin(cx, &engine, Some(&host))?;
    let plugin_ptr = p.ptr;
    std::mem::forget(p); // freed below, by hand, while the call runs
    let running = on_thread(plugin_ptr as usize, |p| {
        let (e, out) = call(p as *const nanoproc_plugin, "call_host", b"racer");
        (take(e), out)
    });
    wait_entered(&host)?;
    nanoproc_plugin_free(plugin_ptr);
    let freed_early = host.freed.load(Ordering::SeqCst);
    refused(
        "the freed plugin",
        call(plugin_ptr, "echo", b"x").0,
        INVALID,
        "not a live nanoproc_plugin",
    )?;
    host.release.store(true, Ordering::SeqCst);
    let (err, out) = running.join().map_err(|_| "the call's thread panicked")?;
    if freed_early != 0 {
        return Err("the user data was freed while its function was running".into());
    }
    if let Some((k, m, _)) = err {
        return Err(format!("the running call failed: {k:?}: {m}"));
    }
    if host.freed.load(Ordering::SeqCst) != 1 {
        return Err("the user data was not freed exactly once after the call".into());
    }
    // A host function freeing the instance it serves.
    let host2 = Arc::new(Host::default());
    let p2 = plugin(cx, &engine, Some(&host2))?;
    let mut i = null_mut();
    // SAFETY: valid out-pointer.
    ok("instance", unsafe {
        nanoproc_plugin_instance(p2.ptr, &mut i)
    })?;
    host2.free_instance.store(i as usize, Ordering::SeqCst);
    expect_output(
        "a call whose instance is freed under it",
        icall(i, "call_host", b"self"),
        b"plugin got: hello, self",
    )?;
    refused(
        "the freed instance",
        icall(i, "call_host", b"again").0,
        INVALID,
        "not a live nanoproc_instance",
    )?;
    drop((p2, engine));
    if host2.freed.load(Ordering::SeqCst) != 1 {
        return Err("the second user data was not freed exactly once".into());
    }
    base.check()?;
    Ok(Got::bare(End::Returned(out)))
}

fn build_twice(cx: &Ctx) -> Result<Got, String> {
    let base = Baseline::now();
    let engine = new_engine()?;
    let mut b = null_mut();
    let mut p = null_mut();
    // SAFETY: valid out-pointers and strings.
    unsafe {
        ok("builder", nanoproc_plugin_builder_new(engine.ptr, &mut b))?;
        ok(
            "wasm",
            nanoproc_plugin_builder_wasm_file(b, cpath(&cx.env.plugin_path("echo.wasm")).as_ptr()),
        )?;
        ok("build", nanoproc_plugin_builder_build(b, &mut p))?;
    }
    let first = Owned::new(p, nanoproc_plugin_free);
    // SAFETY: a NUL-terminated string; the builder is what is tested.
    refused(
        "configured after the build",
        unsafe { nanoproc_plugin_builder_name(b, c"late".as_ptr()) },
        INVALID,
        "not a live nanoproc_plugin_builder",
    )?;
    let mut second = null_mut();
    // SAFETY: valid out-pointer.
    let e = unsafe { nanoproc_plugin_builder_build(b, &mut second) };
    if !second.is_null() {
        nanoproc_plugin_free(second);
        return Err("a second plugin came out of one builder".into());
    }
    let g = got(e, Vec::new());
    nanoproc_plugin_builder_free(b); // ignored
    expect_output("the plugin", call(first.ptr, "echo", b"one"), b"one")?;
    drop((first, engine));
    base.check()?;
    Ok(g)
}

fn host_error_without_message(cx: &Ctx) -> Result<Got, String> {
    let base = Baseline::now();
    let engine = new_engine()?;
    let host = Arc::new(Host::default());
    host.status.store(7, Ordering::SeqCst);
    let p = plugin(cx, &engine, Some(&host))?;
    let (e, out) = call(p.ptr, "call_host", b"x");
    let g = got(e, out);
    if let End::CFailed { message, .. } = &g.end
        && !message.contains("host::greet")
    {
        return Err(format!(
            "the error does not name the host function: {message}"
        ));
    }
    host.status.store(0, Ordering::SeqCst);
    expect_output(
        "the next call",
        call(p.ptr, "call_host", b"y"),
        b"plugin got: hello, y",
    )?;
    drop((p, engine));
    base.check()?;
    Ok(g)
}
