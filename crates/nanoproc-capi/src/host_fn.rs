//! Host functions written in C (or any language behind the C ABI): a callback with a
//! user-data pointer, called with the plugin's input; it answers through `nanoproc_host_call`.

use crate::args::{bytes_arg, str_arg};
use crate::error::guard_value;
use crate::handles;
use nanoproc::plugin::HostContext;
use std::ffi::{CString, c_char, c_void};
use std::thread::ThreadId;

/// Opaque view of one host-function call, valid only during the callback that received it
/// and only on its thread; every function taking it checks that.
#[allow(non_camel_case_types)]
pub struct nanoproc_host_call {
    _private: [u8; 0],
}

/// A host function: called with the user data it was registered with, the call, and the
/// plugin's input bytes (valid during the callback). Return 0 for success, with the output
/// set through `nanoproc_host_call_set_output` (none set: empty output); any other value
/// fails the plugin's call with `NANOPROC_ERROR_HOST_FUNCTION`, with the message set through
/// `nanoproc_host_call_set_error` (or "returned status N"). May be called from any thread
/// that calls the plugin, concurrently: the callback and its user data must be thread-safe.
#[allow(non_camel_case_types)]
pub type nanoproc_host_fn = Option<
    unsafe extern "C" fn(
        user_data: *mut c_void,
        call: *mut nanoproc_host_call,
        input: *const u8,
        input_len: usize,
    ) -> i32,
>;

/// Frees a user-data pointer once nothing can call its function any more (the plugin and
/// every instance and builder holding it are freed). May be NULL.
#[allow(non_camel_case_types)]
pub type nanoproc_free_fn = Option<unsafe extern "C" fn(user_data: *mut c_void)>;

/// User data with the function that frees it.
pub(crate) struct UserData {
    pub(crate) ptr: *mut c_void,
    pub(crate) free: nanoproc_free_fn,
}

// SAFETY: the header requires user data (and callbacks using it) to be thread-safe.
unsafe impl Send for UserData {}
// SAFETY: as above.
unsafe impl Sync for UserData {}

impl Drop for UserData {
    fn drop(&mut self) {
        if let Some(free) = self.free {
            // SAFETY: the caller registered `free` for exactly this pointer.
            unsafe { free(self.ptr) }
        }
    }
}

/// One call in progress, on the stack of [`call`].
struct Call<'a> {
    ctx: &'a HostContext<'a>,
    output: Option<Vec<u8>>,
    error: Option<String>,
    plugin: CString,
}

/// What the `nanoproc_host_call *` handed to a callback stands for: a registered handle (so
/// a pointer kept after the callback returned is a freed handle, not a pointer to whatever
/// call later sits at the same stack address) naming the thread the call runs on and the
/// address of its [`Call`].
struct Active {
    thread: ThreadId,
    addr: usize,
}

const NAME: &str = "nanoproc_host_call";

/// Runs `f` on the call `call` if it is in progress on this thread.
fn with_call<R>(call: *mut nanoproc_host_call, f: impl FnOnce(&mut Call<'_>) -> R) -> Option<R> {
    let active = handles::get::<Active, _>(call, NAME, "call").ok()?;
    if active.thread != std::thread::current().id() {
        return None;
    }
    // SAFETY: the handle is live, so the `Call` at this address is on the stack of a `call`
    // frame below us on this thread, which is still running (it frees the handle before
    // returning) and does not touch the `Call` until the callback returns.
    let call = unsafe { &mut *(active.addr as *mut Call<'_>) };
    Some(f(call))
}

/// Calls the C function `f` with `data` for the host call `ctx` serves.
pub(crate) fn call(
    f: unsafe extern "C" fn(*mut c_void, *mut nanoproc_host_call, *const u8, usize) -> i32,
    data: &UserData,
    ctx: &HostContext<'_>,
    input: &[u8],
) -> Result<Vec<u8>, String> {
    let mut call = Call {
        ctx,
        output: None,
        error: None,
        plugin: CString::new(ctx.plugin().replace('\0', "")).unwrap_or_default(),
    };
    let active = Active {
        thread: std::thread::current().id(),
        addr: &mut call as *mut Call<'_> as usize,
    };
    let handle: *mut nanoproc_host_call = handles::register(active, NAME);
    // Frees the handle however the callback ends (a panic cannot come out of C, but a
    // nested nanoproc call could in principle unwind through here).
    struct Release(*mut nanoproc_host_call);
    impl Drop for Release {
        fn drop(&mut self) {
            handles::release::<Active, _>(self.0, NAME);
        }
    }
    let release = Release(handle);
    // SAFETY: a C function registered for this user data; input valid during the call.
    let status = unsafe { f(data.ptr, handle, input.as_ptr(), input.len()) };
    drop(release);
    if status == 0 {
        Ok(call.output.take().unwrap_or_default())
    } else {
        Err(call
            .error
            .take()
            .unwrap_or_else(|| format!("returned status {status}")))
    }
}

/// Sets the output of the host call: `len` bytes at `data`, copied. Returns false (and does
/// nothing) if `call` is not a call in progress on this thread or the data is NULL with a
/// non-zero length.
///
/// # Safety
/// `data` points to `len` readable bytes (any pointer when `len` is 0).
#[unsafe(no_mangle)]
pub unsafe extern "C" fn nanoproc_host_call_set_output(
    call: *mut nanoproc_host_call,
    data: *const u8,
    len: usize,
) -> bool {
    guard_value(false, || {
        // SAFETY: forwarded contract.
        let Ok(bytes) = (unsafe { bytes_arg(data, len, "data") }) else {
            return false;
        };
        with_call(call, |c| c.output = Some(bytes.to_vec())).is_some()
    })
}

/// Sets the message the plugin's call fails with when the callback returns non-zero.
/// Returns false if `call` is not a call in progress on this thread or `message` is not a
/// NUL-terminated UTF-8 string.
///
/// # Safety
/// `message` is NUL-terminated.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn nanoproc_host_call_set_error(
    call: *mut nanoproc_host_call,
    message: *const c_char,
) -> bool {
    guard_value(false, || {
        // SAFETY: forwarded contract.
        let Ok(message) = (unsafe { str_arg(message, "message") }) else {
            return false;
        };
        with_call(call, |c| c.error = Some(message.to_string())).is_some()
    })
}

/// Whether the plugin call this host call serves was cancelled or is past its deadline:
/// long-running host functions poll it and return early. True also for an invalid `call`.
#[unsafe(no_mangle)]
pub extern "C" fn nanoproc_host_call_should_stop(call: *mut nanoproc_host_call) -> bool {
    guard_value(true, || {
        with_call(call, |c| c.ctx.check().is_err()).unwrap_or(true)
    })
}

/// Milliseconds left before the call's deadline; -1 when it has no timeout (or `call` is
/// invalid).
#[unsafe(no_mangle)]
pub extern "C" fn nanoproc_host_call_remaining_ms(call: *mut nanoproc_host_call) -> i64 {
    guard_value(-1, || {
        with_call(call, |c| {
            c.ctx
                .remaining()
                .map_or(-1, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
        })
        .unwrap_or(-1)
    })
}

/// The name of the plugin making the call, NUL-terminated, valid during the callback; NULL
/// for an invalid `call`.
#[unsafe(no_mangle)]
pub extern "C" fn nanoproc_host_call_plugin(call: *mut nanoproc_host_call) -> *const c_char {
    guard_value(std::ptr::null(), || {
        with_call(call, |c| c.plugin.as_ptr()).unwrap_or(std::ptr::null())
    })
}
