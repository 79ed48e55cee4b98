// Extend: a C# host extends itself with a WebAssembly plugin that copies a file.
//
//   mono Extend.exe [REPO]      (REPO: the nanoproc checkout; default: found from the current directory)
//
// The plugin (examples/plugins/bin/copy_file.wasm, Rust on WASI, source
// examples/plugins/rust/copy_file) takes {"from": "/in/a.txt", "to": "/out/b.txt"} and copies
// with plain file I/O. It sees exactly two directories: the input one read-only at /in and the
// output one writable at /out. Nothing else of the host exists for it, and a budget of 30,000
// units of fuel bounds how much work it may do (a copy needs about 8,000, whatever the file's
// size: the bytes move in WASI calls, which cost no fuel).
using System;
using System.IO;
using System.Linq;
using System.Text;
using System.Threading.Tasks;
using Nanoproc;

public static class Extend
{
    private const ulong Fuel = 30000;
    private const ulong TooLittleFuel = 5000;

    public static int Main(string[] args)
    {
        try
        {
            Run(FindRepo(args)).GetAwaiter().GetResult();
            return 0;
        }
        catch (Exception e)
        {
            Console.Error.WriteLine("extend: " + e.Message);
            return 1;
        }
    }

    private static byte[] Request(string from, string to)
    {
        return Encoding.UTF8.GetBytes("{\"from\":\"" + from + "\",\"to\":\"" + to + "\"}");
    }

    private static async Task Run(string repo)
    {
        var tmp = Path.Combine(Path.GetTempPath(), "nanoproc-extend-" + Guid.NewGuid().ToString("N"));
        string input = Path.Combine(tmp, "in"), output = Path.Combine(tmp, "out");
        Directory.CreateDirectory(input);
        Directory.CreateDirectory(output);
        try
        {
            var data = string.Concat(Enumerable.Repeat("the host's data, copied by a sandboxed plugin\n", 20));
            File.WriteAllText(Path.Combine(input, "a.txt"), data);
            var wasm = Wasm.File(Path.Combine(repo, "examples", "plugins", "bin", "copy_file.wasm"));

            // One engine that meters fuel; pooling keeps fresh sandboxes cheap.
            using (var engine = new Engine(new EngineOptions { Fuel = true }))
            using (var plugin = new Plugin(engine, wasm, new PluginOptions
            {
                Policy = new Policy
                {
                    Dirs = { new DirGrant(input, "/in"), new DirGrant(output, "/out", writable: true) },
                    Fuel = Fuel,
                    MaxMemory = 16 << 20,
                    Timeout = TimeSpan.FromSeconds(5),
                },
            }))
            {
                var result = Encoding.UTF8.GetString(await plugin.CallAsync("copy_file", Request("/in/a.txt", "/out/b.txt")));
                var copied = File.ReadAllText(Path.Combine(output, "b.txt"));
                Console.WriteLine("copied {0} bytes with a budget of {1} fuel; identical: {2}",
                    result.Replace("{\"bytes\":", "").TrimEnd('}'), Fuel, copied == data);

                // The input directory is read-only: the plugin's write fails, nothing is written.
                try
                {
                    plugin.Call("copy_file", Request("/in/a.txt", "/in/c.txt"));
                    throw new Exception("the write into /in was not refused");
                }
                catch (PluginException e)
                {
                    Console.WriteLine("write into the read-only dir refused: " + e.Message);
                }
                Console.WriteLine("file created in the input dir: " + File.Exists(Path.Combine(input, "c.txt")));

                // Nothing outside the two directories exists for it.
                try
                {
                    plugin.Call("copy_file", Request("/etc/passwd", "/out/passwd"));
                    throw new Exception("the read of /etc/passwd was not refused");
                }
                catch (PluginException e)
                {
                    Console.WriteLine("read outside the grants refused: " + e.Message);
                }

                // Every sandbox records its two grants (fs.mount); then what the plugin did.
                var events = plugin.TakeAuditEvents();
                Console.WriteLine("audit trail ({0} fs.mount events: the two grants, once per sandbox):",
                    events.Count(e => e.What == "fs.mount"));
                foreach (var e in events.Where(e => e.What != "fs.mount"))
                    Console.WriteLine("  {0,-7} {1,-9} {2}", e.Decision, e.What, e.Target);

                // The same copy with too little fuel is stopped, however the plugin is written.
                try
                {
                    plugin.Call("copy_file", Request("/in/a.txt", "/out/d.txt"), new CallOptions { Fuel = TooLittleFuel });
                    throw new Exception("a budget of " + TooLittleFuel + " fuel did not stop the copy");
                }
                catch (FuelLimitException e)
                {
                    Console.WriteLine("with a budget of {0} fuel: {1} (exit code {2})", TooLittleFuel, e.Message, e.ExitCode);
                }
            }
        }
        finally
        {
            Directory.Delete(tmp, true);
        }
    }

    private static string FindRepo(string[] args)
    {
        if (args.Length > 0) return args[0];
        var env = Environment.GetEnvironmentVariable("NANOPROC_REPO");
        if (!string.IsNullOrEmpty(env)) return env;
        for (var d = new DirectoryInfo(Environment.CurrentDirectory); d != null; d = d.Parent)
            if (File.Exists(Path.Combine(d.FullName, "examples", "plugins", "bin", "copy_file.wasm"))) return d.FullName;
        throw new Exception("cannot find the nanoproc repository: run from inside it or pass its path");
    }
}
