using System;
using System.Collections;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Runtime.InteropServices;
using System.Text;
using System.Threading;
using System.Threading.Tasks;

namespace Nanoproc
{
    /// <summary>A host function that also sees its <see cref="HostCall"/> (to poll cancellation, read the deadline).</summary>
    public delegate byte[] HostFunction(HostCall call, byte[] input);

    /// <summary>
    /// One call of a host function, valid only while the function runs (afterwards its members
    /// return their "no call" values).
    /// </summary>
    public sealed class HostCall
    {
        private IntPtr call;

        internal HostCall(IntPtr call) { this.call = call; }

        internal void End() { call = IntPtr.Zero; }

        /// <summary>The name of the plugin making the call.</summary>
        public string Plugin { get { return Native.FromUtf8z(Native.nanoproc_host_call_plugin(call)); } }

        /// <summary>
        /// True once the plugin call was cancelled or is past its deadline (and after the host
        /// function returned): long host functions poll it and return early.
        /// </summary>
        public bool ShouldStop { get { return Native.nanoproc_host_call_should_stop(call); } }

        /// <summary>The time the call has left before its deadline; null if it has no timeout.</summary>
        public TimeSpan? Remaining
        {
            get
            {
                var ms = Native.nanoproc_host_call_remaining_ms(call);
                return ms < 0 ? (TimeSpan?)null : TimeSpan.FromMilliseconds(ms);
            }
        }
    }

    /// <summary>
    /// Host functions by name (<c>namespace::name</c>), for <see cref="PluginOptions.HostFunctions"/>:
    /// <c>HostFunctions = { { "host::greet", input => ... } }</c> or <c>HostFunctions = { ["host::greet"] = input => ... }</c>.
    /// </summary>
    public sealed class HostFunctionMap : IEnumerable<KeyValuePair<string, HostFunction>>
    {
        private readonly List<KeyValuePair<string, HostFunction>> entries = new List<KeyValuePair<string, HostFunction>>();

        /// <summary>Adds (or replaces) a host function taking the input bytes and returning the output bytes.</summary>
        public void Add(string name, Func<byte[], byte[]> function)
        {
            if (function == null) throw new ArgumentNullException("function");
            Add(name, (call, input) => function(input));
        }

        /// <summary>Adds (or replaces) a host function that also sees its <see cref="HostCall"/>.</summary>
        public void Add(string name, HostFunction function)
        {
            if (name == null) throw new ArgumentNullException("name");
            if (function == null) throw new ArgumentNullException("function");
            entries.RemoveAll(e => e.Key == name);
            entries.Add(new KeyValuePair<string, HostFunction>(name, function));
        }

        /// <summary>Sets a host function taking the input bytes and returning the output bytes.</summary>
        public Func<byte[], byte[]> this[string name] { set { Add(name, value); } }

        /// <summary>How many functions there are.</summary>
        public int Count { get { return entries.Count; } }

        /// <inheritdoc/>
        public IEnumerator<KeyValuePair<string, HostFunction>> GetEnumerator() { return entries.GetEnumerator(); }

        IEnumerator IEnumerable.GetEnumerator() { return GetEnumerator(); }
    }

    /// <summary>How a <see cref="Plugin"/> is made.</summary>
    public sealed class PluginOptions
    {
        /// <summary>The plugin's policy (null: deny everything). Copied when the plugin is made.</summary>
        public Policy Policy { get; set; }
        /// <summary>The plugin's name in messages and the audit trail (null: the file name).</summary>
        public string Name { get; set; }
        /// <summary>Configuration values the plugin reads with <c>config_get</c>.</summary>
        public IDictionary<string, string> Config { get; private set; } = new Dictionary<string, string>();
        /// <summary>Host functions the plugin may import (each only if the policy grants it).</summary>
        public HostFunctionMap HostFunctions { get; private set; } = new HostFunctionMap();
        /// <summary>How many audit events the plugin keeps for <see cref="Plugin.TakeAuditEvents()"/> (null: 1024; 0: none).</summary>
        public int? AuditKeep { get; set; }
        /// <summary>Receives every audit event as it happens, on the calling thread (possibly concurrently).</summary>
        public Action<AuditEvent> OnAudit { get; set; }
    }

