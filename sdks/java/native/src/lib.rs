//! JNI bindings of nanoproc for the Java SDK (`sdks/java`, class `dev.nanoproc.Native`).
//!
//! Every entry point calls the C ABI's functions (`nanoproc-capi`, linked in as an rlib), so
//! handles, error objects, kinds, messages and exit codes are exactly those of the C ABI and
//! of every other SDK; this crate only converts between Java values and C arguments.
//!
//! Rules: no panic crosses into the JVM (every entry point and callback runs under
//! `catch_unwind`; a panic becomes a Java `InternalException`); nothing from Java or the guest
//! is unwrapped; a nanoproc error becomes the Java exception of its kind, built by
//! `dev.nanoproc.NanoprocErrors.fromNative`. Handles travel as Java `long`s; the C ABI checks
//! each one, so a stale handle is an `InvalidArgumentException`, never undefined behaviour.

use jni::JNIEnv;
use jni::JavaVM;
use jni::objects::{
    GlobalRef, JByteArray, JClass, JMethodID, JObject, JObjectArray, JString, JValue, JValueGen,
};
use jni::signature::{Primitive, ReturnType};
use jni::sys::{jboolean, jint, jlong, jlongArray, jobject, jobjectArray, jstring, jvalue};
use nanoproc_capi::buf::{nanoproc_buf, nanoproc_buf_free};
use nanoproc_capi::engine::{nanoproc_engine, nanoproc_engine_free, nanoproc_engine_new};
use nanoproc_capi::error::{
    nanoproc_error, nanoproc_error_detail, nanoproc_error_exit_code, nanoproc_error_free,
    nanoproc_error_get_kind, nanoproc_error_message,
};
use nanoproc_capi::host_fn::{
    nanoproc_host_call, nanoproc_host_call_plugin, nanoproc_host_call_remaining_ms,
    nanoproc_host_call_set_error, nanoproc_host_call_set_output, nanoproc_host_call_should_stop,
};
use nanoproc_capi::plugin::*;
use nanoproc_capi::policy::*;
use nanoproc_capi::run::*;
use std::ffi::{CStr, CString, c_char, c_void};
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::ptr::{null, null_mut};

/// Why an entry point did not return normally.
enum Fail {
    /// A nanoproc error object (owned): thrown as the Java exception of its kind.
    Nano(*mut nanoproc_error),
    /// A JNI failure; for `JavaException` the Java exception is already pending.
    Jni(jni::errors::Error),
    /// A value from Java nanoproc cannot take (a NUL inside a string): IllegalArgumentException.
    Arg(String),
}

impl From<jni::errors::Error> for Fail {
    fn from(e: jni::errors::Error) -> Self {
        Fail::Jni(e)
    }
}

type Res<T> = Result<T, Fail>;

/// Turns a C ABI result into `Res`.
fn check(err: *mut nanoproc_error) -> Res<()> {
    if err.is_null() {
        Ok(())
    } else {
        Err(Fail::Nano(err))
    }
}

/// A borrowed C string as a Rust string (empty for NULL).
fn c_text(p: *const c_char) -> String {
    if p.is_null() {
        return String::new();
    }
    // SAFETY: the C ABI returns NUL-terminated strings that live as long as their object.
    unsafe { CStr::from_ptr(p) }.to_string_lossy().into_owned()
}

/// Builds the Java exception for a nanoproc error (which it frees), without throwing it.
fn exception_object<'l>(env: &mut JNIEnv<'l>, err: *mut nanoproc_error) -> Res<JObject<'l>> {
    let kind = nanoproc_error_get_kind(err) as jint;
    let exit = nanoproc_error_exit_code(err);
    let message = c_text(nanoproc_error_message(err));
    let detail = c_text(nanoproc_error_detail(err));
    nanoproc_error_free(err);
    let message = env.new_string(message)?;
    let detail = env.new_string(detail)?;
    let obj = env
        .call_static_method(
            "dev/nanoproc/NanoprocErrors",
            "fromNative",
            "(IILjava/lang/String;Ljava/lang/String;)Ljava/lang/Throwable;",
            &[
                JValue::Int(kind),
                JValue::Int(exit),
                JValue::Object(&message),
                JValue::Object(&detail),
            ],
        )?
        .l()?;
    Ok(obj)
}

/// Throws what `fail` describes (unless a Java exception is pending already).
fn throw(env: &mut JNIEnv<'_>, fail: Fail) {
    if env.exception_check().unwrap_or(true) {
        if let Fail::Nano(err) = fail {
            nanoproc_error_free(err);
        }
        return;
    }
    match fail {
        Fail::Nano(err) => match exception_object(env, err) {
            Ok(obj) => {
                let _ = env.throw(jni::objects::JThrowable::from(obj));
            }
            Err(_) => {
                if !env.exception_check().unwrap_or(true) {
                    let _ = env.throw_new(
                        "java/lang/IllegalStateException",
                        "nanoproc: could not build the Java exception for an error",
                    );
                }
            }
        },
        Fail::Jni(jni::errors::Error::JavaException) => {}
        Fail::Jni(e) => {
            let _ = env.throw_new(
                "dev/nanoproc/InternalException",
                format!("internal error: JNI failure in the Java binding: {e}"),
            );
        }
        Fail::Arg(msg) => {
            let _ = env.throw_new("java/lang/IllegalArgumentException", msg);
        }
    }
}

/// Runs an entry point's body: a failure or a caught panic becomes a pending Java exception
/// and the entry point returns `T::default()`.
fn guard<'l, T: Default>(env: &mut JNIEnv<'l>, f: impl FnOnce(&mut JNIEnv<'l>) -> Res<T>) -> T {
    match catch_unwind(AssertUnwindSafe(|| f(env))) {
        Ok(Ok(v)) => v,
        Ok(Err(fail)) => {
            throw(env, fail);
            T::default()
        }
        Err(payload) => {
            let what = payload
                .downcast_ref::<&str>()
                .map(|s| s.to_string())
                .or_else(|| payload.downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "unknown panic".into());
            if !env.exception_check().unwrap_or(true) {
                let _ = env.throw_new(
                    "dev/nanoproc/InternalException",
                    format!("internal error: panic in the Java binding (caught): {what}"),
                );
            }
            T::default()
        }
    }
}

