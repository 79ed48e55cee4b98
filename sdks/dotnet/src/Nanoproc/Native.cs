// P/Invoke declarations for nanoproc's C ABI (crates/nanoproc-capi/include/nanoproc.h) and the
// SafeHandle types that own its objects. Internal: the public API is in the other files.
using System;
using System.Runtime.InteropServices;
using System.Text;

namespace Nanoproc
{
    /// <summary>Bytes owned by nanoproc (<c>nanoproc_buf</c>); freed with <c>nanoproc_buf_free</c>.</summary>
    [StructLayout(LayoutKind.Sequential)]
    internal struct NativeBuf
    {
        public IntPtr Data;
        public UIntPtr Len;
    }

    /// <summary><c>nanoproc_call_options</c>.</summary>
    [StructLayout(LayoutKind.Sequential)]
    internal struct NativeCallOptions
    {
        public ulong Fuel;
        public ulong TimeoutUs;
        public ulong MaxMemory;
        public IntPtr Cancel;
    }

    /// <summary><c>nanoproc_usage</c>.</summary>
    [StructLayout(LayoutKind.Sequential)]
    internal struct NativeUsage
    {
        [MarshalAs(UnmanagedType.U1)] public bool FuelMetered;
        public ulong FuelConsumed;
        public ulong PeakMemoryBytes;
        public ulong WallTimeUs;
        public ulong StdoutBytes;
        public ulong StderrBytes;
        public ulong PeakFds;
    }

    [UnmanagedFunctionPointer(CallingConvention.Cdecl)]
    internal delegate int NativeHostFn(IntPtr userData, IntPtr call, IntPtr input, UIntPtr inputLen);

    [UnmanagedFunctionPointer(CallingConvention.Cdecl)]
    internal delegate void NativeFreeFn(IntPtr userData);

    [UnmanagedFunctionPointer(CallingConvention.Cdecl)]
    internal delegate void NativeAuditFn(IntPtr userData, IntPtr json, UIntPtr jsonLen);

    /// <summary>
    /// A nanoproc handle freed by its <c>_free</c> function when disposed or finalized (and no
    /// P/Invoke call is using it any more: SafeHandle counts them).
    /// </summary>
    internal abstract class NanoprocHandle : SafeHandle
    {
        private volatile bool disposed;

        protected NanoprocHandle() : base(IntPtr.Zero, true) { }

        public override bool IsInvalid { get { return handle == IntPtr.Zero; } }

        /// <summary>
        /// Disposed, even while a call still holds the handle (Mono's SafeHandle reports
        /// IsClosed only once the last user has released it).
        /// </summary>
        public bool IsDisposed { get { return disposed || IsClosed; } }

        protected override void Dispose(bool disposing)
        {
            disposed = true;
            base.Dispose(disposing);
        }

        /// <summary>Throws ObjectDisposedException naming <paramref name="what"/> once disposed.</summary>
        public void ThrowIfDisposed(string what)
        {
            if (IsDisposed)
                throw new ObjectDisposedException(char.ToUpperInvariant(what[0]) + what.Substring(1),
                    "the " + what + " is disposed; make a new one");
        }
    }

    internal sealed class EngineHandle : NanoprocHandle
    {
        protected override bool ReleaseHandle() { Native.nanoproc_engine_free(handle); return true; }
    }

    internal sealed class PluginHandle : NanoprocHandle
    {
        protected override bool ReleaseHandle() { Native.nanoproc_plugin_free(handle); return true; }
    }

    internal sealed class InstanceHandle : NanoprocHandle
    {
        protected override bool ReleaseHandle() { Native.nanoproc_instance_free(handle); return true; }
    }

    internal sealed class PolicyHandle : NanoprocHandle
    {
        protected override bool ReleaseHandle() { Native.nanoproc_policy_builder_free(handle); return true; }
    }

    internal sealed class CancelHandle : NanoprocHandle
    {
        protected override bool ReleaseHandle() { Native.nanoproc_cancel_free(handle); return true; }
    }

    internal sealed class OutcomeHandle : NanoprocHandle
    {
        protected override bool ReleaseHandle() { Native.nanoproc_outcome_free(handle); return true; }
    }

