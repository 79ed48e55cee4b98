// Isolator: many throw-away sandboxes for untrusted code, each with the memory and CPU limits
// DotNetIsolator lacks, and a callback into the host.
//
//   mono Isolator.exe [REPO] [CALLS]     (REPO: the nanoproc checkout; CALLS: default 1000)
//
// 1. CALLS calls of an untrusted function (call_host.wasm), each in a fresh sandbox with a
//    16 MiB memory cap, a fuel budget and a timeout; the function calls back into the host
//    (host::greet, a C# delegate), which refuses one name. Timing per sandbox, sequential and
//    from all cores at once.
// 2. A runaway (echo.wasm's spin) stopped by its timeout, by its fuel budget and by a
//    CancellationToken, and a memory hog (grow) stopped at its cap: each fails alone, the next
//    sandbox is unaffected.
// 3. A plugin importing a host function it was not granted is refused before it runs.
using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.IO;
using System.Linq;
using System.Text;
using System.Threading;
using System.Threading.Tasks;
using Nanoproc;

public static class Isolator
{
    private static int greetings;

    public static int Main(string[] args)
    {
        try
        {
            var repo = FindRepo(args.Length > 0 ? args[0] : null);
            var calls = args.Length > 1 ? int.Parse(args[1]) : 1000;
            Run(repo, calls).GetAwaiter().GetResult();
            return 0;
        }
        catch (Exception e)
        {
            Console.Error.WriteLine("isolator: " + e);
            return 1;
        }
    }

    private static byte[] B(string s) { return Encoding.UTF8.GetBytes(s); }
    private static string S(byte[] b) { return Encoding.UTF8.GetString(b); }