/// A Java string as a C string; `None` for a Java null.
fn opt_cstring(env: &mut JNIEnv<'_>, s: &JString<'_>) -> Res<Option<CString>> {
    if s.is_null() {
        return Ok(None);
    }
    let text: String = env.get_string(s)?.into();
    CString::new(text)
        .map(Some)
        .map_err(|_| Fail::Arg("a string passed to nanoproc contains a NUL character".into()))
}

/// A Java string as a C string; a Java null is an IllegalArgumentException.
fn cstring(env: &mut JNIEnv<'_>, s: &JString<'_>, what: &str) -> Res<CString> {
    opt_cstring(env, s)?.ok_or_else(|| Fail::Arg(format!("{what} must not be null")))
}

/// A Java byte array's bytes (empty for null).
fn bytes(env: &mut JNIEnv<'_>, a: &JByteArray<'_>) -> Res<Vec<u8>> {
    if a.is_null() {
        return Ok(Vec::new());
    }
    let len = env.get_array_length(a)?;
    let len = usize::try_from(len).unwrap_or(0);
    let mut v = vec![0u8; len];
    if len > 0 {
        // SAFETY: u8 and i8 have the same size and alignment.
        let dst = unsafe { std::slice::from_raw_parts_mut(v.as_mut_ptr().cast::<i8>(), len) };
        env.get_byte_array_region(a, 0, dst)?;
    }
    Ok(v)
}

/// A Java byte array of `data` (null for empty: the Java side maps it to its shared empty
/// array).
fn byte_array(env: &mut JNIEnv<'_>, data: &[u8]) -> Res<jobject> {
    if data.is_empty() {
        return Ok(null_mut());
    }
    Ok(env.byte_array_from_slice(data)?.into_raw())
}

fn ptr<T>(h: jlong) -> *mut T {
    h as usize as *mut T
}

fn handle<T>(p: *mut T) -> jlong {
    p as usize as jlong
}

// ---- library ---------------------------------------------------------------------------

/// `String Native.version()`
#[unsafe(no_mangle)]
pub extern "system" fn Java_dev_nanoproc_Native_version<'l>(
    mut env: JNIEnv<'l>,
    _c: JClass<'l>,
) -> jstring {
    guard(&mut env, |env| {
        let v = c_text(nanoproc_capi::nanoproc_version());
        Ok(env.new_string(v)?.into_raw())
    })
}

/// `long Native.liveObjects()`
#[unsafe(no_mangle)]
pub extern "system" fn Java_dev_nanoproc_Native_liveObjects<'l>(
    _env: JNIEnv<'l>,
    _c: JClass<'l>,
) -> jlong {
    nanoproc_capi::nanoproc_live_objects() as jlong
}

// ---- engine ----------------------------------------------------------------------------

/// `long Native.engineNew(int flags, String cacheDir)`
#[unsafe(no_mangle)]
pub extern "system" fn Java_dev_nanoproc_Native_engineNew<'l>(
    mut env: JNIEnv<'l>,
    _c: JClass<'l>,
    flags: jint,
    cache_dir: JString<'l>,
) -> jlong {
    guard(&mut env, |env| {
        let dir = opt_cstring(env, &cache_dir)?;
        let mut out: *mut nanoproc_engine = null_mut();
        // SAFETY: `dir` is NULL or NUL-terminated; `out` is writable.
        check(unsafe {
            nanoproc_engine_new(
                flags as u32,
                dir.as_ref().map_or(null(), |d| d.as_ptr()),
                &mut out,
            )
        })?;
        Ok(handle(out))
    })
}

/// `void Native.engineFree(long)`
#[unsafe(no_mangle)]
pub extern "system" fn Java_dev_nanoproc_Native_engineFree<'l>(
    _env: JNIEnv<'l>,
    _c: JClass<'l>,
    h: jlong,
) {
    nanoproc_engine_free(ptr(h));
}

// ---- policy ----------------------------------------------------------------------------

/// `long Native.policyNew()`
#[unsafe(no_mangle)]
pub extern "system" fn Java_dev_nanoproc_Native_policyNew<'l>(
    _env: JNIEnv<'l>,
    _c: JClass<'l>,
) -> jlong {
    handle(nanoproc_policy_builder_new())
}

/// `void Native.policyFree(long)`
#[unsafe(no_mangle)]
pub extern "system" fn Java_dev_nanoproc_Native_policyFree<'l>(
    _env: JNIEnv<'l>,
    _c: JClass<'l>,
    h: jlong,
) {
    nanoproc_policy_builder_free(ptr(h));
}

/// `void Native.policyDir(long, String host, String guest, boolean writable)`
#[unsafe(no_mangle)]
pub extern "system" fn Java_dev_nanoproc_Native_policyDir<'l>(
    mut env: JNIEnv<'l>,
    _c: JClass<'l>,
    h: jlong,
    host: JString<'l>,
    guest: JString<'l>,
    writable: jboolean,
) {
    guard(&mut env, |env| {
        let host = cstring(env, &host, "host directory")?;
        let guest = cstring(env, &guest, "guest path")?;
        // SAFETY: NUL-terminated strings.
        check(unsafe {
            nanoproc_policy_builder_dir(ptr(h), host.as_ptr(), guest.as_ptr(), writable != 0)
        })
    })
}

/// `void Native.policyString(long, int what, String a, String b)`: the string setters
/// (0 env, 1 inheritEnv, 2 arg, 3 allowNet, 4 allowHttp, 5 allowHostFn, 6 trustKey,
/// 7 pinSha256).
#[unsafe(no_mangle)]
pub extern "system" fn Java_dev_nanoproc_Native_policyString<'l>(
    mut env: JNIEnv<'l>,
    _c: JClass<'l>,
    h: jlong,
    what: jint,
    a: JString<'l>,
    b: JString<'l>,
) {
    guard(&mut env, |env| {
        let a = cstring(env, &a, "value")?;
        let p = ptr(h);
        // SAFETY: NUL-terminated strings; the C ABI checks the handle.
        let err = unsafe {
            match what {
                0 => {
                    let b = cstring(env, &b, "value")?;
                    nanoproc_policy_builder_env(p, a.as_ptr(), b.as_ptr())
                }
                1 => nanoproc_policy_builder_inherit_env(p, a.as_ptr()),
                2 => nanoproc_policy_builder_arg(p, a.as_ptr()),
                3 => nanoproc_policy_builder_allow_net(p, a.as_ptr()),
                4 => nanoproc_policy_builder_allow_http(p, a.as_ptr()),
                5 => nanoproc_policy_builder_allow_host_fn(p, a.as_ptr()),
                6 => nanoproc_policy_builder_trust_key(p, a.as_ptr()),
                7 => nanoproc_policy_builder_pin_sha256(p, a.as_ptr()),
                _ => return Err(Fail::Arg(format!("unknown policy setter {what}"))),
            }
        };
        check(err)
    })
}