    internal static unsafe class Native
    {
        /// <summary>The native library: libnanoproc_capi.so (Linux), nanoproc_capi.dll, libnanoproc_capi.dylib.</summary>
        public const string Lib = "nanoproc_capi";

        public const uint EngineFuel = 1;
        public const uint EnginePooling = 2;
        public const uint EngineNoCache = 4;

        [DllImport(Lib)] public static extern IntPtr nanoproc_version();
        [DllImport(Lib)] public static extern UIntPtr nanoproc_live_objects();
        [DllImport(Lib)] public static extern void nanoproc_buf_free(ref NativeBuf buf);

        [DllImport(Lib)] public static extern IntPtr nanoproc_engine_new(uint flags, byte[] cacheDir, out EngineHandle engine);
        [DllImport(Lib)] public static extern void nanoproc_engine_free(IntPtr engine);

        [DllImport(Lib)] public static extern int nanoproc_error_get_kind(IntPtr error);
        [DllImport(Lib)] public static extern IntPtr nanoproc_error_message(IntPtr error);
        [DllImport(Lib)] public static extern IntPtr nanoproc_error_detail(IntPtr error);
        [DllImport(Lib)] public static extern int nanoproc_error_exit_code(IntPtr error);
        [DllImport(Lib)] public static extern void nanoproc_error_free(IntPtr error);

        [DllImport(Lib)] [return: MarshalAs(UnmanagedType.U1)]
        public static extern bool nanoproc_host_call_set_output(IntPtr call, byte* data, UIntPtr len);
        [DllImport(Lib)] [return: MarshalAs(UnmanagedType.U1)]
        public static extern bool nanoproc_host_call_set_error(IntPtr call, byte[] message);
        [DllImport(Lib)] [return: MarshalAs(UnmanagedType.U1)]
        public static extern bool nanoproc_host_call_should_stop(IntPtr call);
        [DllImport(Lib)] public static extern long nanoproc_host_call_remaining_ms(IntPtr call);
        [DllImport(Lib)] public static extern IntPtr nanoproc_host_call_plugin(IntPtr call);

        [DllImport(Lib)] public static extern IntPtr nanoproc_plugin_builder_new(EngineHandle engine, out IntPtr builder);
        [DllImport(Lib)] public static extern void nanoproc_plugin_builder_free(IntPtr builder);
        [DllImport(Lib)] public static extern IntPtr nanoproc_plugin_builder_wasm_file(IntPtr builder, byte[] path);
        [DllImport(Lib)] public static extern IntPtr nanoproc_plugin_builder_wasm_bytes(IntPtr builder, byte[] wasm, UIntPtr len);
        [DllImport(Lib)] public static extern IntPtr nanoproc_plugin_builder_name(IntPtr builder, byte[] name);
        [DllImport(Lib)] public static extern IntPtr nanoproc_plugin_builder_policy(IntPtr builder, PolicyHandle policy);
        [DllImport(Lib)] public static extern IntPtr nanoproc_plugin_builder_config(IntPtr builder, byte[] key, byte[] value);
        [DllImport(Lib)] public static extern IntPtr nanoproc_plugin_builder_host_fn(IntPtr builder, byte[] ns, byte[] name,
            NativeHostFn callback, IntPtr userData, NativeFreeFn freeUserData);
        [DllImport(Lib)] public static extern IntPtr nanoproc_plugin_builder_audit_keep(IntPtr builder, UIntPtr maxEvents);
        [DllImport(Lib)] public static extern IntPtr nanoproc_plugin_builder_audit_callback(IntPtr builder,
            NativeAuditFn callback, IntPtr userData, NativeFreeFn freeUserData);
        [DllImport(Lib)] public static extern IntPtr nanoproc_plugin_builder_build(IntPtr builder, out PluginHandle plugin);