    /// <summary>Per-call limits; null fields keep the plugin's policy.</summary>
    public sealed class CallOptions
    {
        /// <summary>Fuel for this call (needs an engine with fuel).</summary>
        public ulong? Fuel { get; set; }
        /// <summary>Wall-clock limit for this call (microsecond granularity).</summary>
        public TimeSpan? Timeout { get; set; }
        /// <summary>Memory budget for this call in bytes.</summary>
        public ulong? MaxMemory { get; set; }
    }

    /// <summary>
    /// A plugin: a core module following the plugin ABI (docs/abi.md) or a <c>nanoproc:plugin</c>
    /// component, whose functions take bytes and return bytes. Thread-safe: every
    /// <see cref="Call(string, byte[])"/> runs in its own fresh sandbox, concurrently with others.
    /// <see cref="CreateInstance"/> makes a sandbox kept between calls.
    /// </summary>
    public sealed class Plugin : IDisposable
    {
        internal readonly PluginHandle Handle;
        private readonly NameCache names = new NameCache();

        /// <summary>
        /// Loads, checks and compiles a plugin on <paramref name="engine"/> (null:
        /// <see cref="Engine.Default"/>). Every import is checked against the policy: a host
        /// function it does not grant is a <see cref="DeniedException"/> naming the grant to add.
        /// </summary>
        public Plugin(Engine engine, Wasm wasm, PluginOptions options = null)
        {
            if (wasm == null) throw new ArgumentNullException("wasm");
            engine = engine ?? Engine.Default;
            engine.ThrowIfDisposed();
            options = options ?? new PluginOptions();
            IntPtr b;
            Native.Check(Native.nanoproc_plugin_builder_new(engine.Handle, out b));
            try
            {
                if (wasm.Path != null) Native.Check(Native.nanoproc_plugin_builder_wasm_file(b, Native.Utf8z(wasm.Path)));
                else Native.Check(Native.nanoproc_plugin_builder_wasm_bytes(b, wasm.Bytes, (UIntPtr)wasm.Bytes.Length));
                var name = options.Name ?? wasm.Name;
                if (name != null) Native.Check(Native.nanoproc_plugin_builder_name(b, Native.Utf8z(name)));
                if (options.Policy != null)
                    using (var p = options.Policy.ToNative()) Native.Check(Native.nanoproc_plugin_builder_policy(b, p));
                foreach (var kv in options.Config)
                    Native.Check(Native.nanoproc_plugin_builder_config(b, Native.Utf8z(kv.Key), Native.Utf8z(kv.Value)));
                foreach (var kv in options.HostFunctions)
                {
                    var sep = kv.Key.IndexOf("::", StringComparison.Ordinal);
                    if (sep <= 0 || sep + 2 >= kv.Key.Length)
                        throw NanoprocException.Argument("host function `" + kv.Key + "`: give it as \"namespace::name\"");
                    Callbacks.RegisterHostFunction(b, kv.Key.Substring(0, sep), kv.Key.Substring(sep + 2), kv.Value);
                }
                if (options.AuditKeep.HasValue)
                {
                    if (options.AuditKeep.Value < 0) throw new ArgumentOutOfRangeException("AuditKeep", "cannot be negative");
                    Native.Check(Native.nanoproc_plugin_builder_audit_keep(b, (UIntPtr)options.AuditKeep.Value));
                }
                if (options.OnAudit != null) Callbacks.RegisterAudit(b, options.OnAudit);
            }
            catch
            {
                Native.nanoproc_plugin_builder_free(b);
                throw;
            }
            PluginHandle plugin;
            Native.Check(Native.nanoproc_plugin_builder_build(b, out plugin)); // consumes b either way
            Handle = plugin;
        }

        /// <summary>Calls <paramref name="function"/> with <paramref name="input"/> in a fresh sandbox.</summary>
        public byte[] Call(string function, byte[] input)
        {
            return Calls.Invoke(Handle, null, names.Get(function), input, null, default(CancellationToken));
        }

        /// <summary>Calls <paramref name="function"/> in a fresh sandbox, with per-call limits.</summary>
        public byte[] Call(string function, byte[] input, CallOptions options)
        {
            return Calls.Invoke(Handle, null, names.Get(function), input, options, default(CancellationToken));
        }