/// `void Native.policyNumber(long, int what, long value)`: the numeric setters
/// (0 maxMemory, 1 fuel, 2 timeoutMs, 3 maxOutput, 4 diskQuota, 5 stdout mode, 6 stderr mode,
/// 7 signature requirement).
#[unsafe(no_mangle)]
pub extern "system" fn Java_dev_nanoproc_Native_policyNumber<'l>(
    mut env: JNIEnv<'l>,
    _c: JClass<'l>,
    h: jlong,
    what: jint,
    value: jlong,
) {
    guard(&mut env, |_env| {
        let p = ptr(h);
        let v = value as u64;
        let err = match what {
            0 => nanoproc_policy_builder_max_memory(p, v),
            1 => nanoproc_policy_builder_fuel(p, v),
            2 => nanoproc_policy_builder_timeout_ms(p, v),
            3 => nanoproc_policy_builder_max_output(p, v),
            4 => nanoproc_policy_builder_disk_quota(p, v),
            5 => nanoproc_policy_builder_stdout(p, value as i32),
            6 => nanoproc_policy_builder_stderr(p, value as i32),
            7 => nanoproc_policy_builder_require_signature(p, value as i32),
            _ => return Err(Fail::Arg(format!("unknown policy setter {what}"))),
        };
        check(err)
    })
}

/// `void Native.policyStdin(long, byte[])`
#[unsafe(no_mangle)]
pub extern "system" fn Java_dev_nanoproc_Native_policyStdin<'l>(
    mut env: JNIEnv<'l>,
    _c: JClass<'l>,
    h: jlong,
    data: JByteArray<'l>,
) {
    guard(&mut env, |env| {
        let data = bytes(env, &data)?;
        // SAFETY: `data` has `len` bytes.
        check(unsafe { nanoproc_policy_builder_stdin(ptr(h), data.as_ptr(), data.len()) })
    })
}

/// `void Native.policyWasiInterface(long, String, boolean)`
#[unsafe(no_mangle)]
pub extern "system" fn Java_dev_nanoproc_Native_policyWasiInterface<'l>(
    mut env: JNIEnv<'l>,
    _c: JClass<'l>,
    h: jlong,
    name: JString<'l>,
    on: jboolean,
) {
    guard(&mut env, |env| {
        let name = cstring(env, &name, "interface name")?;
        // SAFETY: NUL-terminated.
        check(unsafe { nanoproc_policy_builder_wasi_interface(ptr(h), name.as_ptr(), on != 0) })
    })
}

/// `void Native.policyApplyToml(long, String toml, String baseDir)`
#[unsafe(no_mangle)]
pub extern "system" fn Java_dev_nanoproc_Native_policyApplyToml<'l>(
    mut env: JNIEnv<'l>,
    _c: JClass<'l>,
    h: jlong,
    toml: JString<'l>,
    base: JString<'l>,
) {
    guard(&mut env, |env| {
        let toml = cstring(env, &toml, "policy TOML")?;
        let base = opt_cstring(env, &base)?;
        // SAFETY: NUL-terminated strings or NULL.
        check(unsafe {
            nanoproc_policy_builder_apply_toml(
                ptr(h),
                toml.as_ptr(),
                base.as_ref().map_or(null(), |b| b.as_ptr()),
            )
        })
    })
}

/// `void Native.policyValidate(long)`
#[unsafe(no_mangle)]
pub extern "system" fn Java_dev_nanoproc_Native_policyValidate<'l>(
    mut env: JNIEnv<'l>,
    _c: JClass<'l>,
    h: jlong,
) {
    guard(&mut env, |_env| {
        check(nanoproc_policy_builder_validate(ptr(h)))
    })
}

// ---- plugin builder ----------------------------------------------------------------------

/// `long Native.builderNew(long engine)`
#[unsafe(no_mangle)]
pub extern "system" fn Java_dev_nanoproc_Native_builderNew<'l>(
    mut env: JNIEnv<'l>,
    _c: JClass<'l>,
    engine: jlong,
) -> jlong {
    guard(&mut env, |_env| {
        let mut out: *mut nanoproc_plugin_builder = null_mut();
        // SAFETY: `out` is writable.
        check(unsafe { nanoproc_plugin_builder_new(ptr(engine), &mut out) })?;
        Ok(handle(out))
    })
}

/// `void Native.builderFree(long)`
#[unsafe(no_mangle)]
pub extern "system" fn Java_dev_nanoproc_Native_builderFree<'l>(
    _env: JNIEnv<'l>,
    _c: JClass<'l>,
    h: jlong,
) {
    nanoproc_plugin_builder_free(ptr(h));
}

/// `void Native.builderString(long, int what, String a, String b)`: 0 wasmFile, 1 name,
/// 2 config(key, value).
#[unsafe(no_mangle)]
pub extern "system" fn Java_dev_nanoproc_Native_builderString<'l>(
    mut env: JNIEnv<'l>,
    _c: JClass<'l>,
    h: jlong,
    what: jint,
    a: JString<'l>,
    b: JString<'l>,
) {
    guard(&mut env, |env| {
        let a = cstring(env, &a, "value")?;
        let p = ptr(h);
        // SAFETY: NUL-terminated strings; the C ABI checks the handle.
        let err = unsafe {
            match what {
                0 => nanoproc_plugin_builder_wasm_file(p, a.as_ptr()),
                1 => nanoproc_plugin_builder_name(p, a.as_ptr()),
                2 => {
                    let b = cstring(env, &b, "config value")?;
                    nanoproc_plugin_builder_config(p, a.as_ptr(), b.as_ptr())
                }
                _ => return Err(Fail::Arg(format!("unknown builder setter {what}"))),
            }
        };
        check(err)
    })
}

/// `void Native.builderWasmBytes(long, byte[])`
#[unsafe(no_mangle)]
pub extern "system" fn Java_dev_nanoproc_Native_builderWasmBytes<'l>(
    mut env: JNIEnv<'l>,
    _c: JClass<'l>,
    h: jlong,
    wasm: JByteArray<'l>,
) {
    guard(&mut env, |env| {
        let wasm = bytes(env, &wasm)?;
        // SAFETY: `wasm` has `len` bytes.
        check(unsafe { nanoproc_plugin_builder_wasm_bytes(ptr(h), wasm.as_ptr(), wasm.len()) })
    })
}