        [DllImport(Lib)] public static extern void nanoproc_plugin_free(IntPtr plugin);
        [DllImport(Lib)] public static extern IntPtr nanoproc_plugin_call(PluginHandle plugin, byte* function, UIntPtr functionLen,
            byte* input, UIntPtr inputLen, NativeCallOptions* options, out NativeBuf output);
        [DllImport(Lib)] public static extern IntPtr nanoproc_plugin_cancel(PluginHandle plugin);
        [DllImport(Lib)] public static extern IntPtr nanoproc_plugin_function_count(PluginHandle plugin, out UIntPtr count);
        [DllImport(Lib)] public static extern IntPtr nanoproc_plugin_function(PluginHandle plugin, UIntPtr index, out IntPtr name, out UIntPtr nameLen);
        [DllImport(Lib)] public static extern IntPtr nanoproc_plugin_is_component(PluginHandle plugin, [MarshalAs(UnmanagedType.U1)] out bool isComponent);
        [DllImport(Lib)] public static extern IntPtr nanoproc_plugin_audit_take(PluginHandle plugin, out NativeBuf json);
        [DllImport(Lib)] public static extern IntPtr nanoproc_plugin_instance(PluginHandle plugin, out InstanceHandle instance);

        [DllImport(Lib)] public static extern IntPtr nanoproc_instance_call(InstanceHandle instance, byte* function, UIntPtr functionLen,
            byte* input, UIntPtr inputLen, NativeCallOptions* options, out NativeBuf output);
        [DllImport(Lib)] public static extern void nanoproc_instance_free(IntPtr instance);

        [DllImport(Lib)] public static extern CancelHandle nanoproc_cancel_new();
        [DllImport(Lib)] public static extern IntPtr nanoproc_cancel_cancel(CancelHandle cancel);
        [DllImport(Lib)] public static extern void nanoproc_cancel_free(IntPtr cancel);

        [DllImport(Lib)] public static extern PolicyHandle nanoproc_policy_builder_new();
        [DllImport(Lib)] public static extern void nanoproc_policy_builder_free(IntPtr policy);
        [DllImport(Lib)] public static extern IntPtr nanoproc_policy_builder_dir(PolicyHandle policy, byte[] hostDir, byte[] guestDir,
            [MarshalAs(UnmanagedType.U1)] bool writable);
        [DllImport(Lib)] public static extern IntPtr nanoproc_policy_builder_env(PolicyHandle policy, byte[] name, byte[] value);
        [DllImport(Lib)] public static extern IntPtr nanoproc_policy_builder_inherit_env(PolicyHandle policy, byte[] name);
        [DllImport(Lib)] public static extern IntPtr nanoproc_policy_builder_arg(PolicyHandle policy, byte[] arg);
        [DllImport(Lib)] public static extern IntPtr nanoproc_policy_builder_stdin(PolicyHandle policy, byte[] data, UIntPtr len);
        [DllImport(Lib)] public static extern IntPtr nanoproc_policy_builder_stdout(PolicyHandle policy, int mode);
        [DllImport(Lib)] public static extern IntPtr nanoproc_policy_builder_stderr(PolicyHandle policy, int mode);
        [DllImport(Lib)] public static extern IntPtr nanoproc_policy_builder_allow_net(PolicyHandle policy, byte[] pattern);
        [DllImport(Lib)] public static extern IntPtr nanoproc_policy_builder_allow_http(PolicyHandle policy, byte[] origin);
        [DllImport(Lib)] public static extern IntPtr nanoproc_policy_builder_allow_host_fn(PolicyHandle policy, byte[] grant);
        [DllImport(Lib)] public static extern IntPtr nanoproc_policy_builder_wasi_interface(PolicyHandle policy, byte[] name,
            [MarshalAs(UnmanagedType.U1)] bool on);
        [DllImport(Lib)] public static extern IntPtr nanoproc_policy_builder_max_memory(PolicyHandle policy, ulong bytes);
        [DllImport(Lib)] public static extern IntPtr nanoproc_policy_builder_fuel(PolicyHandle policy, ulong fuel);
        [DllImport(Lib)] public static extern IntPtr nanoproc_policy_builder_timeout_ms(PolicyHandle policy, ulong ms);
        [DllImport(Lib)] public static extern IntPtr nanoproc_policy_builder_max_output(PolicyHandle policy, ulong bytes);
        [DllImport(Lib)] public static extern IntPtr nanoproc_policy_builder_disk_quota(PolicyHandle policy, ulong bytes);
        [DllImport(Lib)] public static extern IntPtr nanoproc_policy_builder_trust_key(PolicyHandle policy, byte[] pubkeyPath);
        [DllImport(Lib)] public static extern IntPtr nanoproc_policy_builder_require_signature(PolicyHandle policy, int requirement);
        [DllImport(Lib)] public static extern IntPtr nanoproc_policy_builder_pin_sha256(PolicyHandle policy, byte[] digest);
        [DllImport(Lib)] public static extern IntPtr nanoproc_policy_builder_apply_toml(PolicyHandle policy, byte[] toml, byte[] baseDir);
        [DllImport(Lib)] public static extern IntPtr nanoproc_policy_builder_validate(PolicyHandle policy);

