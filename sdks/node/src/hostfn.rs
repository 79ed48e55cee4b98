//! Host functions implemented in JavaScript.
//!
//! index.js hands each plugin one *dispatcher* `(index, input: Buffer) => Buffer | string`
//! that runs host function `index` and never throws: it returns the output, or a string with
//! the failure (`TypeError: message`) when the JavaScript function threw or returned
//! something that is not bytes. A guest calls host functions on the thread its call runs on:
//!
//! - a synchronous call (`callSync`) runs on the JavaScript thread, which is inside that call:
//!   the dispatcher is called directly (through the environment the call published in
//!   [`SyncScope`]);
//! - an async call runs on a libuv worker thread: the worker posts the call to the JavaScript
//!   thread through a thread-safe function and waits for its answer, checking the call's
//!   deadline and cancellation while it waits. The event loop is free meanwhile (it is
//!   not waiting for the worker), so this cannot deadlock.

use nanoproc::plugin::{HostContext, HostFunctions};
use napi::bindgen_prelude::{Buffer, FnArgs, Function, FunctionRef, Unknown};
use napi::threadsafe_function::{ThreadsafeFunction, ThreadsafeFunctionCallMode};
use napi::{Env, JsValue, Status, sys};
use std::cell::Cell;
use std::ptr;
use std::sync::Arc;
use std::sync::mpsc;
use std::thread::ThreadId;
use std::time::Duration;

/// The dispatcher's arguments: the host function's index and the input bytes.
type Args = FnArgs<(u32, Buffer)>;

/// The thread-safe function that posts host-function calls to the JavaScript thread: weak
/// (it does not keep the event loop alive), errors not passed to JavaScript.
type Tsfn = ThreadsafeFunction<(u32, Vec<u8>), Unknown<'static>, Args, Status, false, true>;

thread_local! {
    /// The environment of the synchronous nanoproc call running on this thread, if any.
    static SYNC_ENV: Cell<sys::napi_env> = const { Cell::new(ptr::null_mut()) };
}

/// Publishes the environment of a synchronous call for the host functions it may run;
/// restores the previous one (an outer call) when dropped.
pub(crate) struct SyncScope {
    previous: sys::napi_env,
}

impl SyncScope {
    /// Enters a synchronous call in `env`.
    pub(crate) fn enter_raw(env: sys::napi_env) -> Self {
        SyncScope {
            previous: SYNC_ENV.with(|e| e.replace(env)),
        }
    }
}

impl Drop for SyncScope {
    fn drop(&mut self) {
        SYNC_ENV.with(|e| e.set(self.previous));
    }
}

/// A host-function call sent to the JavaScript thread by a guest running in [`run_pumped`].
struct Request {
    bridge: Arc<Bridge>,
    index: u32,
    input: Vec<u8>,
    reply: mpsc::SyncSender<Result<Vec<u8>, String>>,
}

thread_local! {
    /// On a thread running a guest for [`run_pumped`]: where its host-function calls go.
    static PUMP: std::cell::RefCell<Option<mpsc::Sender<Request>>> =
        const { std::cell::RefCell::new(None) };
}

/// Runs `work` (a synchronous call of a component plugin with host functions) on a helper
/// thread while this, the JavaScript thread, serves its host-function calls, and returns its
/// result; `None` if the helper thread could not be started or panicked.
///
/// Component plugins run guest code on a separate stack (a Wasmtime fiber); V8 refuses to
/// run JavaScript on a stack it does not know (it sees a stack overflow), so a host function
/// of such a call cannot be called from inside it on this thread.
pub(crate) fn run_pumped<R: Send>(
    env: sys::napi_env,
    work: impl FnOnce() -> R + Send,
) -> Option<R> {
    let (tx, rx) = mpsc::channel::<Request>();
    std::thread::scope(|s| {
        let helper = std::thread::Builder::new()
            .name("nanoproc-sync-call".into())
            .stack_size(8 << 20)
            .spawn_scoped(s, move || {
                PUMP.with(|p| *p.borrow_mut() = Some(tx));
                let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(work));
                PUMP.with(|p| p.borrow_mut().take());
                result.ok()
            })
            .ok()?;
        // Until the helper drops its sender (its call ended), serve its host-function calls.
        for req in rx.iter() {
            let _scope = SyncScope::enter_raw(env);
            // SAFETY: this is the JavaScript thread, inside the native call that started
            // `run_pumped`.
            let answer = unsafe { req.bridge.call_here(env, req.index, &req.input) };
            // The guest may have stopped waiting (deadline, cancel): nothing to do then.
            let _ = req.reply.send(answer);
        }
        helper.join().ok().flatten()
    })
}

/// What every host function of one plugin shares: the dispatcher, reachable from its own
/// thread directly and from others through the thread-safe function.
struct Bridge {
    js_thread: ThreadId,
    dispatcher: FunctionRef<Args, Unknown<'static>>,
    tsfn: Tsfn,
}