/// `void Native.builderPolicy(long, long policy)`
#[unsafe(no_mangle)]
pub extern "system" fn Java_dev_nanoproc_Native_builderPolicy<'l>(
    mut env: JNIEnv<'l>,
    _c: JClass<'l>,
    h: jlong,
    policy: jlong,
) {
    guard(&mut env, |_env| {
        check(nanoproc_plugin_builder_policy(ptr(h), ptr(policy)))
    })
}

/// `void Native.builderAuditKeep(long, long maxEvents)`
#[unsafe(no_mangle)]
pub extern "system" fn Java_dev_nanoproc_Native_builderAuditKeep<'l>(
    mut env: JNIEnv<'l>,
    _c: JClass<'l>,
    h: jlong,
    max: jlong,
) {
    guard(&mut env, |_env| {
        let max = usize::try_from(max).unwrap_or(0);
        check(nanoproc_plugin_builder_audit_keep(ptr(h), max))
    })
}

/// A Java object the C ABI calls back: a `HostFunctionBridge` or an `AuditBridge`.
struct Callback {
    vm: JavaVM,
    obj: GlobalRef,
    method: JMethodID,
}

unsafe extern "C" fn free_callback(user_data: *mut c_void) {
    if user_data.is_null() {
        return;
    }
    let _ = catch_unwind(AssertUnwindSafe(|| {
        // SAFETY: made by Box::into_raw in register_callback, freed once by the C ABI.
        drop(unsafe { Box::from_raw(user_data.cast::<Callback>()) });
    }));
}

fn new_callback(
    env: &mut JNIEnv<'_>,
    obj: &JObject<'_>,
    method: &str,
    sig: &str,
) -> Res<*mut c_void> {
    if obj.is_null() {
        return Err(Fail::Arg("the callback must not be null".into()));
    }
    let class = env.get_object_class(obj)?;
    let method = env.get_method_id(&class, method, sig)?;
    let cb = Callback {
        vm: env.get_java_vm()?,
        obj: env.new_global_ref(obj)?,
        method,
    };
    Ok(Box::into_raw(Box::new(cb)).cast())
}

/// The C host function: calls `int HostFunctionBridge.invoke(long call, byte[] input)`, which
/// runs the Java lambda and sets the output or the error itself. A Java exception escaping
/// the bridge, a JNI failure or a panic fail the plugin's call; nothing unwinds into C.
unsafe extern "C" fn host_trampoline(
    user_data: *mut c_void,
    call: *mut nanoproc_host_call,
    input: *const u8,
    input_len: usize,
) -> i32 {
    let result = catch_unwind(AssertUnwindSafe(|| -> Result<i32, String> {
        // SAFETY: the pointer registered with this callback (a live Callback).
        let cb = unsafe { &*user_data.cast::<Callback>() };
        // The calling thread is normally a Java thread (attached already: this is a no-op and
        // nothing is detached); any other thread is attached for the call and detached after.
        let mut env = cb.vm.attach_current_thread().map_err(|e| e.to_string())?;
        let data: &[u8] = if input.is_null() || input_len == 0 {
            &[]
        } else {
            // SAFETY: the C ABI passes `input_len` readable bytes, valid during the callback.
            unsafe { std::slice::from_raw_parts(input, input_len) }
        };
        env.with_local_frame(4, |env| -> Result<i32, jni::errors::Error> {
            let arr: JObject<'_> = if data.is_empty() {
                JObject::null()
            } else {
                env.byte_array_from_slice(data)?.into()
            };
            let args = [jvalue { j: handle(call) }, jvalue { l: arr.as_raw() }];
            // SAFETY: the method ID belongs to the object's class, signature (J[B)I.
            let r = unsafe {
                env.call_method_unchecked(
                    &cb.obj,
                    cb.method,
                    ReturnType::Primitive(Primitive::Int),
                    &args,
                )
            };
            match r {
                Ok(JValueGen::Int(v)) => Ok(v),
                Ok(_) => Ok(1),
                Err(e) => {
                    if env.exception_check().unwrap_or(false) {
                        let _ = env.exception_clear();
                        Ok(-1)
                    } else {
                        Err(e)
                    }
                }
            }
        })
        .map_err(|e| e.to_string())
    }));
    let (status, message) = match result {
        Ok(Ok(-1)) => (
            1,
            Some("the Java host function threw past its bridge".to_string()),
        ),
        Ok(Ok(v)) => (v, None),
        Ok(Err(e)) => (
            1,
            Some(format!("JNI failure calling the Java host function: {e}")),
        ),
        Err(_) => (
            1,
            Some("panic in the Java binding's host-function bridge".to_string()),
        ),
    };
    if let Some(m) = message
        && let Ok(m) = CString::new(m)
    {
        // SAFETY: NUL-terminated; the call is in progress on this thread.
        unsafe { nanoproc_host_call_set_error(call, m.as_ptr()) };
    }
    status
}

/// `void Native.builderHostFn(long, String namespace, String name, HostFunctionBridge fn)`
#[unsafe(no_mangle)]
pub extern "system" fn Java_dev_nanoproc_Native_builderHostFn<'l>(
    mut env: JNIEnv<'l>,
    _c: JClass<'l>,
    h: jlong,
    namespace: JString<'l>,
    name: JString<'l>,
    bridge: JObject<'l>,
) {
    guard(&mut env, |env| {
        let ns = cstring(env, &namespace, "namespace")?;
        let name = cstring(env, &name, "name")?;
        let data = new_callback(env, &bridge, "invoke", "(J[B)I")?;
        // SAFETY: NUL-terminated strings; the callback and its data are thread-safe (a global
        // reference and a JavaVM); the C ABI frees `data` with free_callback, also on failure.
        check(unsafe {
            nanoproc_plugin_builder_host_fn(
                ptr(h),
                ns.as_ptr(),
                name.as_ptr(),
                Some(host_trampoline),
                data,
                Some(free_callback),
            )
        })
    })
}

/// One audit event's JSON as its five fields.
fn event_fields(v: &serde_json::Value) -> (i64, String, String, String, String) {
    let s = |k: &str| v.get(k).and_then(|x| x.as_str()).unwrap_or("").to_string();
    let t = v.get("time_ms").and_then(|x| x.as_i64()).unwrap_or(0);
    (t, s("what"), s("target"), s("decision"), s("rule"))
}

