using System;
using System.Diagnostics;
using System.IO;
using System.Linq;
using System.Text.RegularExpressions;

namespace Nanoproc.Tests
{
    /// <summary>Runs the examples (built next to Tests.exe by build.sh) and checks their output.</summary>
    public static class ExampleTests
    {
        private static string BuildDir { get { return AppDomain.CurrentDomain.BaseDirectory; } }

        private static string Mono(string exe, string args, string libraryPath, out int exit, string workDir = null)
        {
            var psi = new ProcessStartInfo("mono", "\"" + exe + "\" " + args)
            {
                UseShellExecute = false,
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                WorkingDirectory = workDir ?? Env.Root,
            };
            psi.EnvironmentVariables["LD_LIBRARY_PATH"] = libraryPath ?? "";
            using (var p = Process.Start(psi))
            {
                var stderr = p.StandardError.ReadToEndAsync();
                var stdout = p.StandardOutput.ReadToEnd();
                p.WaitForExit();
                exit = p.ExitCode;
                return stdout + stderr.Result;
            }
        }

        private static void Lines(string output, params string[] patterns)
        {
            var lines = output.Split('\n');
            foreach (var pattern in patterns)
                Assert.True(lines.Any(l => Regex.IsMatch(l, pattern)), "no line matches /" + pattern + "/ in:\n" + output);
        }

        [Test]
        public static void Extend()
        {
            int exit;
            var output = Mono(Path.Combine(BuildDir, "Extend.exe"), "", null, out exit);
            Assert.Equal(0, exit, "exit code; output:\n" + output);
            Lines(output,
                @"^copied 920 bytes with a budget of 30000 fuel; identical: True$",
                @"^write into the read-only dir refused: plugin error: /in/c\.txt: Operation not permitted",
                @"^file created in the input dir: False$",
                @"^read outside the grants refused: plugin error: /etc/passwd: No such file or directory",
                @"^audit trail \(\d+ fs\.mount events",
                @"^  denied  fs\.open   /in/c\.txt$",
                @"^with a budget of 5000 fuel: fuel limit: the guest used all 5000 units of fuel; raise the budget with --fuel or limits\.fuel \(exit code 124\)$");
        }

        [Test]
        public static void Isolator()
        {
            int exit;
            var output = Mono(Path.Combine(BuildDir, "Isolator.exe"), "\"" + Env.Root + "\" 200", null, out exit);
            Assert.Equal(0, exit, "exit code; output:\n" + output);
            Lines(output,
                @"^call_host\(alice\) +-> ""plugin got: hello, alice""$",
                @"^call_host\(mallory\) +-> HostFunctionException: host function error: `host::greet`: UnauthorizedAccessException: mallory is not welcome$",
                @"^200 sandboxes, one after another: \d+ ms, per sandbox median [\d.]+ us, p99 [\d.]+ us$",
                @"^200 sandboxes from \d+ cores at once: \d+ ms, [\d.]+ us per sandbox$",
                @"^host::greet was called 402 times$",
                @"^echo\(before\) +-> ""before""",
                @"^spin\(\) with a 200 ms timeout +-> TimeLimitException: time limit: the call ran longer than 200ms",
                @"^spin\(\) with 10,000,000 fuel +-> FuelLimitException: fuel limit: the guest used all 10000000 units of fuel",
                @"^spin\(\) cancelled after 100 ms +-> CancelledException: cancelled: the call was cancelled by the host",
                @"^grow\(\) within 16 MiB +-> MemoryLimitException: memory limit: .*16 MiB",
                @"^trap\(\) +-> TrapException: guest trap: .*unreachable",
                @"^echo\(after\) +-> ""after""",
                @"^  denied  limit\.timeout",
                @"^  denied  limit\.fuel",
                @"^  denied  limit\.memory",
                @"^ungranted_host\.wasm refused at load: denied: .*--allow-host-fn host::launch_missiles");
        }

        // How the native library is found: a dllmap (what test.sh sets up, Nanoproc.dll.config),
        // else LD_LIBRARY_PATH; with neither, a DllNotFoundException naming it.
        [Test]
        public static void NativeLibraryThroughLdLibraryPath()
        {
            var lib = Environment.GetEnvironmentVariable("NANOPROC_CAPI_LIB");
            Assert.True(!string.IsNullOrEmpty(lib) && File.Exists(lib), "NANOPROC_CAPI_LIB (set by test.sh) names the library: " + lib);
            var dir = Env.TempDir();
            try
            {
                foreach (var f in new[] { "Extend.exe", "Nanoproc.dll" }) File.Copy(Path.Combine(BuildDir, f), Path.Combine(dir, f));
                int exit;
                var output = Mono(Path.Combine(dir, "Extend.exe"), "\"" + Env.Root + "\"", Path.GetDirectoryName(lib), out exit);
                Assert.Equal(0, exit, "exit with LD_LIBRARY_PATH; output:\n" + output);
                Lines(output, @"^copied 920 bytes");
                output = Mono(Path.Combine(dir, "Extend.exe"), "\"" + Env.Root + "\"", null, out exit);
                Assert.True(exit != 0, "runs without finding the library?");
                Assert.Contains("nanoproc_capi", output, "the error names the library");
            }
            finally
            {
                Directory.Delete(dir, true);
            }
        }
    }
}
