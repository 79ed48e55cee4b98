using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;

namespace Nanoproc
{
    /// <summary>Where a guest's stdout or stderr goes (for <see cref="Engine.Run"/>).</summary>
    public enum OutputMode
    {
        /// <summary>The host process's own stream (the default).</summary>
        Inherit = 0,
        /// <summary>Kept in memory and returned in the <see cref="Outcome"/>.</summary>
        Capture = 1,
        /// <summary>Discarded (still counted against the output limit).</summary>
        Discard = 2,
    }

    /// <summary>
    /// How many trusted keys (<see cref="Policy.TrustKeys"/>) must have signed a binary
    /// (<see cref="Policy.RequireSignature"/>; the C ABI's <c>nanoproc_signature_requirement</c>).
    /// </summary>
    public enum SignatureRequirement
    {
        /// <summary><see cref="Any"/> once a key is trusted, <see cref="None"/> otherwise (the default).</summary>
        Default = 0,
        /// <summary>No signature needed, even with trusted keys.</summary>
        None = 1,
        /// <summary>A valid signature by at least one trusted key.</summary>
        Any = 2,
        /// <summary>A valid signature by every trusted key.</summary>
        All = 3,
    }

    /// <summary>A host directory mounted in the guest at <see cref="Guest"/>.</summary>
    public sealed class DirGrant
    {
        /// <summary>Mounts <paramref name="host"/> at <paramref name="guest"/>, read-only unless <paramref name="writable"/>.</summary>
        public DirGrant(string host, string guest, bool writable = false)
        {
            Host = host;
            Guest = guest;
            Writable = writable;
        }

        /// <summary>The directory on the host.</summary>
        public string Host { get; private set; }
        /// <summary>Where the guest sees it (e.g. <c>/data</c>).</summary>
        public string Guest { get; private set; }
        /// <summary>Whether the guest may write into it.</summary>
        public bool Writable { get; private set; }
    }

    /// <summary>
    /// What a sandbox may do. A new <c>Policy</c> denies everything (no directories, no
    /// environment variables, no network, no host functions), with 1 GiB of memory, no fuel or
    /// time limit, empty stdin, and stdout/stderr inherited; properties left null or empty keep
    /// those defaults. Set it with an object initializer or the chainable <c>With…</c>/<c>Allow…</c>
    /// methods. A policy file (<see cref="File"/>, then <see cref="Toml"/>) is applied first and
    /// the properties on top of it. Plugins and runs copy the policy: changing it later changes
    /// nothing for them. Not thread-safe while being changed.
    /// </summary>
    public sealed class Policy
    {
        /// <summary>Directories to mount.</summary>
        public IList<DirGrant> Dirs { get; private set; } = new List<DirGrant>();
        /// <summary>Environment variables for the guest.</summary>
        public IDictionary<string, string> Env { get; private set; } = new Dictionary<string, string>();
        /// <summary>Host environment variables passed through (if set on the host).</summary>
        public IList<string> InheritEnv { get; private set; } = new List<string>();
        /// <summary>The program's arguments after its name (<see cref="Engine.Run"/> only).</summary>
        public IList<string> Args { get; private set; } = new List<string>();
        /// <summary>The guest's stdin, then end of file (<see cref="Engine.Run"/> only; null: empty).</summary>
        public byte[] Stdin { get; set; }
        /// <summary>Where stdout goes (<see cref="Engine.Run"/> only).</summary>
        public OutputMode Stdout { get; set; }
        /// <summary>Where stderr goes (<see cref="Engine.Run"/> only).</summary>
        public OutputMode Stderr { get; set; }
        /// <summary>Outgoing connections allowed: <c>host:port</c>, <c>*:443</c>, <c>10.0.0.0/8:*</c>.</summary>
        public IList<string> AllowNet { get; private set; } = new List<string>();
        /// <summary>Origins for outgoing HTTP requests (components' <c>wasi:http</c>).</summary>
        public IList<string> AllowHttp { get; private set; } = new List<string>();
        /// <summary>Host functions granted: <c>namespace::name</c> or <c>namespace::*</c>.</summary>
        public IList<string> AllowHostFunctions { get; private set; } = new List<string>();
        /// <summary>WASI preview 2 interface groups switched on or off (<c>sockets</c>, <c>http</c>, ...).</summary>
        public IDictionary<string, bool> Wasi { get; private set; } = new Dictionary<string, bool>();
        /// <summary>The budget for all memories and tables together, in bytes (null: 1 GiB).</summary>
        public ulong? MaxMemory { get; set; }
        /// <summary>Fuel (roughly, Wasm instructions) per run or call; needs an engine with fuel (null or 0: none).</summary>
        public ulong? Fuel { get; set; }
        /// <summary>The wall-clock limit per run or call, at millisecond granularity (null or zero: none).</summary>
        public TimeSpan? Timeout { get; set; }
        /// <summary>The cap on bytes written to stdout, and separately to stderr (null or 0: none).</summary>
        public ulong? MaxOutput { get; set; }
        /// <summary>The bytes by which the guest may grow files in writable directories (null or 0: none).</summary>
        public ulong? DiskQuota { get; set; }
        /// <summary>
        /// Ed25519 public key files (PEM, from <c>nanoproc keygen</c>) whose signatures count: with
        /// any, the binary must carry a valid signature by one of them (or by all, see
        /// <see cref="RequireSignature"/>), checked before it is compiled, else it does not run
        /// (<see cref="IntegrityException"/>, exit code 126).
        /// </summary>
        public IList<string> TrustKeys { get; private set; } = new List<string>();
        /// <summary>How many <see cref="TrustKeys"/> must have signed (default: any one of them; a requirement without keys is a <see cref="PolicyException"/>).</summary>
        public SignatureRequirement RequireSignature { get; set; }
        /// <summary>The SHA-256 digests (64 hex digits, <c>sha256:</c> prefix allowed) the binary may have, signature included; any other is refused.</summary>
        public IList<string> PinSha256 { get; private set; } = new List<string>();
        /// <summary>A policy file (TOML, docs/policy.md) applied first; its relative paths are relative to it.</summary>
        public string File { get; set; }
        /// <summary>Policy-file text applied after <see cref="File"/>; relative paths are relative to the current directory.</summary>
        public string Toml { get; set; }

