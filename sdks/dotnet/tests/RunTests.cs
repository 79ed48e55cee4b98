using System;
using System.IO;
using System.Linq;
using System.Threading;
using static Nanoproc.Tests.Env;

namespace Nanoproc.Tests
{
    public static class RunTests
    {
        [Test]
        public static void HelloCapturesStdout()
        {
            var o = Shared.Run(GuestWasm("hello.wasm"), new Policy { Stdout = OutputMode.Capture });
            Assert.Equal("hello from a nano-process\n", o.StdoutText, "stdout");
            Assert.Equal(0, o.ExitCode, "exit");
            Assert.Equal(null, o.Error, "error");
            Assert.Equal((ulong)o.Stdout.Length, o.Usage.StdoutBytes, "stdout bytes");
            Assert.True(o.Usage.WallTime > TimeSpan.Zero && o.Usage.PeakMemory > 0, "usage");
            Assert.Contains("\"status\":\"exited\"", o.Json);
            Assert.True(o.Events.Any(e => e.What == "exit"), "exit event");
            o.ThrowIfStopped();
        }

        [Test]
        public static void DiscardedStdoutIsEmptyButCounted()
        {
            var o = Shared.Run(GuestWasm("hello.wasm"), new Policy { Stdout = OutputMode.Discard });
            Assert.Equal(0, o.Stdout.Length, "stdout");
            Assert.True(o.Usage.StdoutBytes > 0, "counted");
        }

        [Test]
        public static void DefaultEngineAndPolicy()
        {
            var o = Nanoproc.Engine.Default.Run(GuestWasm("exit.wasm"));
            Assert.Equal(0, o.ExitCode, "exit");
        }

        [Test]
        public static void ArgsAndExitStatus()
        {
            var o = Shared.Run(GuestWasm("exit.wasm"), new Policy().WithArgs("7"));
            Assert.Equal(7, o.ExitCode, "exit");
            Assert.Equal(null, o.Error, "a guest's own status is no error");
        }

        [Test]
        public static void StdinReachesTheGuest()
        {
            var input = new byte[] { (byte)'p', (byte)'i', 0, 0xff };
            var o = Shared.Run(Wat(CatStdinWat, "cat_stdin"), new Policy { Stdin = input, Stdout = OutputMode.Capture });
            Assert.Bytes(input, o.Stdout, "stdout");
            o = Shared.Run(Wat(CatStdinWat), new Policy { Stdout = OutputMode.Capture });
            Assert.Equal(0, o.Stdout.Length, "no stdin by default");
        }

        [Test]
        public static void CatNeedsADirGrant()
        {
            var dir = TempDir();
            File.WriteAllText(Path.Combine(dir, "a.txt"), "granted text\n");
            var granted = Shared.Run(GuestWasm("cat.wasm"), new Policy
            {
                Dirs = { new DirGrant(dir, "/in") }, Args = { "/in/a.txt" }, Stdout = OutputMode.Capture, Stderr = OutputMode.Capture,
            });
            Assert.Equal(0, granted.ExitCode, "granted exit");
            Assert.Equal("granted text\n", granted.StdoutText, "granted stdout");
            var denied = Shared.Run(GuestWasm("cat.wasm"), new Policy
            {
                Args = { Path.Combine(dir, "a.txt") }, Stdout = OutputMode.Capture, Stderr = OutputMode.Capture,
            });
            Assert.Equal(1, denied.ExitCode, "denied exit");
            Assert.Equal(0, denied.Stdout.Length, "denied stdout");
            Assert.Contains("cat: ", denied.StderrText);
            Directory.Delete(dir, true);
        }