/// The C audit callback: calls `void AuditBridge.onEvent(long, String, String, String, String)`.
unsafe extern "C" fn audit_trampoline(user_data: *mut c_void, json: *const c_char, len: usize) {
    let _ = catch_unwind(AssertUnwindSafe(|| -> Result<(), jni::errors::Error> {
        if json.is_null() {
            return Ok(());
        }
        // SAFETY: the registered Callback; `len` readable bytes of JSON during the callback.
        let cb = unsafe { &*user_data.cast::<Callback>() };
        let text = unsafe { std::slice::from_raw_parts(json.cast::<u8>(), len) };
        let Ok(value) = serde_json::from_slice::<serde_json::Value>(text) else {
            return Ok(());
        };
        let (t, what, target, decision, rule) = event_fields(&value);
        let mut env = cb.vm.attach_current_thread()?;
        env.with_local_frame(8, |env| -> Result<(), jni::errors::Error> {
            let what = env.new_string(what)?;
            let target = env.new_string(target)?;
            let decision = env.new_string(decision)?;
            let rule = env.new_string(rule)?;
            let args = [
                jvalue { j: t },
                jvalue { l: what.as_raw() },
                jvalue { l: target.as_raw() },
                jvalue {
                    l: decision.as_raw(),
                },
                jvalue { l: rule.as_raw() },
            ];
            // SAFETY: method ID of the object's class, signature (JLjava/lang/String;x4)V.
            let r = unsafe {
                env.call_method_unchecked(
                    &cb.obj,
                    cb.method,
                    ReturnType::Primitive(Primitive::Void),
                    &args,
                )
            };
            if r.is_err() && env.exception_check().unwrap_or(false) {
                // The bridge catches listener exceptions; anything else is dropped here.
                let _ = env.exception_clear();
            }
            Ok(())
        })
    }));
}

/// `void Native.builderAuditCallback(long, AuditBridge)`
#[unsafe(no_mangle)]
pub extern "system" fn Java_dev_nanoproc_Native_builderAuditCallback<'l>(
    mut env: JNIEnv<'l>,
    _c: JClass<'l>,
    h: jlong,
    bridge: JObject<'l>,
) {
    guard(&mut env, |env| {
        let data = new_callback(
            env,
            &bridge,
            "onEvent",
            "(JLjava/lang/String;Ljava/lang/String;Ljava/lang/String;Ljava/lang/String;)V",
        )?;
        // SAFETY: as for host functions.
        check(unsafe {
            nanoproc_plugin_builder_audit_callback(
                ptr(h),
                Some(audit_trampoline),
                data,
                Some(free_callback),
            )
        })
    })
}

/// `long Native.builderBuild(long)`: consumes the builder.
#[unsafe(no_mangle)]
pub extern "system" fn Java_dev_nanoproc_Native_builderBuild<'l>(
    mut env: JNIEnv<'l>,
    _c: JClass<'l>,
    h: jlong,
) -> jlong {
    guard(&mut env, |_env| {
        let mut out: *mut nanoproc_plugin = null_mut();
        // SAFETY: `out` is writable.
        check(unsafe { nanoproc_plugin_builder_build(ptr(h), &mut out) })?;
        Ok(handle(out))
    })
}

// ---- plugin, instance, cancel -------------------------------------------------------------

/// `void Native.pluginFree(long)`
#[unsafe(no_mangle)]
pub extern "system" fn Java_dev_nanoproc_Native_pluginFree<'l>(
    _env: JNIEnv<'l>,
    _c: JClass<'l>,
    h: jlong,
) {
    nanoproc_plugin_free(ptr(h));
}

/// Reads the name and input, calls `f` with them and the options, and returns the output as a
/// Java byte array (null when empty).
#[allow(clippy::too_many_arguments)]
fn call_with(
    env: &mut JNIEnv<'_>,
    name: &JByteArray<'_>,
    input: &JByteArray<'_>,
    fuel: jlong,
    timeout_us: jlong,
    max_memory: jlong,
    cancel: jlong,
    f: impl FnOnce(
        *const c_char,
        usize,
        *const u8,
        usize,
        &nanoproc_call_options,
        &mut nanoproc_buf,
    ) -> *mut nanoproc_error,
) -> Res<jobject> {
    // The name and the input, read into this thread's scratch buffer (no allocation per call;
    // a nested call from a host function on this thread finds it taken and uses its own).
    let mut scratch = SCRATCH.take();
    scratch.clear();
    let read = append_bytes(env, name, &mut scratch).and_then(|name_len| {
        append_bytes(env, input, &mut scratch)?;
        Ok(name_len)
    });
    let name_len = match read {
        Ok(n) => n,
        Err(e) => {
            SCRATCH.set(scratch);
            return Err(e);
        }
    };
    let (name, input) = scratch.split_at(name_len);
    let options = nanoproc_call_options {
        fuel: fuel as u64,
        timeout_us: timeout_us as u64,
        max_memory: max_memory as u64,
        cancel: ptr::<nanoproc_cancel>(cancel).cast_const(),
    };
    let mut out = nanoproc_buf {
        data: null_mut(),
        len: 0,
    };
    check(f(
        name.as_ptr().cast(),
        name.len(),
        input.as_ptr(),
        input.len(),
        &options,
        &mut out,
    ))?;
    let data: &[u8] = if out.data.is_null() || out.len == 0 {
        &[]
    } else {
        // SAFETY: the C ABI hands out `len` bytes at `data`, ours until freed.
        unsafe { std::slice::from_raw_parts(out.data, out.len) }
    };
    let result = byte_array(env, data);
    // SAFETY: `out` came from the C ABI.
    unsafe { nanoproc_buf_free(&mut out) };
    if scratch.capacity() <= SCRATCH_KEEP {
        SCRATCH.set(scratch);
    }
    result
}

thread_local! {
    /// Per-thread buffer for a call's name and input.
    static SCRATCH: std::cell::Cell<Vec<u8>> = const { std::cell::Cell::new(Vec::new()) };
}

/// The largest scratch buffer a thread keeps between calls.
const SCRATCH_KEEP: usize = 1 << 20;

