// Bench: the per-call cost of plugin calls from C# through nanoproc's C ABI (P/Invoke).
//
//   bash sdks/dotnet/bench/run.sh [--quick] [--batches N] [--batch-ms 2]
//
// Four cases on examples/plugins/bin/echo.wasm with a pooling engine and the default policy,
// as sdks/go/bench/main.go:
//
//   warm_noop       Instance.Call("noop"): empty in, empty out, in a kept sandbox
//   warm_echo_64k   Instance.Call("echo") with 64 KiB (64 KiB back)
//   fresh_noop      Plugin.Call("noop"): a fresh sandbox per call
//   fresh_echo_64k  Plugin.Call("echo") with 64 KiB in a fresh sandbox
//
// and, in the table only, the two echo cases through CallInto one reused buffer.
//
// Calls run in batches of a calibrated size (about 2 ms each); each batch gives a mean per
// call; the table shows the median and the 99th percentile of those means in nanoseconds (the
// garbage collector on, as in any .NET program). Besides the table it prints one machine line
// per case, `RESULT dotnet <case> <median_ns> <p99_ns>`.
using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.IO;
using Nanoproc;

public static class Bench
{
    public static int Main(string[] args)
    {
        int batches = 200;
        double batchMs = 2;
        string echo = null;
        for (int i = 0; i < args.Length; i++)
        {
            switch (args[i])
            {
                case "--quick": batches = 20; batchMs = 1; break;
                case "--batches": batches = int.Parse(args[++i]); break;
                case "--batch-ms": batchMs = double.Parse(args[++i], System.Globalization.CultureInfo.InvariantCulture); break;
                case "--echo": echo = args[++i]; break;
                default: Console.Error.WriteLine("usage: Bench.exe [--quick] [--batches N] [--batch-ms MS] [--echo PATH]"); return 2;
            }
        }
        echo = echo ?? Path.Combine(FindRepo(), "examples", "plugins", "bin", "echo.wasm");
        try
        {
            Run(echo, batches, batchMs);
            return 0;
        }
        catch (Exception e)
        {
            Console.Error.WriteLine("bench: " + e.Message);
            return 1;
        }
    }

    private static void Run(string echoPath, int batches, double batchMs)
    {
        using (var engine = new Engine(new EngineOptions { Pooling = true }))
        using (var plugin = new Plugin(engine, Wasm.File(echoPath)))
        using (var inst = plugin.CreateInstance())
        {
            var payload = new byte[64 << 10];
            for (int i = 0; i < payload.Length; i++) payload[i] = (byte)i;
            // Check once that the calls do what they should before timing them.
            var back = inst.Call("echo", payload);
            if (back.Length != payload.Length) throw new Exception("echo check failed: " + back.Length + " bytes");

            var buffer = new byte[payload.Length];
            var cases = new List<KeyValuePair<string, Action<int>>>
            {
                Case("warm_noop", n => { for (int i = 0; i < n; i++) inst.Call("noop", null); }),
                Case("warm_echo_64k", n => { for (int i = 0; i < n; i++) inst.Call("echo", payload); }),
                Case("fresh_noop", n => { for (int i = 0; i < n; i++) plugin.Call("noop", null); }),
                Case("fresh_echo_64k", n => { for (int i = 0; i < n; i++) plugin.Call("echo", payload); }),
                // In the table only: the output copied into one reused buffer (CallInto).
                Case("warm_echo_64k_into", n => { for (int i = 0; i < n; i++) inst.CallInto("echo", payload, ref buffer); }),
                Case("fresh_echo_64k_into", n => { for (int i = 0; i < n; i++) plugin.CallInto("echo", payload, ref buffer); }),
            };
            const int resultCases = 4;
            var results = new List<double[]>();
            foreach (var c in cases) results.Add(Measure(c.Value, batches, batchMs));

            Console.WriteLine("nanoproc {0} from C# ({1}, {2}, {3} cores), echo.wasm, pooling engine", Engine.Version,
                RuntimeName(), IntPtr.Size == 8 ? "64-bit" : "32-bit", Environment.ProcessorCount);
            Console.WriteLine("{0} batches of ~{1} ms per case", batches, batchMs);
            Console.WriteLine();
            Console.WriteLine("{0,-22} {1,14} {2,14}", "case", "median ns/call", "p99 ns/call");
            for (int i = 0; i < cases.Count; i++)
                Console.WriteLine("{0,-22} {1,14:F0} {2,14:F0}", cases[i].Key, results[i][0], results[i][1]);
            Console.WriteLine("(*_into: CallInto one reused buffer instead of a new array per call)");
            Console.WriteLine();
            for (int i = 0; i < resultCases; i++)
                Console.WriteLine("RESULT dotnet {0} {1:F0} {2:F0}", cases[i].Key, results[i][0], results[i][1]);
        }
    }

    private static KeyValuePair<string, Action<int>> Case(string name, Action<int> loop)
    {
        return new KeyValuePair<string, Action<int>>(name, loop);
    }

    // Calibrates a batch size so a batch takes about batchMs, then times batches and returns the
    // median and p99 of the per-call means, in ns.
    private static double[] Measure(Action<int> loop, int batches, double batchMs)
    {
        loop(1);
        int n = 1;
        double elapsedNs;
        while (true)
        {
            var sw = Stopwatch.StartNew();
            loop(n);
            elapsedNs = sw.Elapsed.TotalMilliseconds * 1e6;
            if (elapsedNs >= batchMs * 1e6 / 4 || n >= 1 << 24) break;
            n *= 2;
        }
        var perCall = Math.Max(1, elapsedNs / n);
        var size = Math.Max(1, (int)(batchMs * 1e6 / perCall));
        GC.Collect();
        loop(size); // warm-up batch
        var means = new double[batches];
        for (int b = 0; b < batches; b++)
        {
            var sw = Stopwatch.StartNew();
            loop(size);
            means[b] = sw.Elapsed.TotalMilliseconds * 1e6 / size;
        }
        Array.Sort(means);
        var median = batches % 2 == 1 ? means[batches / 2] : (means[batches / 2 - 1] + means[batches / 2]) / 2;
        var p99 = means[(int)(0.99 * (batches - 1) + 0.5)];
        return new[] { median, p99 };
    }

    private static string RuntimeName()
    {
        var mono = Type.GetType("Mono.Runtime");
        if (mono != null)
        {
            var display = mono.GetMethod("GetDisplayName", System.Reflection.BindingFlags.NonPublic | System.Reflection.BindingFlags.Static);
            return "Mono " + (display != null ? display.Invoke(null, null) : "");
        }
        return ".NET " + Environment.Version;
    }

    private static string FindRepo()
    {
        var env = Environment.GetEnvironmentVariable("NANOPROC_REPO");
        if (!string.IsNullOrEmpty(env)) return env;
        for (var d = new DirectoryInfo(Environment.CurrentDirectory); d != null; d = d.Parent)
            if (File.Exists(Path.Combine(d.FullName, "examples", "plugins", "bin", "echo.wasm"))) return d.FullName;
        throw new Exception("cannot find the nanoproc repository: run from inside it, set NANOPROC_REPO or pass --echo");
    }
}