        /// <summary>Mounts <paramref name="host"/> at <paramref name="guest"/>, read-only unless <paramref name="writable"/>.</summary>
        public Policy WithDir(string host, string guest, bool writable = false) { Dirs.Add(new DirGrant(host, guest, writable)); return this; }
        /// <summary>Sets environment variable <paramref name="name"/> for the guest.</summary>
        public Policy WithEnv(string name, string value) { Env[name] = value; return this; }
        /// <summary>Passes the host's <paramref name="name"/> through.</summary>
        public Policy WithInheritedEnv(string name) { InheritEnv.Add(name); return this; }
        /// <summary>Appends program arguments.</summary>
        public Policy WithArgs(params string[] args) { foreach (var a in args) Args.Add(a); return this; }
        /// <summary>Sets stdin.</summary>
        public Policy WithStdin(byte[] stdin) { Stdin = stdin; return this; }
        /// <summary>Sets where stdout and stderr go.</summary>
        public Policy WithOutput(OutputMode stdout, OutputMode stderr) { Stdout = stdout; Stderr = stderr; return this; }
        /// <summary>Allows outgoing connections matching <paramref name="pattern"/>.</summary>
        public Policy AllowNetwork(string pattern) { AllowNet.Add(pattern); return this; }
        /// <summary>Allows outgoing HTTP requests to <paramref name="origin"/>.</summary>
        public Policy AllowHttpOrigin(string origin) { AllowHttp.Add(origin); return this; }
        /// <summary>Grants host function <paramref name="grant"/> (<c>namespace::name</c> or <c>namespace::*</c>).</summary>
        public Policy AllowHostFunction(string grant) { AllowHostFunctions.Add(grant); return this; }
        /// <summary>Switches a WASI preview 2 interface group on or off.</summary>
        public Policy WithWasi(string name, bool on) { Wasi[name] = on; return this; }
        /// <summary>Sets <see cref="MaxMemory"/>.</summary>
        public Policy WithMaxMemory(ulong bytes) { MaxMemory = bytes; return this; }
        /// <summary>Sets <see cref="Fuel"/>.</summary>
        public Policy WithFuel(ulong fuel) { Fuel = fuel; return this; }
        /// <summary>Sets <see cref="Timeout"/>.</summary>
        public Policy WithTimeout(TimeSpan timeout) { Timeout = timeout; return this; }
        /// <summary>Sets <see cref="MaxOutput"/>.</summary>
        public Policy WithMaxOutput(ulong bytes) { MaxOutput = bytes; return this; }
        /// <summary>Sets <see cref="DiskQuota"/>.</summary>
        public Policy WithDiskQuota(ulong bytes) { DiskQuota = bytes; return this; }
        /// <summary>Trusts the Ed25519 public key in the file at <paramref name="publicKeyPath"/> (adds to <see cref="TrustKeys"/>).</summary>
        public Policy WithTrustKey(string publicKeyPath) { TrustKeys.Add(publicKeyPath); return this; }
        /// <summary>Sets <see cref="RequireSignature"/>.</summary>
        public Policy WithRequireSignature(SignatureRequirement requirement) { RequireSignature = requirement; return this; }
        /// <summary>Pins a SHA-256 digest the binary may have (adds to <see cref="PinSha256"/>).</summary>
        public Policy WithPinSha256(string digest) { PinSha256.Add(digest); return this; }
        /// <summary>Sets <see cref="File"/>.</summary>
        public Policy WithFile(string path) { File = path; return this; }
        /// <summary>Sets <see cref="Toml"/>.</summary>
        public Policy WithToml(string toml) { Toml = toml; return this; }

        /// <summary>Checks the policy the way plugins and runs will: a bad value is a <see cref="PolicyException"/>.</summary>
        public void Validate()
        {
            using (var p = ToNative()) Native.Check(Native.nanoproc_policy_builder_validate(p));
        }