        [DllImport(Lib)] public static extern IntPtr nanoproc_run_file(EngineHandle engine, byte[] path, PolicyHandle policy, out OutcomeHandle outcome);
        [DllImport(Lib)] public static extern IntPtr nanoproc_run_bytes(EngineHandle engine, byte[] wasm, UIntPtr len, byte[] name,
            PolicyHandle policy, out OutcomeHandle outcome);
        [DllImport(Lib)] public static extern int nanoproc_outcome_exit_code(OutcomeHandle outcome);
        [DllImport(Lib)] public static extern IntPtr nanoproc_outcome_error(OutcomeHandle outcome);
        [DllImport(Lib)] public static extern IntPtr nanoproc_outcome_stdout(OutcomeHandle outcome, out IntPtr data, out UIntPtr len);
        [DllImport(Lib)] public static extern IntPtr nanoproc_outcome_stderr(OutcomeHandle outcome, out IntPtr data, out UIntPtr len);
        [DllImport(Lib)] public static extern IntPtr nanoproc_outcome_usage(OutcomeHandle outcome, out NativeUsage usage);
        [DllImport(Lib)] public static extern IntPtr nanoproc_outcome_json(OutcomeHandle outcome);
        [DllImport(Lib)] public static extern void nanoproc_outcome_free(IntPtr outcome);
        [DllImport(Lib)] public static extern IntPtr nanoproc_outcome_receipt(OutcomeHandle outcome, byte[] secretKeyPath, out NativeBuf json);
        [DllImport(Lib)] public static extern IntPtr nanoproc_receipt_verify(byte* receipt, UIntPtr len, byte[] pubkeyPath);

        /// <summary>A NUL-terminated UTF-8 copy of <paramref name="s"/> (null stays null).</summary>
        public static byte[] Utf8z(string s)
        {
            if (s == null) return null;
            var bytes = new byte[Encoding.UTF8.GetByteCount(s) + 1];
            Encoding.UTF8.GetBytes(s, 0, s.Length, bytes, 0);
            return bytes;
        }

        /// <summary>The NUL-terminated UTF-8 string at <paramref name="p"/> (null for a null pointer).</summary>
        public static string FromUtf8z(IntPtr p)
        {
            if (p == IntPtr.Zero) return null;
            var s = (byte*)p;
            int n = 0;
            while (s[n] != 0) n++;
            return Encoding.UTF8.GetString(s, n);
        }

        /// <summary>A managed copy of <paramref name="len"/> bytes at <paramref name="p"/>.</summary>
        public static byte[] Copy(IntPtr p, UIntPtr len)
        {
            var n = checked((int)len.ToUInt64());
            var bytes = new byte[n];
            if (n > 0) Marshal.Copy(p, bytes, 0, n);
            return bytes;
        }

        /// <summary>Copies a nanoproc buffer into a new array and frees the buffer.</summary>
        public static byte[] TakeBuf(ref NativeBuf buf)
        {
            try { return Copy(buf.Data, buf.Len); }
            finally { nanoproc_buf_free(ref buf); }
        }

        /// <summary>Throws the exception for <paramref name="error"/> (freeing it) unless it is null.</summary>
        public static void Check(IntPtr error)
        {
            if (error != IntPtr.Zero) throw NanoprocException.Take(error, default(System.Threading.CancellationToken));
        }
    }
}