        /// <summary>
        /// Calls <paramref name="function"/> in a fresh sandbox on this thread; when
        /// <paramref name="cancellationToken"/> fires, the guest is interrupted and the call throws
        /// <see cref="CancelledException"/>.
        /// </summary>
        public byte[] Call(string function, byte[] input, CallOptions options, CancellationToken cancellationToken)
        {
            return Calls.Invoke(Handle, null, names.Get(function), input, options, cancellationToken);
        }

        /// <summary>
        /// <see cref="Call(string, byte[], CallOptions, CancellationToken)"/> on a thread-pool thread:
        /// the caller's thread is free while the guest runs, and the token interrupts the guest.
        /// </summary>
        public Task<byte[]> CallAsync(string function, byte[] input, CancellationToken cancellationToken = default(CancellationToken))
        {
            return CallAsync(function, input, null, cancellationToken);
        }

        /// <summary>The same, with per-call limits.</summary>
        public Task<byte[]> CallAsync(string function, byte[] input, CallOptions options, CancellationToken cancellationToken)
        {
            var name = names.Get(function);
            return Calls.Async(() => Calls.Invoke(Handle, null, name, input, options, cancellationToken));
        }

        /// <summary>
        /// Calls <paramref name="function"/> in a fresh sandbox and copies its output into
        /// <paramref name="buffer"/>, replaced by a new array only when too small; returns the
        /// output's length. For large outputs in a loop: no new array (and no garbage) per call.
        /// </summary>
        public int CallInto(string function, byte[] input, ref byte[] buffer, CallOptions options = null)
        {
            return Calls.InvokeInto(Handle, null, names.Get(function), input, options, default(CancellationToken), ref buffer);
        }

        /// <summary>Makes a sandbox of this plugin that is kept between calls (its state persists).</summary>
        public Instance CreateInstance()
        {
            Handle.ThrowIfDisposed("plugin");
            InstanceHandle instance;
            Native.Check(Native.nanoproc_plugin_instance(Handle, out instance));
            return new Instance(instance, names);
        }

        /// <summary>Stops every call running on the plugin now (fresh sandboxes and instances); later calls run normally.</summary>
        public void Cancel()
        {
            Handle.ThrowIfDisposed("plugin");
            Native.Check(Native.nanoproc_plugin_cancel(Handle));
        }

        /// <summary>The functions the plugin exports.</summary>
        public IReadOnlyList<string> Functions
        {
            get
            {
                Handle.ThrowIfDisposed("plugin");
                UIntPtr count;
                Native.Check(Native.nanoproc_plugin_function_count(Handle, out count));
                var list = new List<string>();
                for (ulong i = 0; i < count.ToUInt64(); i++)
                {
                    IntPtr name;
                    UIntPtr len;
                    Native.Check(Native.nanoproc_plugin_function(Handle, (UIntPtr)i, out name, out len));
                    list.Add(Native.FromUtf8z(name));
                }
                return list;
            }
        }

        /// <summary>Whether the plugin is a <c>nanoproc:plugin</c> component (else a core module).</summary>
        public bool IsComponent
        {
            get
            {
                Handle.ThrowIfDisposed("plugin");
                bool b;
                Native.Check(Native.nanoproc_plugin_is_component(Handle, out b));
                return b;
            }
        }

        /// <summary>The audit events kept since the last take (the store is emptied).</summary>
        public IList<AuditEvent> TakeAuditEvents()
        {
            long dropped;
            return TakeAuditEvents(out dropped);
        }

        /// <summary>The audit events kept since the last take; <paramref name="dropped"/>: how many were left out.</summary>
        public IList<AuditEvent> TakeAuditEvents(out long dropped)
        {
            Handle.ThrowIfDisposed("plugin");
            NativeBuf buf;
            Native.Check(Native.nanoproc_plugin_audit_take(Handle, out buf));
            var json = Encoding.UTF8.GetString(Native.TakeBuf(ref buf));
            var obj = Json.Parse(json) as Dictionary<string, object>;
            dropped = obj != null ? Json.Long(obj, "dropped") : 0;
            return AuditEvent.ListFrom(obj != null && obj.ContainsKey("events") ? obj["events"] : null);
        }