/// Appends a Java byte array's bytes (none for null) to `buf` without zeroing them first;
/// returns how many.
fn append_bytes(env: &mut JNIEnv<'_>, a: &JByteArray<'_>, buf: &mut Vec<u8>) -> Res<usize> {
    if a.is_null() {
        return Ok(0);
    }
    let len = env.get_array_length(a)?;
    let n = usize::try_from(len).unwrap_or(0);
    if n == 0 {
        return Ok(0);
    }
    buf.reserve(n);
    let raw = env.get_raw();
    // SAFETY: `raw` is this thread's JNIEnv; `buf` has room for `n` more bytes, which
    // GetByteArrayRegion writes in full (or throws, and then the length stays unchanged).
    unsafe {
        let get = (**raw).GetByteArrayRegion.ok_or(Fail::Jni(
            jni::errors::Error::JNIEnvMethodNotFound("GetByteArrayRegion"),
        ))?;
        let dst = buf.as_mut_ptr().add(buf.len());
        get(raw, a.as_raw(), 0, len, dst.cast());
        if env.exception_check()? {
            return Err(Fail::Jni(jni::errors::Error::JavaException));
        }
        buf.set_len(buf.len() + n);
    }
    Ok(n)
}

/// `byte[] Native.pluginCall(long, byte[] name, byte[] input, long fuel, long timeoutUs,
/// long maxMemory, long cancel)`: null for an empty output.
#[unsafe(no_mangle)]
#[allow(clippy::too_many_arguments)]
pub extern "system" fn Java_dev_nanoproc_Native_pluginCall<'l>(
    mut env: JNIEnv<'l>,
    _c: JClass<'l>,
    h: jlong,
    name: JByteArray<'l>,
    input: JByteArray<'l>,
    fuel: jlong,
    timeout_us: jlong,
    max_memory: jlong,
    cancel: jlong,
) -> jobject {
    guard(&mut env, |env| {
        call_with(
            env,
            &name,
            &input,
            fuel,
            timeout_us,
            max_memory,
            cancel,
            |n, nl, i, il, o, out| {
                // SAFETY: the name and input have those lengths; options and output are ours.
                unsafe { nanoproc_plugin_call(ptr(h), n, nl, i, il, o, out) }
            },
        )
    })
}

/// `byte[] Native.instanceCall(...)`: as `pluginCall`, in the kept sandbox.
#[unsafe(no_mangle)]
#[allow(clippy::too_many_arguments)]
pub extern "system" fn Java_dev_nanoproc_Native_instanceCall<'l>(
    mut env: JNIEnv<'l>,
    _c: JClass<'l>,
    h: jlong,
    name: JByteArray<'l>,
    input: JByteArray<'l>,
    fuel: jlong,
    timeout_us: jlong,
    max_memory: jlong,
    cancel: jlong,
) -> jobject {
    guard(&mut env, |env| {
        call_with(
            env,
            &name,
            &input,
            fuel,
            timeout_us,
            max_memory,
            cancel,
            |n, nl, i, il, o, out| {
                // SAFETY: as in pluginCall.
                unsafe { nanoproc_instance_call(ptr(h), n, nl, i, il, o, out) }
            },
        )
    })
}

/// `void Native.pluginCancel(long)`
#[unsafe(no_mangle)]
pub extern "system" fn Java_dev_nanoproc_Native_pluginCancel<'l>(
    mut env: JNIEnv<'l>,
    _c: JClass<'l>,
    h: jlong,
) {
    guard(&mut env, |_env| check(nanoproc_plugin_cancel(ptr(h))))
}

/// `String[] Native.pluginFunctions(long)`
#[unsafe(no_mangle)]
pub extern "system" fn Java_dev_nanoproc_Native_pluginFunctions<'l>(
    mut env: JNIEnv<'l>,
    _c: JClass<'l>,
    h: jlong,
) -> jobjectArray {
    guard(&mut env, |env| {
        let mut count = 0usize;
        // SAFETY: writable out-pointer.
        check(unsafe { nanoproc_plugin_function_count(ptr(h), &mut count) })?;
        let mut names = Vec::with_capacity(count);
        for i in 0..count {
            let mut name: *const c_char = null();
            // SAFETY: writable out-pointers.
            check(unsafe { nanoproc_plugin_function(ptr(h), i, &mut name, null_mut()) })?;
            names.push(c_text(name));
        }
        string_array(env, &names)
    })
}

fn string_array(env: &mut JNIEnv<'_>, items: &[String]) -> Res<jobjectArray> {
    let len = i32::try_from(items.len()).map_err(|_| Fail::Arg("too many items".into()))?;
    let arr: JObjectArray<'_> = env.new_object_array(len, "java/lang/String", JObject::null())?;
    for (i, s) in items.iter().enumerate() {
        let js = env.new_string(s)?;
        env.set_object_array_element(&arr, i as i32, &js)?;
        env.delete_local_ref(js)?;
    }
    Ok(arr.into_raw())
}

/// `boolean Native.pluginIsComponent(long)`
#[unsafe(no_mangle)]
pub extern "system" fn Java_dev_nanoproc_Native_pluginIsComponent<'l>(
    mut env: JNIEnv<'l>,
    _c: JClass<'l>,
    h: jlong,
) -> jboolean {
    guard(&mut env, |_env| {
        let mut out = false;
        // SAFETY: writable out-pointer.
        check(unsafe { nanoproc_plugin_is_component(ptr(h), &mut out) })?;
        Ok(jboolean::from(out))
    })
}

/// `String[] Native.pluginAuditTake(long)`: `[dropped, then time_ms, what, target, decision,
/// rule per event]`.
#[unsafe(no_mangle)]
pub extern "system" fn Java_dev_nanoproc_Native_pluginAuditTake<'l>(
    mut env: JNIEnv<'l>,
    _c: JClass<'l>,
    h: jlong,
) -> jobjectArray {
    guard(&mut env, |env| {
        let mut out = nanoproc_buf {
            data: null_mut(),
            len: 0,
        };
        // SAFETY: writable out-pointer.
        check(unsafe { nanoproc_plugin_audit_take(ptr(h), &mut out) })?;
        let parsed = if out.data.is_null() {
            serde_json::Value::Null
        } else {
            // SAFETY: `len` bytes from the C ABI, ours until freed.
            let s = unsafe { std::slice::from_raw_parts(out.data, out.len) };
            serde_json::from_slice(s).unwrap_or(serde_json::Value::Null)
        };
        // SAFETY: from the C ABI.
        unsafe { nanoproc_buf_free(&mut out) };
        let dropped = parsed.get("dropped").and_then(|d| d.as_u64()).unwrap_or(0);
        let mut flat = vec![dropped.to_string()];
        if let Some(events) = parsed.get("events").and_then(|e| e.as_array()) {
            for e in events {
                let (t, what, target, decision, rule) = event_fields(e);
                flat.extend([t.to_string(), what, target, decision, rule]);
            }
        }
        string_array(env, &flat)
    })
}