        [Test]
        public static void CopyBetweenReadOnlyAndWritableDirs()
        {
            string input = TempDir(), output = TempDir();
            var data = string.Concat(Enumerable.Repeat("copied by a sandboxed program\n", 100));
            File.WriteAllText(Path.Combine(input, "src.txt"), data);
            var policy = new Policy().WithDir(input, "/in").WithDir(output, "/out", writable: true)
                .WithArgs("/in/src.txt", "/out/dst.txt").WithOutput(OutputMode.Inherit, OutputMode.Capture);
            var o = Shared.Run(GuestWasm("copy.wasm"), policy);
            Assert.Equal(0, o.ExitCode, "exit; stderr " + o.StderrText);
            Assert.Equal(data, File.ReadAllText(Path.Combine(output, "dst.txt")), "copied");
            var refused = Shared.Run(GuestWasm("copy.wasm"), new Policy
            {
                Dirs = { new DirGrant(input, "/in"), new DirGrant(output, "/out", true) }, Args = { "/in/src.txt", "/in/dst.txt" },
                Stderr = OutputMode.Capture,
            });
            Assert.Equal(1, refused.ExitCode, "write into /in");
            Assert.Contains("copy: /in/dst.txt", refused.StderrText);
            Assert.True(!File.Exists(Path.Combine(input, "dst.txt")), "nothing written into the read-only dir");
        }

        [Test]
        public static void EnvDeniedByDefault()
        {
            Environment.SetEnvironmentVariable("NANOPROC_DOTNET_SECRET", "host-only");
            Func<Policy, string> run = p =>
            {
                p.Stdout = OutputMode.Capture;
                var o = Shared.Run(GuestWasm("env.wasm"), p);
                Assert.Equal(0, o.ExitCode, "exit");
                return o.StdoutText;
            };
            Assert.Equal("", run(new Policy()), "default policy leaks nothing");
            Assert.Equal("A=1\nB=2\n", run(new Policy { Env = { ["B"] = "2", ["A"] = "1" } }), "env");
            Assert.Equal("NANOPROC_DOTNET_SECRET=host-only\n",
                run(new Policy { InheritEnv = { "NANOPROC_DOTNET_SECRET", "NANOPROC_DOTNET_UNSET" } }), "inherited");
        }

        [Test]
        public static void FloodHitsOutputLimit()
        {
            var o = Shared.Run(GuestWasm("flood.wasm"), new Policy { MaxOutput = 64 << 10, Stdout = OutputMode.Capture, Timeout = TimeSpan.FromSeconds(60) });
            Assert.True(o.Error is OutputLimitException, "error: " + o.Error);
            Assert.True(o.Error is LimitExceededException, "a limit");
            Assert.OneLine(o.Error, 122);
            Assert.Equal(122, o.ExitCode, "exit");
            Assert.True(o.Stdout.Length <= 64 << 10, "captured at most the limit");
            Assert.Contains("\"status\":\"stopped\"", o.Json);
            Assert.Throws<OutputLimitException>(() => o.ThrowIfStopped());
        }

        [Test]
        public static void SpinHitsTimeLimit()
        {
            var o = Shared.Run(GuestWasm("spin.wasm"), new Policy { Timeout = TimeSpan.FromMilliseconds(100) });
            Assert.True(o.Error is TimeLimitException, "error: " + o.Error);
            Assert.OneLine(o.Error, 124);
            Assert.Equal(124, o.ExitCode, "exit");
        }

        [Test]
        public static void RunAsync()
        {
            var o = Shared.RunAsync(GuestWasm("hello.wasm"), new Policy { Stdout = OutputMode.Capture }).Result;
            Assert.Equal("hello from a nano-process\n", o.StdoutText, "stdout");
            var cancelled = new CancellationTokenSource();
            cancelled.Cancel();
            Assert.Throws<OperationCanceledException>(() => Shared.RunAsync(GuestWasm("hello.wasm"), null, cancelled.Token).GetAwaiter().GetResult());
        }

        [Test]
        public static void FuelLimit()
        {
            var o = FuelEngine.Run(GuestWasm("spin.wasm"), new Policy { Fuel = 1000000 });
            Assert.True(o.Error is FuelLimitException, "error: " + o.Error);
            Assert.True(o.Usage.FuelMetered, "metered");
            Assert.Equal(124, o.ExitCode, "exit");
            var e = Assert.Throws<PolicyException>(() => Shared.Run(GuestWasm("spin.wasm"), new Policy { Fuel = 1000000 }));
            Assert.Contains("fuel", e.Message);
        }