        /// <summary>
        /// Frees the plugin. Idempotent; calls running on other threads finish first, and
        /// instances made from it stay usable until disposed. Later use throws <see cref="ObjectDisposedException"/>.
        /// </summary>
        public void Dispose() { Handle.Dispose(); }
    }

    /// <summary>
    /// One sandbox of a plugin kept between calls: faster than a fresh sandbox, and the plugin's
    /// state persists. After a trap or a limit the next call starts over in a fresh sandbox.
    /// One call at a time: a concurrent call (another thread, or a host function re-entering it)
    /// throws <see cref="InvalidArgumentException"/> at once; use one instance per thread.
    /// </summary>
    public sealed class Instance : IDisposable
    {
        internal readonly InstanceHandle Handle;
        private readonly NameCache names;

        internal Instance(InstanceHandle handle, NameCache names)
        {
            Handle = handle;
            this.names = names;
        }

        /// <summary>Calls <paramref name="function"/> in this sandbox.</summary>
        public byte[] Call(string function, byte[] input)
        {
            return Calls.Invoke(null, Handle, names.Get(function), input, null, default(CancellationToken));
        }

        /// <summary>Calls <paramref name="function"/> with per-call limits.</summary>
        public byte[] Call(string function, byte[] input, CallOptions options)
        {
            return Calls.Invoke(null, Handle, names.Get(function), input, options, default(CancellationToken));
        }

        /// <summary>Calls <paramref name="function"/>; the token interrupts the guest (<see cref="CancelledException"/>).</summary>
        public byte[] Call(string function, byte[] input, CallOptions options, CancellationToken cancellationToken)
        {
            return Calls.Invoke(null, Handle, names.Get(function), input, options, cancellationToken);
        }

        /// <summary>The call on a thread-pool thread; the token interrupts the guest.</summary>
        public Task<byte[]> CallAsync(string function, byte[] input, CancellationToken cancellationToken = default(CancellationToken))
        {
            return CallAsync(function, input, null, cancellationToken);
        }

        /// <summary>The same, with per-call limits.</summary>
        public Task<byte[]> CallAsync(string function, byte[] input, CallOptions options, CancellationToken cancellationToken)
        {
            var name = names.Get(function);
            return Calls.Async(() => Calls.Invoke(null, Handle, name, input, options, cancellationToken));
        }

        /// <summary>
        /// Calls <paramref name="function"/> and copies its output into <paramref name="buffer"/>,
        /// replaced by a new array only when too small; returns the output's length.
        /// </summary>
        public int CallInto(string function, byte[] input, ref byte[] buffer, CallOptions options = null)
        {
            return Calls.InvokeInto(null, Handle, names.Get(function), input, options, default(CancellationToken), ref buffer);
        }

        /// <summary>Frees the instance. Idempotent; a call running on another thread finishes first.</summary>
        public void Dispose() { Handle.Dispose(); }
    }

    /// <summary>UTF-8 function names, encoded once per name (bounded).</summary>
    internal sealed class NameCache
    {
        private const int MaxNames = 1024;
        private readonly ConcurrentDictionary<string, byte[]> names = new ConcurrentDictionary<string, byte[]>(StringComparer.Ordinal);

        private sealed class Last
        {
            public string Name;
            public byte[] Bytes;
        }

        // The last name asked for, compared by reference first: a loop calling one function
        // with a string literal skips hashing it.
        private Last last = new Last { Name = "", Bytes = new byte[0] };

        public byte[] Get(string function)
        {
            if (function == null) throw new ArgumentNullException("function");
            var l = Volatile.Read(ref last);
            if (ReferenceEquals(l.Name, function)) return l.Bytes;
            byte[] bytes;
            if (!names.TryGetValue(function, out bytes))
            {
                bytes = Encoding.UTF8.GetBytes(function);
                if (names.Count < MaxNames) names.TryAdd(function, bytes);
            }
            Volatile.Write(ref last, new Last { Name = function, Bytes = bytes });
            return bytes;
        }
    }

    /// <summary>The call path shared by plugins and instances.</summary>
    internal static unsafe class Calls
    {
        private static readonly byte[] Empty = new byte[0];

        /// <summary>nanoproc's text for a cancelled call (crates/nanoproc/src/error.rs).</summary>
        private const string CancelledDetail = "the call was cancelled by the host";