/// `long Native.instanceNew(long plugin)`
#[unsafe(no_mangle)]
pub extern "system" fn Java_dev_nanoproc_Native_instanceNew<'l>(
    mut env: JNIEnv<'l>,
    _c: JClass<'l>,
    h: jlong,
) -> jlong {
    guard(&mut env, |_env| {
        let mut out: *mut nanoproc_instance = null_mut();
        // SAFETY: writable out-pointer.
        check(unsafe { nanoproc_plugin_instance(ptr(h), &mut out) })?;
        Ok(handle(out))
    })
}

/// `void Native.instanceFree(long)`
#[unsafe(no_mangle)]
pub extern "system" fn Java_dev_nanoproc_Native_instanceFree<'l>(
    _env: JNIEnv<'l>,
    _c: JClass<'l>,
    h: jlong,
) {
    nanoproc_instance_free(ptr(h));
}

/// `long Native.cancelNew()`
#[unsafe(no_mangle)]
pub extern "system" fn Java_dev_nanoproc_Native_cancelNew<'l>(
    _env: JNIEnv<'l>,
    _c: JClass<'l>,
) -> jlong {
    handle(nanoproc_cancel_new())
}

/// `void Native.cancelCancel(long)`
#[unsafe(no_mangle)]
pub extern "system" fn Java_dev_nanoproc_Native_cancelCancel<'l>(
    mut env: JNIEnv<'l>,
    _c: JClass<'l>,
    h: jlong,
) {
    guard(&mut env, |_env| check(nanoproc_cancel_cancel(ptr(h))))
}

/// `void Native.cancelFree(long)`
#[unsafe(no_mangle)]
pub extern "system" fn Java_dev_nanoproc_Native_cancelFree<'l>(
    _env: JNIEnv<'l>,
    _c: JClass<'l>,
    h: jlong,
) {
    nanoproc_cancel_free(ptr(h));
}

// ---- host calls (valid only during a host function, on its thread; the C ABI checks) ------

/// `boolean Native.hostCallSetOutput(long call, byte[] data)`
#[unsafe(no_mangle)]
pub extern "system" fn Java_dev_nanoproc_Native_hostCallSetOutput<'l>(
    mut env: JNIEnv<'l>,
    _c: JClass<'l>,
    call: jlong,
    data: JByteArray<'l>,
) -> jboolean {
    guard(&mut env, |env| {
        let data = bytes(env, &data)?;
        // SAFETY: `data` has `len` bytes; the C ABI checks the call.
        let ok = unsafe { nanoproc_host_call_set_output(ptr(call), data.as_ptr(), data.len()) };
        Ok(jboolean::from(ok))
    })
}

/// `boolean Native.hostCallSetError(long call, String message)`
#[unsafe(no_mangle)]
pub extern "system" fn Java_dev_nanoproc_Native_hostCallSetError<'l>(
    mut env: JNIEnv<'l>,
    _c: JClass<'l>,
    call: jlong,
    message: JString<'l>,
) -> jboolean {
    guard(&mut env, |env| {
        let text: String = if message.is_null() {
            String::new()
        } else {
            env.get_string(&message)?.into()
        };
        let m = CString::new(text.replace('\0', " ")).unwrap_or_default();
        // SAFETY: NUL-terminated; the C ABI checks the call.
        Ok(jboolean::from(unsafe {
            nanoproc_host_call_set_error(ptr(call), m.as_ptr())
        }))
    })
}

/// `boolean Native.hostCallShouldStop(long call)`
#[unsafe(no_mangle)]
pub extern "system" fn Java_dev_nanoproc_Native_hostCallShouldStop<'l>(
    _env: JNIEnv<'l>,
    _c: JClass<'l>,
    call: jlong,
) -> jboolean {
    jboolean::from(nanoproc_host_call_should_stop(ptr(call)))
}

/// `long Native.hostCallRemainingMs(long call)`
#[unsafe(no_mangle)]
pub extern "system" fn Java_dev_nanoproc_Native_hostCallRemainingMs<'l>(
    _env: JNIEnv<'l>,
    _c: JClass<'l>,
    call: jlong,
) -> jlong {
    nanoproc_host_call_remaining_ms(ptr(call))
}

/// `String Native.hostCallPlugin(long call)`: null for an invalid call.
#[unsafe(no_mangle)]
pub extern "system" fn Java_dev_nanoproc_Native_hostCallPlugin<'l>(
    mut env: JNIEnv<'l>,
    _c: JClass<'l>,
    call: jlong,
) -> jstring {
    guard(&mut env, |env| {
        let p = nanoproc_host_call_plugin(ptr(call));
        if p.is_null() {
            return Ok(null_mut());
        }
        Ok(env.new_string(c_text(p))?.into_raw())
    })
}

// ---- run and outcomes ---------------------------------------------------------------------

/// `long Native.runFile(long engine, String path, long policy)`
#[unsafe(no_mangle)]
pub extern "system" fn Java_dev_nanoproc_Native_runFile<'l>(
    mut env: JNIEnv<'l>,
    _c: JClass<'l>,
    engine: jlong,
    path: JString<'l>,
    policy: jlong,
) -> jlong {
    guard(&mut env, |env| {
        let path = cstring(env, &path, "path")?;
        let mut out: *mut nanoproc_outcome = null_mut();
        // SAFETY: NUL-terminated; writable out-pointer.
        check(unsafe { nanoproc_run_file(ptr(engine), path.as_ptr(), ptr(policy), &mut out) })?;
        Ok(handle(out))
    })
}

/// `long Native.runBytes(long engine, byte[] wasm, String name, long policy)`
#[unsafe(no_mangle)]
pub extern "system" fn Java_dev_nanoproc_Native_runBytes<'l>(
    mut env: JNIEnv<'l>,
    _c: JClass<'l>,
    engine: jlong,
    wasm: JByteArray<'l>,
    name: JString<'l>,
    policy: jlong,
) -> jlong {
    guard(&mut env, |env| {
        let wasm = bytes(env, &wasm)?;
        let name = opt_cstring(env, &name)?;
        let mut out: *mut nanoproc_outcome = null_mut();
        // SAFETY: `wasm` has `len` bytes; `name` NULL or NUL-terminated; writable out-pointer.
        check(unsafe {
            nanoproc_run_bytes(
                ptr(engine),
                wasm.as_ptr(),
                wasm.len(),
                name.as_ref().map_or(null(), |n| n.as_ptr()),
                ptr(policy),
                &mut out,
            )
        })?;
        Ok(handle(out))
    })
}

