// A small reflection-based test runner: every public static void method marked [Test] in this
// assembly is a test. Prints `ok NAME` or `FAIL NAME: exception` per test, then exactly
// `N passed, N failed`; exits 1 if anything failed.
//
//   mono Tests.exe [SUBSTRING...]     run only tests whose name contains one of the substrings
using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Linq;
using System.Reflection;
using System.Threading;

namespace Nanoproc.Tests
{
    [AttributeUsage(AttributeTargets.Method)]
    public sealed class TestAttribute : Attribute { }

    public sealed class AssertionException : Exception
    {
        public AssertionException(string message) : base(message) { }
    }

    public static class Assert
    {
        public static void True(bool condition, string what)
        {
            if (!condition) throw new AssertionException(what);
        }

        public static void Equal<T>(T expected, T actual, string what = "value")
        {
            if (!EqualityComparer<T>.Default.Equals(expected, actual))
                throw new AssertionException(what + ": expected <" + expected + ">, got <" + actual + ">");
        }

        public static void Contains(string needle, string haystack, string what = "text")
        {
            if (haystack == null || !haystack.Contains(needle))
                throw new AssertionException(what + ": <" + haystack + "> does not contain <" + needle + ">");
        }

        public static void Bytes(byte[] expected, byte[] actual, string what = "bytes")
        {
            if (actual == null || !expected.SequenceEqual(actual))
                throw new AssertionException(what + ": expected " + expected.Length + " bytes, got " +
                    (actual == null ? "null" : actual.Length + " different bytes"));
        }

        /// <summary>Runs <paramref name="action"/>, which must throw exactly <typeparamref name="T"/> (or a subclass).</summary>
        public static T Throws<T>(Action action, string what = "call") where T : Exception
        {
            try
            {
                action();
            }
            catch (Exception e)
            {
                var inner = e is AggregateException && ((AggregateException)e).InnerExceptions.Count == 1
                    ? ((AggregateException)e).InnerException : e;
                if (inner is T) return (T)inner;
                throw new AssertionException(what + ": expected " + typeof(T).Name + ", got " + inner.GetType().Name + ": " + inner.Message);
            }
            throw new AssertionException(what + ": expected " + typeof(T).Name + ", nothing was thrown");
        }

        /// <summary>A nanoproc exception's fields are consistent: one line, prefixed by its kind's name, its exit code.</summary>
        public static void OneLine(INanoprocError e, int exitCode)
        {
            True(!e.Message.Contains("\n") && !e.Message.Contains("\r"), "one line: " + e.Message);
            True(e.Message.EndsWith(e.Detail, StringComparison.Ordinal) && e.Message.Length > e.Detail.Length,
                "message `" + e.Message + "` is `kind: detail` with detail `" + e.Detail + "`");
            Equal(exitCode, e.ExitCode, "exit code of " + e.Message);
        }
    }

    public static class Runner
    {
        public static int Main(string[] args)
        {
            var tests = typeof(Runner).Assembly.GetTypes()
                .SelectMany(t => t.GetMethods(BindingFlags.Public | BindingFlags.Static))
                .Where(m => m.GetCustomAttributes(typeof(TestAttribute), false).Length > 0)
                .Where(m => args.Length == 0 || args.Any(a => (m.DeclaringType.Name + "." + m.Name).Contains(a)))
                .OrderBy(m => m.DeclaringType.Name, StringComparer.Ordinal).ThenBy(m => m.MetadataToken)
                .ToList();
            int passed = 0, failed = 0;
            var total = Stopwatch.StartNew();
            foreach (var m in tests)
            {
                var name = m.DeclaringType.Name + "." + m.Name;
                var sw = Stopwatch.StartNew();
                try
                {
                    m.Invoke(null, null);
                    passed++;
                    Console.WriteLine("ok   {0} ({1} ms)", name, sw.ElapsedMilliseconds);
                }
                catch (TargetInvocationException e)
                {
                    failed++;
                    Console.WriteLine("FAIL {0}: {1}", name, e.InnerException);
                }
                Console.Out.Flush();
            }
            Console.WriteLine("{0} tests in {1:F1} s", tests.Count, total.Elapsed.TotalSeconds);
            Console.WriteLine("{0} passed, {1} failed", passed, failed);
            return failed == 0 && tests.Count > 0 ? 0 : 1;
        }
    }