        public static Task<byte[]> Async(Func<byte[]> call)
        {
            // Faulted, not Canceled, on cancellation: awaiting it rethrows the CancelledException
            // itself (an OperationCanceledException with nanoproc's message and the token).
            return Task.Factory.StartNew(call, CancellationToken.None, TaskCreationOptions.DenyChildAttach, TaskScheduler.Default);
        }

        /// <summary>The call, its output copied into a new array.</summary>
        public static byte[] Invoke(PluginHandle plugin, InstanceHandle instance, byte[] function, byte[] input,
            CallOptions options, CancellationToken token)
        {
            NativeBuf output;
            Raw(plugin, instance, function, input, options, token, out output);
            if (output.Len == UIntPtr.Zero) return Empty;
            return Nanoproc.Native.TakeBuf(ref output);
        }

        /// <summary>The call, its output copied into <paramref name="buffer"/> (replaced by a bigger array when too small).</summary>
        public static int InvokeInto(PluginHandle plugin, InstanceHandle instance, byte[] function, byte[] input,
            CallOptions options, CancellationToken token, ref byte[] buffer)
        {
            NativeBuf output;
            Raw(plugin, instance, function, input, options, token, out output);
            if (output.Len == UIntPtr.Zero) return 0;
            try
            {
                var n = checked((int)output.Len.ToUInt64());
                if (buffer == null || buffer.Length < n) buffer = new byte[n];
                Marshal.Copy(output.Data, buffer, 0, n);
                return n;
            }
            finally
            {
                Nanoproc.Native.nanoproc_buf_free(ref output);
            }
        }

        private static void Raw(PluginHandle plugin, InstanceHandle instance, byte[] function, byte[] input,
            CallOptions options, CancellationToken token, out NativeBuf output)
        {
            if (plugin != null) plugin.ThrowIfDisposed("plugin");
            else instance.ThrowIfDisposed("instance");
            input = input ?? Empty;
            if (options == null && !token.CanBeCanceled)
            {
                CallNative(plugin, instance, function, input, null, token, out output);
                return;
            }

            var o = new NativeCallOptions();
            if (options != null)
            {
                o.Fuel = options.Fuel ?? 0;
                o.MaxMemory = options.MaxMemory ?? 0;
                if (options.Timeout.HasValue)
                {
                    if (options.Timeout.Value <= TimeSpan.Zero)
                        throw new ArgumentOutOfRangeException("Timeout", options.Timeout.Value, "a call's timeout must be positive (null: the policy's)");
                    o.TimeoutUs = (ulong)((options.Timeout.Value.Ticks + 9) / 10);
                }
            }
            if (!token.CanBeCanceled)
            {
                CallNative(plugin, instance, function, input, &o, token, out output);
                return;
            }
            // A token that has fired already stops the call before it starts (in the words of
            // nanoproc's own cancellation error).
            if (token.IsCancellationRequested)
                throw new CancelledException("cancelled: " + CancelledDetail, CancelledDetail, 124, token);

            // A nanoproc cancel token for this call, cancelled by the CancellationToken from
            // whatever thread fires it. The registration is disposed (which waits for a running
            // callback) before the token is freed.
            using (var cancel = Nanoproc.Native.nanoproc_cancel_new())
            {
                bool added = false;
                try
                {
                    cancel.DangerousAddRef(ref added);
                    o.Cancel = cancel.DangerousGetHandle();
                    using (token.Register(CancelCallback, cancel))
                        CallNative(plugin, instance, function, input, &o, token, out output);
                }
                finally
                {
                    if (added) cancel.DangerousRelease();
                }
            }
        }

        private static readonly Action<object> CancelCallback = state =>
        {
            try
            {
                var e = Nanoproc.Native.nanoproc_cancel_cancel((CancelHandle)state);
                if (e != IntPtr.Zero) Nanoproc.Native.nanoproc_error_free(e);
            }
            catch (ObjectDisposedException)
            {
                // The call is over and its token freed: nothing left to cancel.
            }
        };