/// `int Native.outcomeExitCode(long)`
#[unsafe(no_mangle)]
pub extern "system" fn Java_dev_nanoproc_Native_outcomeExitCode<'l>(
    _env: JNIEnv<'l>,
    _c: JClass<'l>,
    h: jlong,
) -> jint {
    nanoproc_outcome_exit_code(ptr(h))
}

/// `Throwable Native.outcomeError(long)`: the exception for what stopped the guest
/// (not thrown), or null if it exited on its own.
#[unsafe(no_mangle)]
pub extern "system" fn Java_dev_nanoproc_Native_outcomeError<'l>(
    mut env: JNIEnv<'l>,
    _c: JClass<'l>,
    h: jlong,
) -> jobject {
    guard(&mut env, |env| {
        let err = nanoproc_outcome_error(ptr(h));
        if err.is_null() {
            return Ok(null_mut());
        }
        Ok(exception_object(env, err)?.into_raw())
    })
}

/// `byte[] Native.outcomeOutput(long, boolean stderr)`: null when empty.
#[unsafe(no_mangle)]
pub extern "system" fn Java_dev_nanoproc_Native_outcomeOutput<'l>(
    mut env: JNIEnv<'l>,
    _c: JClass<'l>,
    h: jlong,
    stderr: jboolean,
) -> jobject {
    guard(&mut env, |env| {
        let mut data: *const u8 = null();
        let mut len = 0usize;
        // SAFETY: writable out-pointers.
        check(unsafe {
            if stderr != 0 {
                nanoproc_outcome_stderr(ptr(h), &mut data, &mut len)
            } else {
                nanoproc_outcome_stdout(ptr(h), &mut data, &mut len)
            }
        })?;
        let bytes: &[u8] = if data.is_null() || len == 0 {
            &[]
        } else {
            // SAFETY: borrowed bytes valid until the outcome is freed (it is not, here).
            unsafe { std::slice::from_raw_parts(data, len) }
        };
        byte_array(env, bytes)
    })
}

/// `long[] Native.outcomeUsage(long)`: fuel metered (0/1), fuel consumed, peak memory, wall
/// time (µs), stdout bytes, stderr bytes, peak fds.
#[unsafe(no_mangle)]
pub extern "system" fn Java_dev_nanoproc_Native_outcomeUsage<'l>(
    mut env: JNIEnv<'l>,
    _c: JClass<'l>,
    h: jlong,
) -> jlongArray {
    guard(&mut env, |env| {
        let mut u = nanoproc_usage {
            fuel_metered: false,
            fuel_consumed: 0,
            peak_memory_bytes: 0,
            wall_time_us: 0,
            stdout_bytes: 0,
            stderr_bytes: 0,
            peak_fds: 0,
        };
        // SAFETY: writable out-pointer.
        check(unsafe { nanoproc_outcome_usage(ptr(h), &mut u) })?;
        let vals = [
            jlong::from(u.fuel_metered),
            u.fuel_consumed as jlong,
            u.peak_memory_bytes as jlong,
            u.wall_time_us as jlong,
            u.stdout_bytes as jlong,
            u.stderr_bytes as jlong,
            u.peak_fds as jlong,
        ];
        let arr = env.new_long_array(vals.len() as i32)?;
        env.set_long_array_region(&arr, 0, &vals)?;
        Ok(arr.into_raw())
    })
}

/// `String Native.outcomeJson(long)`
#[unsafe(no_mangle)]
pub extern "system" fn Java_dev_nanoproc_Native_outcomeJson<'l>(
    mut env: JNIEnv<'l>,
    _c: JClass<'l>,
    h: jlong,
) -> jstring {
    guard(&mut env, |env| {
        let p = nanoproc_outcome_json(ptr(h));
        Ok(env.new_string(c_text(p))?.into_raw())
    })
}

/// `void Native.outcomeFree(long)`
#[unsafe(no_mangle)]
pub extern "system" fn Java_dev_nanoproc_Native_outcomeFree<'l>(
    _env: JNIEnv<'l>,
    _c: JClass<'l>,
    h: jlong,
) {
    nanoproc_outcome_free(ptr(h));
}

// ---- receipts ----------------------------------------------------------------------------

/// `byte[] Native.outcomeReceipt(long outcome, String secretKeyPath)`: the run's signed
/// receipt (JSON).
#[unsafe(no_mangle)]
pub extern "system" fn Java_dev_nanoproc_Native_outcomeReceipt<'l>(
    mut env: JNIEnv<'l>,
    _c: JClass<'l>,
    h: jlong,
    key: JString<'l>,
) -> jobject {
    guard(&mut env, |env| {
        let key = cstring(env, &key, "receiptKey")?;
        let mut out = nanoproc_buf {
            data: null_mut(),
            len: 0,
        };
        // SAFETY: NUL-terminated; writable out-pointer.
        check(unsafe { nanoproc_outcome_receipt(ptr(h), key.as_ptr(), &mut out) })?;
        let data: &[u8] = if out.data.is_null() || out.len == 0 {
            &[]
        } else {
            // SAFETY: the C ABI hands out `len` bytes at `data`, ours until freed.
            unsafe { std::slice::from_raw_parts(out.data, out.len) }
        };
        let result = env.byte_array_from_slice(data).map(|a| a.into_raw());
        // SAFETY: `out` came from the C ABI.
        unsafe { nanoproc_buf_free(&mut out) };
        Ok(result?)
    })
}

/// `void Native.receiptVerify(byte[] receipt, String pubkeyPath)`
#[unsafe(no_mangle)]
pub extern "system" fn Java_dev_nanoproc_Native_receiptVerify<'l>(
    mut env: JNIEnv<'l>,
    _c: JClass<'l>,
    receipt: JByteArray<'l>,
    key: JString<'l>,
) {
    guard(&mut env, |env| {
        let receipt = bytes(env, &receipt)?;
        let key = cstring(env, &key, "hostPublicKey")?;
        // SAFETY: `receipt` has `len` bytes; `key` is NUL-terminated.
        check(unsafe { nanoproc_receipt_verify(receipt.as_ptr(), receipt.len(), key.as_ptr()) })
    })
}