    /// <summary>What the tests share: paths to the example guests, and engines.</summary>
    public static class Env
    {
        private static readonly Lazy<string> root = new Lazy<string>(FindRoot);
        private static readonly Lazy<Engine> engine = new Lazy<Engine>(() => new Engine());
        private static readonly Lazy<Engine> fuelEngine = new Lazy<Engine>(() => new Engine(new EngineOptions { Fuel = true }));

        public static string Root { get { return root.Value; } }
        public static Engine Shared { get { return engine.Value; } }
        public static Engine FuelEngine { get { return fuelEngine.Value; } }

        public static Wasm PluginWasm(string name) { return Wasm.File(System.IO.Path.Combine(Root, "examples", "plugins", "bin", name)); }
        public static Wasm GuestWasm(string name) { return Wasm.File(System.IO.Path.Combine(Root, "examples", "guests", "bin", name)); }
        public static Wasm Wat(string text, string name = null) { return Wasm.FromBytes(System.Text.Encoding.UTF8.GetBytes(text), name); }

        public static string TempDir()
        {
            var dir = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "nanoproc-dotnet-test-" + Guid.NewGuid().ToString("N"));
            System.IO.Directory.CreateDirectory(dir);
            return dir;
        }

        public static byte[] B(string s) { return System.Text.Encoding.UTF8.GetBytes(s); }
        public static string S(byte[] b) { return System.Text.Encoding.UTF8.GetString(b); }

        private static string FindRoot()
        {
            var env = Environment.GetEnvironmentVariable("NANOPROC_REPO");
            if (!string.IsNullOrEmpty(env)) return env;
            for (var d = new System.IO.DirectoryInfo(Environment.CurrentDirectory); d != null; d = d.Parent)
                if (System.IO.File.Exists(System.IO.Path.Combine(d.FullName, "examples", "plugins", "bin", "echo.wasm"))) return d.FullName;
            throw new InvalidOperationException("cannot find the repository (set NANOPROC_REPO)");
        }

        /// <summary>A plugin with state: count returns how often it was called in this sandbox (4 bytes LE); trap traps.</summary>
        public const string CounterWat = @"
(module
  (memory (export ""memory"") 1)
  (global $count (mut i32) (i32.const 0))
  (global $heap (mut i32) (i32.const 1024))
  (func (export ""nanoproc_abi_version"") (result i32) (i32.const 1))
  (func (export ""nanoproc_alloc"") (param $len i32) (result i32)
    (local $p i32)
    (local.set $p (global.get $heap))
    (global.set $heap (i32.add (global.get $heap) (local.get $len)))
    (local.get $p))
  (func (export ""count"") (param i32 i32) (result i64)
    (global.set $count (i32.add (global.get $count) (i32.const 1)))
    (i32.store (i32.const 0) (global.get $count))
    (i64.const 4))
  (func (export ""trap"") (param i32 i32) (result i64) (unreachable)))";

        /// <summary>Copies stdin to stdout (none of the example guests reads stdin).</summary>
        public const string CatStdinWat = @"
(module
  (import ""wasi_snapshot_preview1"" ""fd_read"" (func $fd_read (param i32 i32 i32 i32) (result i32)))
  (import ""wasi_snapshot_preview1"" ""fd_write"" (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (memory (export ""memory"") 1)
  (func (export ""_start"")
    (local $n i32)
    (loop $again
      (i32.store (i32.const 0) (i32.const 64))
      (i32.store (i32.const 4) (i32.const 4096))
      (if (call $fd_read (i32.const 0) (i32.const 0) (i32.const 1) (i32.const 16)) (then (return)))
      (local.set $n (i32.load (i32.const 16)))
      (if (i32.eqz (local.get $n)) (then (return)))
      (i32.store (i32.const 8) (i32.const 64))
      (i32.store (i32.const 12) (local.get $n))
      (drop (call $fd_write (i32.const 1) (i32.const 8) (i32.const 1) (i32.const 20)))
      (br $again))))";

        public static int Le32(byte[] b)
        {
            return b.Length != 4 ? -1 : b[0] | b[1] << 8 | b[2] << 16 | b[3] << 24;
        }
    }
}