    private static async Task Run(string repo, int calls)
    {
        Func<string, Wasm> plugin = name => Wasm.File(Path.Combine(repo, "examples", "plugins", "bin", name));
        var limits = new Policy { MaxMemory = 16 << 20, Fuel = 10000000, Timeout = TimeSpan.FromSeconds(1) };

        using (var engine = new Engine(new EngineOptions { Fuel = true, Pooling = true }))
        {
            // 1. An untrusted function with a host callback, a fresh sandbox per call.
            var untrusted = new Plugin(engine, plugin("call_host.wasm"), new PluginOptions
            {
                Name = "untrusted",
                Policy = new Policy
                {
                    AllowHostFunctions = { "host::greet" }, MaxMemory = limits.MaxMemory, Fuel = limits.Fuel, Timeout = limits.Timeout,
                },
                HostFunctions =
                {
                    ["host::greet"] = name =>
                    {
                        Interlocked.Increment(ref greetings);
                        if (S(name) == "mallory") throw new UnauthorizedAccessException("mallory is not welcome");
                        return B("hello, " + S(name));
                    },
                },
            });
            using (untrusted)
            {
                Console.WriteLine("call_host(alice)    -> \"{0}\"", S(untrusted.Call("call_host", B("alice"))));
                try
                {
                    untrusted.Call("call_host", B("mallory"));
                }
                catch (HostFunctionException e)
                {
                    Console.WriteLine("call_host(mallory)  -> HostFunctionException: " + e.Message);
                }

                var perCall = new double[calls];
                var total = Stopwatch.StartNew();
                for (int i = 0; i < calls; i++)
                {
                    var sw = Stopwatch.StartNew();
                    var got = S(untrusted.Call("call_host", B("guest" + i)));
                    perCall[i] = sw.Elapsed.TotalMilliseconds * 1000;
                    if (got != "plugin got: hello, guest" + i) throw new Exception("wrong answer " + got);
                }
                total.Stop();
                Array.Sort(perCall);
                Console.WriteLine("{0} sandboxes, one after another: {1:F0} ms, per sandbox median {2:F1} us, p99 {3:F1} us",
                    calls, total.Elapsed.TotalMilliseconds, perCall[calls / 2], perCall[(int)(0.99 * (calls - 1))]);

                var parallel = Stopwatch.StartNew();
                var tasks = Enumerable.Range(0, calls).Select(i => untrusted.CallAsync("call_host", B("p" + i))).ToArray();
                var answers = await Task.WhenAll(tasks);
                parallel.Stop();
                if (answers.Where((a, i) => S(a) != "plugin got: hello, p" + i).Any()) throw new Exception("a wrong parallel answer");
                Console.WriteLine("{0} sandboxes from {1} cores at once: {2:F0} ms, {3:F1} us per sandbox",
                    calls, Environment.ProcessorCount, parallel.Elapsed.TotalMilliseconds, parallel.Elapsed.TotalMilliseconds * 1000 / calls);
                Console.WriteLine("host::greet was called {0} times", Volatile.Read(ref greetings));
            }

            // 2. Runaways and hogs: each stopped alone, the next sandbox unaffected.
            var runawayPolicy = new Policy { MaxMemory = 16 << 20, Timeout = TimeSpan.FromSeconds(1) };
            using (var echo = new Plugin(engine, plugin("echo.wasm"), new PluginOptions { Policy = runawayPolicy }))
            {
                Step("echo(before)", () => "\"" + S(echo.Call("echo", B("before"))) + "\"");
                Step("spin() with a 200 ms timeout", () => S(echo.Call("spin", null, new CallOptions { Timeout = TimeSpan.FromMilliseconds(200) })));
                Step("spin() with 10,000,000 fuel", () => S(echo.Call("spin", null, new CallOptions { Fuel = 10000000 })));
                Step("spin() cancelled after 100 ms", () =>
                {
                    using (var cts = new CancellationTokenSource(TimeSpan.FromMilliseconds(100)))
                        return S(echo.CallAsync("spin", null, cts.Token).GetAwaiter().GetResult());
                });
                Step("grow() within 16 MiB", () => S(echo.Call("grow", null)));
                Step("trap()", () => S(echo.Call("trap", null)));
                Step("echo(after)", () => "\"" + S(echo.Call("echo", B("after"))) + "\"");
                Console.WriteLine("audit trail of echo:");
                foreach (var e in echo.TakeAuditEvents().Where(e => e.Denied))
                    Console.WriteLine("  {0,-7} {1,-13} {2}", e.Decision, e.What, e.Target);
            }

            // 3. Capabilities are checked before anything runs.
            try
            {
                new Plugin(engine, plugin("ungranted_host.wasm"), new PluginOptions
                {
                    HostFunctions = { ["host::launch_missiles"] = _ => B("boom") },
                }).Dispose();
                throw new Exception("ungranted_host.wasm was not refused");
            }
            catch (DeniedException e)
            {
                Console.WriteLine("ungranted_host.wasm refused at load: " + e.Message);
            }
        }
    }

    // Runs one step in its sandbox and prints what came of it, and how long it took.
    private static void Step(string what, Func<string> call)
    {
        var sw = Stopwatch.StartNew();
        string result;
        try
        {
            result = call();
        }
        catch (Exception e) when (e is NanoprocException || e is CancelledException)
        {
            result = e.GetType().Name + ": " + ShortTrap(e.Message);
        }
        Console.WriteLine("{0,-30} -> {1}  [{2:F1} ms]", what, result, sw.Elapsed.TotalMilliseconds);
    }

    // A trap's message carries a backtrace after the first line of the trap; keep the head.
    private static string ShortTrap(string message)
    {
        var i = message.IndexOf(" (", message.IndexOf("wasm trap", StringComparison.Ordinal) + 1, StringComparison.Ordinal);
        return message.StartsWith("guest trap", StringComparison.Ordinal) && i > 0 ? message.Substring(0, i) + " (...)" : message;
    }

    private static string FindRepo(string arg)
    {
        if (!string.IsNullOrEmpty(arg)) return arg;
        var env = Environment.GetEnvironmentVariable("NANOPROC_REPO");
        if (!string.IsNullOrEmpty(env)) return env;
        for (var d = new DirectoryInfo(Environment.CurrentDirectory); d != null; d = d.Parent)
            if (File.Exists(Path.Combine(d.FullName, "examples", "plugins", "bin", "call_host.wasm"))) return d.FullName;
        throw new Exception("cannot find the nanoproc repository: run from inside it or pass its path");
    }
}