/// Host functions `names[i]` (each `namespace::name`) calling `dispatcher(i, input)`.
pub(crate) fn register(
    env: &Env,
    names: &[String],
    dispatcher: Function<'_, Args, Unknown<'static>>,
) -> napi::Result<HostFunctions> {
    let mut fns = HostFunctions::new();
    if names.is_empty() {
        return Ok(fns);
    }
    let tsfn: Tsfn = dispatcher
        .build_threadsafe_function::<(u32, Vec<u8>)>()
        .weak::<true>()
        .callee_handled::<false>()
        .build_callback(|ctx| {
            let (index, input) = ctx.value;
            Ok(FnArgs::from((index, Buffer::from(input))))
        })?;
    let bridge = Arc::new(Bridge {
        js_thread: std::thread::current().id(),
        dispatcher: dispatcher.create_ref()?,
        tsfn,
    });
    for (i, full) in names.iter().enumerate() {
        let Some((ns, name)) = full
            .split_once("::")
            .filter(|(ns, n)| !ns.is_empty() && !n.is_empty() && !n.contains("::"))
        else {
            return Err(crate::errors::type_error(
                env.raw(),
                format!("host function name `{full}` must be `namespace::name`"),
            ));
        };
        let index = u32::try_from(i).map_err(|_| {
            crate::errors::type_error(env.raw(), "too many host functions".to_string())
        })?;
        let bridge = bridge.clone();
        fns.register(ns, name, move |ctx, input| bridge.call(ctx, index, input));
    }
    Ok(fns)
}

impl Bridge {
    fn call(
        self: &Arc<Self>,
        ctx: &HostContext<'_>,
        index: u32,
        input: &[u8],
    ) -> Result<Vec<u8>, String> {
        if let Some(pump) = PUMP.with(|p| p.borrow().clone()) {
            return self.call_pumped(ctx, &pump, index, input);
        }
        if std::thread::current().id() == self.js_thread {
            let env = SYNC_ENV.with(|e| e.get());
            if env.is_null() {
                return Err(
                    "a host function was called on the JavaScript thread outside a nanoproc call"
                        .into(),
                );
            }
            // SAFETY: we are on the thread of `env`, inside a native call of it.
            unsafe { self.call_here(env, index, input) }
        } else {
            self.call_posted(ctx, index, input)
        }
    }

    /// Calls the dispatcher on this, the JavaScript thread.
    ///
    /// # Safety
    /// `env` must be the live environment of the current thread, inside a native call.
    unsafe fn call_here(
        &self,
        env: sys::napi_env,
        index: u32,
        input: &[u8],
    ) -> Result<Vec<u8>, String> {
        let env = Env::from_raw(env);
        let f = self
            .dispatcher
            .borrow_back(&env)
            .map_err(|e| format!("the host function is gone: {}", e.reason))?;
        // SAFETY: as the caller guarantees.
        unsafe { call_direct(env.raw(), f.raw(), index, input) }
    }

    /// Sends the call to the JavaScript thread blocked in [`run_pumped`] and waits for the
    /// answer, stopping early if the guest's call is cancelled or past its deadline.
    fn call_pumped(
        self: &Arc<Self>,
        ctx: &HostContext<'_>,
        pump: &mpsc::Sender<Request>,
        index: u32,
        input: &[u8],
    ) -> Result<Vec<u8>, String> {
        let (reply, answer) = mpsc::sync_channel(1);
        pump.send(Request {
            bridge: self.clone(),
            index,
            input: input.to_vec(),
            reply,
        })
        .map_err(|_| "the JavaScript thread stopped serving host functions".to_string())?;
        loop {
            match answer.recv_timeout(Duration::from_millis(5)) {
                Ok(a) => return a,
                Err(mpsc::RecvTimeoutError::Timeout) => ctx.check()?,
                Err(mpsc::RecvTimeoutError::Disconnected) => {
                    return Err("the host function returned no answer".into());
                }
            }
        }
    }