        [Test]
        public static void MemoryLimit()
        {
            var o = Shared.Run(GuestWasm("memhog.wasm"), new Policy { MaxMemory = 16 << 20, Stderr = OutputMode.Discard });
            Assert.True(o.Error is MemoryLimitException, "error: " + o.Error);
            Assert.OneLine(o.Error, 121);
            Assert.Equal(121, o.ExitCode, "exit");
            Assert.True(o.Usage.PeakMemory <= 16 << 20, "peak " + o.Usage.PeakMemory);
        }

        [Test]
        public static void InvalidModuleAndMissingFile()
        {
            Assert.Throws<InvalidModuleException>(() => Shared.Run(Wasm.FromBytes(B("\0asm\x01\0\0\0garbage"))));
            Assert.Throws<NanoprocIOException>(() => Shared.Run(Wasm.File(Path.Combine(TempDir(), "missing.wasm"))));
        }

        [Test]
        public static void InvalidPolicy()
        {
            var e = Assert.Throws<PolicyException>(() => Shared.Run(GuestWasm("hello.wasm"), new Policy { AllowNet = { "nonsense" } }));
            Assert.Contains("nonsense", e.Message);
            Assert.OneLine(e, 125);
            new Policy { AllowNet = { "127.0.0.1:8080" } }.Validate();
            Assert.Throws<PolicyException>(() => Shared.Run(GuestWasm("hello.wasm"), new Policy { Wasi = { ["teleport"] = true } }));
            Assert.Throws<PolicyException>(() => Shared.Run(GuestWasm("hello.wasm"), new Policy { Toml = "limits = 3" }));
        }

        [Test]
        public static void PolicyFile()
        {
            var dir = TempDir();
            Directory.CreateDirectory(Path.Combine(dir, "data"));
            File.WriteAllText(Path.Combine(dir, "data", "note.txt"), "from the file's dir\n");
            var policyFile = Path.Combine(dir, "policy.toml");
            File.WriteAllText(policyFile, "dirs = [{ host = \"data\", guest = \"/data\" }]\nenvironment = { MODE = \"file\" }\n[stdio]\nstdout = \"capture\"\n");
            var o = Shared.Run(GuestWasm("cat.wasm"), new Policy { File = policyFile, Args = { "/data/note.txt" } });
            Assert.Equal(0, o.ExitCode, "exit");
            Assert.Equal("from the file's dir\n", o.StdoutText, "stdout");
            o = Shared.Run(GuestWasm("env.wasm"), new Policy { File = policyFile, Env = { ["MODE"] = "field" } });
            Assert.Equal("MODE=field\n", o.StdoutText, "properties apply on top of the file");
            var io = Assert.Throws<NanoprocIOException>(() => Shared.Run(GuestWasm("env.wasm"), new Policy { File = Path.Combine(dir, "missing.toml") }));
            Assert.OneLine(io, 125);
            Assert.Contains("missing.toml", io.Message);
        }

        [Test]
        public static void AuditTrailRecordsGrantsAndDenials()
        {
            var dir = TempDir();
            File.WriteAllText(Path.Combine(dir, "a.txt"), "x");
            var o = Shared.Run(GuestWasm("cat.wasm"), new Policy
            {
                Dirs = { new DirGrant(dir, "/in") }, Args = { "/in/a.txt" }, Stdout = OutputMode.Discard,
            });
            Assert.True(o.Events.Any(e => e.What == "fs.mount" && e.Target.Contains("/in") && !e.Denied), "fs.mount event: " + o.Json);
            var d = Shared.Run(GuestWasm("fs.wasm"), new Policy
            {
                Dirs = { new DirGrant(dir, "/sb") }, Args = { "write", "/sb/new.txt", "text" }, Stdout = OutputMode.Discard, Stderr = OutputMode.Discard,
            });
            Assert.Equal(1, d.ExitCode, "exit of a write into a read-only dir");
            Assert.True(d.Denials.Count > 0 && d.Denials.All(e => e.Denied), "denials: " + d.Json);
        }
    }
}