        /// <summary>A C policy builder describing this policy (the caller disposes it).</summary>
        internal PolicyHandle ToNative()
        {
            var b = Native.nanoproc_policy_builder_new();
            try
            {
                if (!string.IsNullOrEmpty(File))
                {
                    string text;
                    try { text = System.IO.File.ReadAllText(File); }
                    catch (Exception e)
                    {
                        var detail = "reading policy file `" + File + "`: " + OneLine(e.Message);
                        throw new NanoprocIOException("io error: " + detail, detail, 125);
                    }
                    var dir = Path.GetDirectoryName(Path.GetFullPath(File));
                    Native.Check(Native.nanoproc_policy_builder_apply_toml(b, Native.Utf8z(text), Native.Utf8z(dir)));
                }
                if (!string.IsNullOrEmpty(Toml))
                    Native.Check(Native.nanoproc_policy_builder_apply_toml(b, Native.Utf8z(Toml), null));
                foreach (var d in Dirs)
                    Native.Check(Native.nanoproc_policy_builder_dir(b, Native.Utf8z(d.Host), Native.Utf8z(d.Guest), d.Writable));
                foreach (var kv in Env.OrderBy(kv => kv.Key, StringComparer.Ordinal))
                    Native.Check(Native.nanoproc_policy_builder_env(b, Native.Utf8z(kv.Key), Native.Utf8z(kv.Value)));
                foreach (var name in InheritEnv)
                    Native.Check(Native.nanoproc_policy_builder_inherit_env(b, Native.Utf8z(name)));
                foreach (var arg in Args)
                    Native.Check(Native.nanoproc_policy_builder_arg(b, Native.Utf8z(arg)));
                if (Stdin != null && Stdin.Length > 0)
                    Native.Check(Native.nanoproc_policy_builder_stdin(b, Stdin, (UIntPtr)Stdin.Length));
                if (Stdout != OutputMode.Inherit) Native.Check(Native.nanoproc_policy_builder_stdout(b, (int)Stdout));
                if (Stderr != OutputMode.Inherit) Native.Check(Native.nanoproc_policy_builder_stderr(b, (int)Stderr));
                foreach (var pattern in AllowNet)
                    Native.Check(Native.nanoproc_policy_builder_allow_net(b, Native.Utf8z(pattern)));
                foreach (var origin in AllowHttp)
                    Native.Check(Native.nanoproc_policy_builder_allow_http(b, Native.Utf8z(origin)));
                foreach (var grant in AllowHostFunctions)
                    Native.Check(Native.nanoproc_policy_builder_allow_host_fn(b, Native.Utf8z(grant)));
                foreach (var kv in Wasi.OrderBy(kv => kv.Key, StringComparer.Ordinal))
                    Native.Check(Native.nanoproc_policy_builder_wasi_interface(b, Native.Utf8z(kv.Key), kv.Value));
                foreach (var key in TrustKeys)
                    Native.Check(Native.nanoproc_policy_builder_trust_key(b, Native.Utf8z(key)));
                if (RequireSignature != SignatureRequirement.Default)
                {
                    if (RequireSignature < SignatureRequirement.None || RequireSignature > SignatureRequirement.All)
                        throw new ArgumentOutOfRangeException("RequireSignature", RequireSignature, "not a SignatureRequirement");
                    // The C values: none 0, any 1, all 2.
                    Native.Check(Native.nanoproc_policy_builder_require_signature(b, (int)RequireSignature - (int)SignatureRequirement.None));
                }
                foreach (var digest in PinSha256)
                    Native.Check(Native.nanoproc_policy_builder_pin_sha256(b, Native.Utf8z(digest)));
                if (MaxMemory.HasValue) Native.Check(Native.nanoproc_policy_builder_max_memory(b, MaxMemory.Value));
                if (Fuel.HasValue) Native.Check(Native.nanoproc_policy_builder_fuel(b, Fuel.Value));
                if (Timeout.HasValue) Native.Check(Native.nanoproc_policy_builder_timeout_ms(b, ToMs(Timeout.Value)));
                if (MaxOutput.HasValue) Native.Check(Native.nanoproc_policy_builder_max_output(b, MaxOutput.Value));
                if (DiskQuota.HasValue) Native.Check(Native.nanoproc_policy_builder_disk_quota(b, DiskQuota.Value));
                return b;
            }
            catch
            {
                b.Dispose();
                throw;
            }
        }

        /// <summary>Whole milliseconds, rounded up (a positive span never becomes 0, "no limit").</summary>
        internal static ulong ToMs(TimeSpan t)
        {
            if (t < TimeSpan.Zero) throw new ArgumentOutOfRangeException("timeout", t, "a timeout cannot be negative (use null or zero for none)");
            if (t == TimeSpan.Zero) return 0;
            return (ulong)((t.Ticks + TimeSpan.TicksPerMillisecond - 1) / TimeSpan.TicksPerMillisecond);
        }

        internal static string OneLine(string s)
        {
            var chars = s.ToCharArray();
            for (int i = 0; i < chars.Length; i++) if (char.IsControl(chars[i])) chars[i] = ' ';
            return new string(chars).Trim();
        }
    }
}