        private static void CallNative(PluginHandle plugin, InstanceHandle instance, byte[] function, byte[] input,
            NativeCallOptions* options, CancellationToken token, out NativeBuf output)
        {
            IntPtr error;
            fixed (byte* f = function)
            fixed (byte* i = input)
            {
                error = plugin != null
                    ? Nanoproc.Native.nanoproc_plugin_call(plugin, f, (UIntPtr)function.Length, i, (UIntPtr)input.Length, options, out output)
                    : Nanoproc.Native.nanoproc_instance_call(instance, f, (UIntPtr)function.Length, i, (UIntPtr)input.Length, options, out output);
            }
            if (error != IntPtr.Zero)
                throw NanoprocException.Take(error, token.IsCancellationRequested ? token : default(CancellationToken));
        }
    }

    /// <summary>The native callbacks for host functions and audit streams, and the GC handles they use.</summary>
    internal static unsafe class Callbacks
    {
        // Static delegates: the function pointers handed to nanoproc stay valid for the process.
        private static readonly NativeHostFn HostFn = InvokeHostFunction;
        private static readonly NativeAuditFn AuditFn = InvokeAudit;
        private static readonly NativeFreeFn FreeFn = FreeHandle;

        /// <summary>The function lives in a GCHandle (user data) until nanoproc's free callback: when nothing can call it any more.</summary>
        public static void RegisterHostFunction(IntPtr builder, string ns, string name, HostFunction function)
        {
            var handle = GCHandle.Alloc(function);
            Interlocked.Increment(ref LiveHandles);
            // nanoproc frees the user data (our handle) itself if registration fails.
            Nanoproc.Native.Check(Nanoproc.Native.nanoproc_plugin_builder_host_fn(builder, Nanoproc.Native.Utf8z(ns),
                Nanoproc.Native.Utf8z(name), HostFn, GCHandle.ToIntPtr(handle), FreeFn));
        }

        public static void RegisterAudit(IntPtr builder, Action<AuditEvent> onAudit)
        {
            var handle = GCHandle.Alloc(onAudit);
            Interlocked.Increment(ref LiveHandles);
            Nanoproc.Native.Check(Nanoproc.Native.nanoproc_plugin_builder_audit_callback(builder, AuditFn,
                GCHandle.ToIntPtr(handle), FreeFn));
        }

        /// <summary>Live GC handles held by nanoproc (for tests: back to its old value once plugins are freed).</summary>
        internal static long LiveHandles;

        private static void FreeHandle(IntPtr userData)
        {
            try
            {
                GCHandle.FromIntPtr(userData).Free();
                Interlocked.Decrement(ref LiveHandles);
            }
            catch (Exception)
            {
                // Never let an exception cross into native code.
            }
        }

        private static int InvokeHostFunction(IntPtr userData, IntPtr call, IntPtr input, UIntPtr inputLen)
        {
            try
            {
                var function = (HostFunction)GCHandle.FromIntPtr(userData).Target;
                var hc = new HostCall(call);
                byte[] output;
                try
                {
                    output = function(hc, Nanoproc.Native.Copy(input, inputLen));
                }
                finally
                {
                    hc.End();
                }
                if (output != null && output.Length > 0)
                {
                    fixed (byte* p = output)
                    {
                        if (!Nanoproc.Native.nanoproc_host_call_set_output(call, p, (UIntPtr)output.Length))
                            return Fail(call, "nanoproc refused the host function's output");
                    }
                }
                return 0;
            }
            catch (Exception e)
            {
                // A C# exception fails the plugin's call (HostFunctionException), never the process.
                return Fail(call, e.GetType().Name + ": " + Policy.OneLine(e.Message));
            }
        }

        private static int Fail(IntPtr call, string message)
        {
            try { Nanoproc.Native.nanoproc_host_call_set_error(call, Nanoproc.Native.Utf8z(message)); }
            catch (Exception) { }
            return 1;
        }

        private static void InvokeAudit(IntPtr userData, IntPtr json, UIntPtr jsonLen)
        {
            try
            {
                var onAudit = (Action<AuditEvent>)GCHandle.FromIntPtr(userData).Target;
                var text = Encoding.UTF8.GetString(Nanoproc.Native.Copy(json, jsonLen));
                var ev = AuditEvent.From(Json.Parse(text) as Dictionary<string, object>);
                if (ev != null) onAudit(ev);
            }
            catch (Exception)
            {
                // An audit function that throws must not take the process down.
            }
        }
    }
}