    /// Posts the call to the JavaScript thread and waits for the answer, stopping early if
    /// the guest's call is cancelled or past its deadline.
    fn call_posted(
        &self,
        ctx: &HostContext<'_>,
        index: u32,
        input: &[u8],
    ) -> Result<Vec<u8>, String> {
        let (tx, rx) = mpsc::sync_channel::<Result<Vec<u8>, String>>(1);
        let status = self.tsfn.call_with_return_value(
            (index, input.to_vec()),
            ThreadsafeFunctionCallMode::NonBlocking,
            move |result, env| {
                let answer = match result {
                    // SAFETY: the callback runs on the JavaScript thread with the value live.
                    Ok(v) => unsafe { convert(env.raw(), v.raw()) },
                    Err(e) => Err(format!("the host function could not run: {}", e.reason)),
                };
                // The worker may have stopped waiting (deadline, cancel): nothing to do then.
                let _ = tx.send(answer);
                Ok(())
            },
        );
        if status != Status::Ok {
            return Err(format!(
                "the host function could not be called (the JavaScript environment is {})",
                if status == Status::Closing {
                    "shutting down"
                } else {
                    "unavailable"
                }
            ));
        }
        loop {
            match rx.recv_timeout(Duration::from_millis(5)) {
                Ok(answer) => return answer,
                Err(mpsc::RecvTimeoutError::Timeout) => {
                    ctx.check()?;
                    // The environment went away (a worker thread terminated): its queue is
                    // dropped without answers, so stop waiting for one.
                    if self.tsfn.aborted() {
                        return Err(
                            "the host function returned no answer (the JavaScript environment is shutting down)"
                                .into(),
                        );
                    }
                }
                Err(mpsc::RecvTimeoutError::Disconnected) => {
                    return Err(
                        "the host function returned no answer (the JavaScript environment is shutting down)"
                            .into(),
                    );
                }
            }
        }
    }
}

/// Calls `dispatcher(index, Buffer(input))` on the JavaScript thread.
///
/// # Safety
/// `env` must be the live environment of the current thread and `dispatcher` a function value
/// of it, inside a native call (a handle scope).
unsafe fn call_direct(
    env: sys::napi_env,
    dispatcher: sys::napi_value,
    index: u32,
    input: &[u8],
) -> Result<Vec<u8>, String> {
    // SAFETY: the caller guarantees a live `env` on its own thread; every status is checked.
    unsafe {
        let mut scope = ptr::null_mut();
        if sys::napi_open_handle_scope(env, &mut scope) != sys::Status::napi_ok {
            return Err("could not open a JavaScript handle scope".into());
        }
        let result = (|| {
            let mut undefined = ptr::null_mut();
            sys::napi_get_undefined(env, &mut undefined);
            let mut args = [ptr::null_mut(); 2];
            if sys::napi_create_uint32(env, index, &mut args[0]) != sys::Status::napi_ok {
                return Err("could not pass the input to the host function".to_string());
            }
            let mut data = ptr::null_mut();
            if sys::napi_create_buffer_copy(
                env,
                input.len(),
                input.as_ptr().cast(),
                &mut data,
                &mut args[1],
            ) != sys::Status::napi_ok
            {
                return Err("could not pass the input to the host function".to_string());
            }
            let mut out = ptr::null_mut();
            let status = sys::napi_call_function(
                env,
                undefined,
                dispatcher,
                args.len(),
                args.as_ptr(),
                &mut out,
            );
            if status != sys::Status::napi_ok {
                let mut exception = ptr::null_mut();
                sys::napi_get_and_clear_last_exception(env, &mut exception);
                return Err("the host function threw before it could answer".to_string());
            }
            convert(env, out)
        })();
        sys::napi_close_handle_scope(env, scope);
        result
    }
}

/// The dispatcher's answer: bytes (a `Uint8Array`, `Buffer` included) are the output, a
/// string is the failure message.
///
/// # Safety
/// `env` must be live on the current thread and `value` one of its values.
unsafe fn convert(env: sys::napi_env, value: sys::napi_value) -> Result<Vec<u8>, String> {
    // SAFETY: the caller guarantees `env` and `value`; every status is checked, and the
    // typed array's memory is read only while it is alive (now, on its thread).
    unsafe {
        let mut is_typed = false;
        if sys::napi_is_typedarray(env, value, &mut is_typed) == sys::Status::napi_ok && is_typed {
            let mut kind = 0;
            let mut len = 0usize;
            let mut data = ptr::null_mut();
            let mut buffer = ptr::null_mut();
            let mut offset = 0usize;
            if sys::napi_get_typedarray_info(
                env,
                value,
                &mut kind,
                &mut len,
                &mut data,
                &mut buffer,
                &mut offset,
            ) == sys::Status::napi_ok
                && kind == sys::TypedarrayType::uint8_array
            {
                if len == 0 || data.is_null() {
                    return Ok(Vec::new());
                }
                return Ok(std::slice::from_raw_parts(data.cast::<u8>(), len).to_vec());
            }
        }
        let mut kind = 0;
        if sys::napi_typeof(env, value, &mut kind) == sys::Status::napi_ok
            && kind == sys::ValueType::napi_string
        {
            let mut len = 0usize;
            if sys::napi_get_value_string_utf8(env, value, ptr::null_mut(), 0, &mut len)
                == sys::Status::napi_ok
            {
                let mut buf = vec![0u8; len + 1];
                let mut written = 0usize;
                if sys::napi_get_value_string_utf8(
                    env,
                    value,
                    buf.as_mut_ptr().cast(),
                    buf.len(),
                    &mut written,
                ) == sys::Status::napi_ok
                {
                    buf.truncate(written);
                    return Err(String::from_utf8_lossy(&buf).into_owned());
                }
            }
        }
        Err("returned a value that is not bytes".into())
    }
}
