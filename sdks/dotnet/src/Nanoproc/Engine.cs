using System;
using System.Threading;
using System.Threading.Tasks;

namespace Nanoproc
{
    /// <summary>How an <see cref="Engine"/> is made.</summary>
    public sealed class EngineOptions
    {
        /// <summary>Meter fuel, so policies and calls can set fuel budgets (default false).</summary>
        public bool Fuel { get; set; }

        /// <summary>
        /// The pooling allocator: 1,000 pre-reserved sandboxes of up to 1 GiB address space, so a
        /// fresh sandbox per call costs microseconds (default true).
        /// </summary>
        public bool Pooling { get; set; } = true;

        /// <summary>Keep compiled code in an on-disk cache (default true).</summary>
        public bool Cache { get; set; } = true;

        /// <summary>The compile cache's directory (null: <c>$NANOPROC_CACHE_DIR</c>, else the user's cache directory).</summary>
        public string CacheDir { get; set; }
    }

    /// <summary>
    /// Compiles and runs WebAssembly. Thread-safe: make one per process (or per configuration)
    /// and share it by every plugin, run and thread. Plugins made from an engine stay usable
    /// after it is disposed.
    /// </summary>
    public sealed class Engine : IDisposable
    {
        private static readonly Lazy<Engine> defaultEngine = new Lazy<Engine>(() => new Engine());

        internal readonly EngineHandle Handle;

        /// <summary>An engine with the default options (pooling, no fuel, compile cache on).</summary>
        public Engine() : this(null) { }

        /// <summary>An engine made with <paramref name="options"/> (null: the defaults).</summary>
        public Engine(EngineOptions options)
        {
            options = options ?? new EngineOptions();
            uint flags = 0;
            if (options.Fuel) flags |= Native.EngineFuel;
            if (options.Pooling) flags |= Native.EnginePooling;
            if (!options.Cache) flags |= Native.EngineNoCache;
            EngineHandle handle;
            Native.Check(Native.nanoproc_engine_new(flags, Native.Utf8z(options.CacheDir), out handle));
            Handle = handle;
            Fuel = options.Fuel;
        }

        /// <summary>A shared engine with the default options, made on first use and never disposed.</summary>
        public static Engine Default { get { return defaultEngine.Value; } }

        /// <summary>Whether this engine meters fuel.</summary>
        public bool Fuel { get; private set; }

        /// <summary>nanoproc's version, e.g. <c>0.1.0</c>.</summary>
        public static string Version { get { return Native.FromUtf8z(Native.nanoproc_version()); } }

        /// <summary>
        /// How many objects the C ABI has handed out and not had freed (for leak checks; see
        /// <c>nanoproc_live_objects</c>).
        /// </summary>
        public static long LiveObjects { get { return (long)Native.nanoproc_live_objects().ToUInt64(); } }

        /// <summary>
        /// How many host-function and audit delegates nanoproc still holds (each in a GC handle
        /// freed once no plugin or instance can call it): back to its old value once the plugins
        /// using them, and their instances, are disposed.
        /// </summary>
        public static long LiveCallbacks { get { return Interlocked.Read(ref Callbacks.LiveHandles); } }

        /// <summary>
        /// Runs the WASI program (a preview 1 module or preview 2 component) once in a fresh
        /// sandbox under <paramref name="policy"/> (null: deny everything). Throws for what kept
        /// it from starting (<see cref="InvalidModuleException"/>, <see cref="DeniedException"/>,
        /// <see cref="PolicyException"/>, <see cref="NanoprocIOException"/>,
        /// <see cref="IntegrityException"/>); once it ran, limits and traps are in the
        /// <see cref="Outcome"/>. With <paramref name="receiptKey"/>, the path of an Ed25519
        /// secret key file (from <c>nanoproc keygen</c>), the outcome also carries a signed run
        /// receipt (<see cref="Outcome.Receipt"/>; docs/integrity.md).
        /// </summary>
        public Outcome Run(Wasm wasm, Policy policy = null, string receiptKey = null)
        {
            if (wasm == null) throw new ArgumentNullException("wasm");
            if (receiptKey != null && receiptKey.Length == 0)
                throw NanoprocException.Argument("receiptKey is empty: give the host's secret key file (null: no receipt)");
            ThrowIfDisposed();
            using (var p = (policy ?? new Policy()).ToNative())
            {
                OutcomeHandle outcome;
                Native.Check(wasm.Path != null
                    ? Native.nanoproc_run_file(Handle, Native.Utf8z(wasm.Path), p, out outcome)
                    : Native.nanoproc_run_bytes(Handle, wasm.Bytes, (UIntPtr)wasm.Bytes.Length, Native.Utf8z(wasm.Name), p, out outcome));
                using (outcome)
                {
                    var o = Outcome.Read(outcome);
                    if (receiptKey != null)
                    {
                        NativeBuf json;
                        Native.Check(Native.nanoproc_outcome_receipt(outcome, Native.Utf8z(receiptKey), out json));
                        o.Receipt = Native.TakeBuf(ref json);
                    }
                    return o;
                }
            }
        }

        /// <summary>
        /// <see cref="Run"/> on a thread-pool thread. The C ABI has no cancellation for WASI runs:
        /// a token already cancelled stops the run before it starts; bound a run with
        /// <see cref="Policy.Timeout"/>.
        /// </summary>
        public Task<Outcome> RunAsync(Wasm wasm, Policy policy = null, CancellationToken cancellationToken = default(CancellationToken),
            string receiptKey = null)
        {
            if (cancellationToken.IsCancellationRequested) return Task.FromCanceled<Outcome>(cancellationToken);
            return Task.Factory.StartNew(() => Run(wasm, policy, receiptKey), CancellationToken.None,
                TaskCreationOptions.DenyChildAttach, TaskScheduler.Default);
        }

        /// <summary>Frees the engine. Idempotent; plugins made from it keep what they need.</summary>
        public void Dispose() { Handle.Dispose(); }

        internal void ThrowIfDisposed()
        {
            Handle.ThrowIfDisposed("engine");
        }
    }

    /// <summary>WebAssembly code for a plugin or a run: a file, or bytes in memory.</summary>
    public sealed class Wasm
    {
        private Wasm(string path, byte[] bytes, string name)
        {
            Path = path;
            Bytes = bytes;
            Name = name;
        }

        /// <summary>The file (null for bytes).</summary>
        public string Path { get; private set; }
        /// <summary>The bytes (null for a file).</summary>
        public byte[] Bytes { get; private set; }
        /// <summary>The name in messages and the audit trail (null: the file name, or <c>program</c>).</summary>
        public string Name { get; private set; }

        /// <summary>The <c>.wasm</c> (or <c>.wat</c>) file at <paramref name="path"/>, read when used.</summary>
        public static Wasm File(string path)
        {
            if (path == null) throw new ArgumentNullException("path");
            return new Wasm(path, null, null);
        }

        /// <summary>Wasm (binary or text format) in memory, named <paramref name="name"/> in messages.</summary>
        public static Wasm FromBytes(byte[] bytes, string name = null)
        {
            if (bytes == null) throw new ArgumentNullException("bytes");
            return new Wasm(null, bytes, name);
        }
    }
}
