using System;
using System.Collections.Generic;
using System.Linq;
using System.Runtime.CompilerServices;
using System.Threading;
using System.Threading.Tasks;
using static Nanoproc.Tests.Env;

namespace Nanoproc.Tests
{
    public static class PluginTests
    {
        private static Plugin Echo(Policy policy = null, Engine engine = null)
        {
            return new Plugin(engine ?? Shared, PluginWasm("echo.wasm"), new PluginOptions { Policy = policy ?? new Policy { MaxMemory = 64 << 20 } });
        }

        [Test]
        public static void EchoNoopFailTrapLog()
        {
            using (var p = Echo())
            {
                Assert.Equal("hello", S(p.Call("echo", B("hello"))), "echo");
                Assert.Equal(0, p.Call("noop", null).Length, "noop output");
                Assert.Equal(0, p.Call("log", B("logged")).Length, "log output");
                var fail = Assert.Throws<PluginException>(() => p.Call("fail", null), "fail");
                Assert.Contains("failing on purpose", fail.Message);
                Assert.Equal(ErrorKind.Plugin, fail.Kind);
                Assert.OneLine(fail, 1);
                var trap = Assert.Throws<TrapException>(() => p.Call("trap", null), "trap");
                Assert.Equal(ErrorKind.Trap, trap.Kind);
                Assert.OneLine(trap, 123);
                Assert.Contains("unreachable", trap.Message);
                // The trap touched only its own sandbox.
                Assert.Equal("after", S(p.Call("echo", B("after"))), "echo after the trap");
                var binary = Enumerable.Range(0, 256).Select(i => (byte)i).ToArray();
                Assert.Bytes(binary, p.Call("echo", binary), "binary echo");
            }
        }

        [Test]
        public static void CallIntoReusesTheBuffer()
        {
            using (var p = Echo())
            using (var inst = p.CreateInstance())
            {
                var buffer = new byte[4];
                var original = buffer;
                Assert.Equal(3, p.CallInto("echo", B("abc"), ref buffer), "length");
                Assert.True(ReferenceEquals(original, buffer), "a big enough buffer is reused");
                Assert.Equal("abc", S(buffer.Take(3).ToArray()), "content");
                var big = Enumerable.Range(0, 100000).Select(i => (byte)(i * 7)).ToArray();
                Assert.Equal(big.Length, inst.CallInto("echo", big, ref buffer), "big length");
                Assert.True(!ReferenceEquals(original, buffer) && buffer.Length >= big.Length, "grown");
                Assert.Bytes(big, buffer.Take(big.Length).ToArray(), "big content");
                var grown = buffer;
                Assert.Equal(0, inst.CallInto("noop", null, ref buffer), "empty output");
                Assert.True(ReferenceEquals(grown, buffer), "kept");
                Assert.Throws<TimeLimitException>(() => p.CallInto("spin", null, ref buffer, new CallOptions { Timeout = TimeSpan.FromMilliseconds(20) }));
            }
        }

        [Test]
        public static void MissingFunctionIsAbiViolation()
        {
            using (var p = Echo())
            {
                var e = Assert.Throws<AbiViolationException>(() => p.Call("no_such_function", null));
                Assert.Contains("no_such_function", e.Message);
                Assert.OneLine(e, 123);
            }
        }

        [Test]
        public static void CountVowelsConfigFunctionsAndKind()
        {
            using (var p = new Plugin(Shared, PluginWasm("count_vowels.wasm")))
            {
                Assert.Contains("\"count\":3", S(p.Call("count_vowels", B("Hello, World"))));
                Assert.True(p.Functions.Contains("count_vowels"), "functions: " + string.Join(",", p.Functions));
                Assert.Equal(false, p.IsComponent, "is component");
            }
            var options = new PluginOptions { Config = { ["vowels"] = "lW" } };
            using (var p = new Plugin(Shared, PluginWasm("count_vowels.wasm"), options))
                Assert.Contains("\"count\":4", S(p.Call("count_vowels", B("Hello, World"))));
        }

        [Test]
        public static void FreshCallsShareNothingInstancesKeepState()
        {
            using (var p = new Plugin(Shared, Wat(CounterWat, "counter")))
            {
                for (int i = 0; i < 3; i++) Assert.Equal(1, Le32(p.Call("count", null)), "fresh call");
                using (var inst = p.CreateInstance())
                {
                    for (int want = 1; want <= 3; want++) Assert.Equal(want, Le32(inst.Call("count", null)), "instance call");
                    // A trap replaces the instance's sandbox by a fresh one: the count starts again.
                    Assert.Throws<TrapException>(() => inst.Call("trap", null));
                    Assert.Equal(1, Le32(inst.Call("count", null)), "after the trap");
                    using (var other = p.CreateInstance())
                        Assert.Equal(1, Le32(other.Call("count", null)), "another instance");
                }
            }
        }

        [Test]
        public static void LimitsOnPluginCallsMapToTheirExceptions()
        {
            using (var p = Echo(new Policy { MaxMemory = 16 << 20, Timeout = TimeSpan.FromMilliseconds(200) }))
            {
                var time = Assert.Throws<TimeLimitException>(() => p.Call("spin", null), "spin");
                Assert.True(time is LimitExceededException, "a time limit is a LimitExceededException");
                Assert.OneLine(time, 124);
                Assert.Contains("200ms", time.Message);
                var mem = Assert.Throws<MemoryLimitException>(() => p.Call("grow", null), "grow");
                Assert.OneLine(mem, 121);
                Assert.Contains("16 MiB", mem.Message);
                // Per-call limits are tighter than the policy's.
                var perCall = Assert.Throws<TimeLimitException>(() => p.Call("spin", null, new CallOptions { Timeout = TimeSpan.FromMilliseconds(50) }));
                Assert.Contains("50ms", perCall.Message);
                Assert.Throws<MemoryLimitException>(() => p.Call("grow", null, new CallOptions { MaxMemory = 4 << 20 }));
                Assert.Equal("ok", S(p.Call("echo", B("ok"))), "a call after the limits");
            }
            using (var p = Echo(new Policy { Fuel = 1000000 }, FuelEngine))
            {
                var fuel = Assert.Throws<FuelLimitException>(() => p.Call("spin", null), "spin with fuel");
                Assert.OneLine(fuel, 124);
                Assert.Contains("1000000", fuel.Message.Replace(",", ""));
                Assert.Throws<FuelLimitException>(() => p.Call("spin", null, new CallOptions { Fuel = 1000 }));
                Assert.Equal("ok", S(p.Call("echo", B("ok"), new CallOptions { Fuel = 1000000 })), "echo within fuel");
            }
            // Fuel needs a fuel engine: a policy error naming fuel.
            var e = Assert.Throws<PolicyException>(() => Echo(new Policy { Fuel = 1000 }));
            Assert.Contains("fuel", e.Message);
            Assert.OneLine(e, 125);
        }

        [Test]
        public static void InstanceRecoversAfterLimits()
        {
            using (var p = Echo(new Policy { MaxMemory = 16 << 20 }))
            using (var inst = p.CreateInstance())
            {
                Assert.Throws<TimeLimitException>(() => inst.Call("spin", null, new CallOptions { Timeout = TimeSpan.FromMilliseconds(50) }));
                Assert.Equal("a", S(inst.Call("echo", B("a"))), "after the time limit");
                Assert.Throws<MemoryLimitException>(() => inst.Call("grow", null));
                Assert.Equal("b", S(inst.Call("echo", B("b"))), "after the memory limit");
            }
        }

        private static Plugin Greeter(Func<byte[], byte[]> greet, Action<AuditEvent> onAudit = null, Engine engine = null)
        {
            return new Plugin(engine ?? Shared, PluginWasm("call_host.wasm"), new PluginOptions
            {
                Policy = new Policy().AllowHostFunction("host::greet").WithMaxMemory(16 << 20),
                HostFunctions = { ["host::greet"] = greet },
                OnAudit = onAudit,
            });
        }

        [Test]
        public static void HostFunctionGranted()
        {
            using (var p = Greeter(name => B("hello, " + S(name))))
                Assert.Equal("plugin got: hello, alice", S(p.Call("call_host", B("alice"))), "call_host");
            // The HostCall form sees the plugin's name.
            string seen = null;
            var options = new PluginOptions
            {
                Name = "greeter",
                Policy = new Policy { AllowHostFunctions = { "host::*" } },
                HostFunctions = { { "host::greet", (call, input) => { seen = call.Plugin; return input; } } },
            };
            HostCall kept = null;
            options.HostFunctions.Add("host::greet", (call, input) => { seen = call.Plugin; kept = call; return input; });
            using (var p = new Plugin(Shared, PluginWasm("call_host.wasm"), options))
                Assert.Equal("plugin got: x", S(p.Call("call_host", B("x"))), "call_host");
            Assert.Equal("greeter", seen, "HostCall.Plugin");
            // A HostCall kept past its callback is inert.
            Assert.Equal(null, kept.Plugin, "stale HostCall.Plugin");
            Assert.Equal(true, kept.ShouldStop, "stale HostCall.ShouldStop");
            Assert.Equal(null, kept.Remaining, "stale HostCall.Remaining");
        }

        [Test]
        public static void HostFunctionNotGrantedIsDenied()
        {
            var e = Assert.Throws<DeniedException>(() => new Plugin(Shared, PluginWasm("ungranted_host.wasm")));
            Assert.Contains("host::launch_missiles", e.Message);
            Assert.OneLine(e, 125);
            // Provided but not granted: the message names the grant to add.
            var before = Engine.LiveCallbacks;
            var provided = new PluginOptions { HostFunctions = { ["host::launch_missiles"] = b => b }, OnAudit = ev => { } };
            e = Assert.Throws<DeniedException>(() => new Plugin(Shared, PluginWasm("ungranted_host.wasm"), provided));
            Assert.Equal(before, Engine.LiveCallbacks, "the failed build released its delegates");
            Assert.Contains("--allow-host-fn host::launch_missiles", e.Message);
            Assert.OneLine(e, 125);
            // Providing it is not granting it.
            var options = new PluginOptions { HostFunctions = { ["host::greet"] = b => b } };
            Assert.Throws<DeniedException>(() => new Plugin(Shared, PluginWasm("call_host.wasm"), options));
        }

        [Test]
        public static void HostFunctionBadName()
        {
            var before = Engine.LiveCallbacks;
            var options = new PluginOptions
            {
                Policy = new Policy().AllowHostFunction("host::greet"),
                HostFunctions = { ["host::greet"] = b => b, ["greet"] = b => b },
            };
            var e = Assert.Throws<InvalidArgumentException>(() => new Plugin(Shared, PluginWasm("call_host.wasm"), options));
            Assert.Contains("namespace::name", e.Message);
            Assert.OneLine(e, 2);
            Assert.Equal(before, Engine.LiveCallbacks, "no delegate kept after a failed build");
        }

        [Test]
        public static void HostFunctionExceptionFailsOnlyThatCall()
        {
            using (var p = Greeter(name =>
            {
                if (S(name) == "mallory") throw new InvalidOperationException("mallory is not welcome");
                if (S(name) == "null") throw new NullReferenceException();
                return B("hello, " + S(name));
            }))
            {
                var e = Assert.Throws<HostFunctionException>(() => p.Call("call_host", B("mallory")));
                Assert.Contains("host::greet", e.Message);
                Assert.Contains("InvalidOperationException: mallory is not welcome", e.Message);
                Assert.OneLine(e, 123);
                Assert.Throws<HostFunctionException>(() => p.Call("call_host", B("null")));
                Assert.Equal("plugin got: hello, bob", S(p.Call("call_host", B("bob"))), "the next call");
            }
        }

        private sealed class Holder { public string Text; }

        [MethodImpl(MethodImplOptions.NoInlining)]
        private static int LengthOf(Holder h) { return h.Text.Length; }

        // Mono turns a null dereference into NullReferenceException through its SIGSEGV
        // handler; Wasmtime installs its own for guest faults and must pass others on. A real
        // null dereference, inside a host function (a guest on the stack) and outside, is still
        // an exception, and a guest's out-of-bounds fault is still a trap.
        [Test]
        public static void RealNullDereferencesStayManagedExceptions()
        {
            using (var p = Greeter(name => B("len " + LengthOf(S(name) == "null" ? null : new Holder { Text = S(name) }))))
            {
                var e = Assert.Throws<HostFunctionException>(() => p.Call("call_host", B("null")));
                Assert.Contains("NullReferenceException", e.Message);
                Assert.Equal("plugin got: len 3", S(p.Call("call_host", B("abc"))), "next call");
            }
            Assert.Throws<NullReferenceException>(() => LengthOf(null), "outside a call");
            Assert.Throws<NullReferenceException>(() => LengthOf(new Holder()), "null field");
            using (var p = Echo()) Assert.Throws<TrapException>(() => p.Call("trap", null), "a guest trap after them");
        }

        // Builds a plugin whose host function is a closure nothing else references, and returns
        // a weak reference to the closure's state.
        [MethodImpl(MethodImplOptions.NoInlining)]
        private static Plugin GreeterWithGarbage(out WeakReference state)
        {
            var greeting = new StringHolder { Text = "hi, " };
            state = new WeakReference(greeting);
            return Greeter(name => B(greeting.Text + S(name)));
        }

        private sealed class StringHolder { public string Text; }

        private static void CollectAll()
        {
            for (int i = 0; i < 3; i++)
            {
                GC.Collect();
                GC.WaitForPendingFinalizers();
            }
        }

        [Test]
        public static void HostFunctionDelegateSurvivesGarbageCollection()
        {
            var before = Engine.LiveCallbacks;
            WeakReference state;
            var p = GreeterWithGarbage(out state);
            Assert.Equal(before + 1, Engine.LiveCallbacks, "one delegate held");
            CollectAll();
            Assert.True(state.IsAlive, "the host function's closure is kept while the plugin lives");
            Assert.Equal("plugin got: hi, gc", S(p.Call("call_host", B("gc"))), "call after GC");
            var inst = p.CreateInstance();
            p.Dispose(); // the instance still needs the function
            CollectAll();
            Assert.Equal("plugin got: hi, inst", S(inst.Call("call_host", B("inst"))), "instance call after the plugin's dispose and GC");
            Assert.Equal(before + 1, Engine.LiveCallbacks, "still held by the instance");
            inst.Dispose();
            CollectAll();
            Assert.Equal(before, Engine.LiveCallbacks, "released once nothing can call it");
            Assert.True(!state.IsAlive, "the closure is collectable once the plugin and instance are gone");
        }

        [Test]
        public static void ForgottenPluginIsFreedByItsFinalizer()
        {
            var before = Engine.LiveCallbacks;
            WeakReference state;
            MakeAndForget(out state);
            CollectAll();
            Assert.Equal(before, Engine.LiveCallbacks, "the finalizer freed the plugin and its delegate");
        }

        [MethodImpl(MethodImplOptions.NoInlining)]
        private static void MakeAndForget(out WeakReference state)
        {
            var p = GreeterWithGarbage(out state);
            p.Call("call_host", B("x"));
        }

        [Test]
        public static void HostFunctionCannotReenterItsInstance()
        {
            Instance inst = null;
            string inner = null;
            using (var p = Greeter(name =>
            {
                try { inst.Call("call_host", name); }
                catch (InvalidArgumentException e) { inner = e.Message; }
                return B("done");
            }))
            using (inst = p.CreateInstance())
            {
                Assert.Equal("plugin got: done", S(inst.Call("call_host", B("x"))), "outer call");
                Assert.Contains("busy", inner, "re-entry refused");
            }
        }

        [Test]
        public static void HostFunctionSeesCancellationAndRemaining()
        {
            TimeSpan? remaining = TimeSpan.Zero;
            var started = new ManualResetEventSlim();
            var options = new PluginOptions
            {
                Policy = new Policy { AllowHostFunctions = { "host::greet" } },
                HostFunctions =
                {
                    {
                        "host::greet", (call, input) =>
                        {
                            remaining = call.Remaining;
                            if (S(input) != "wait") return input;
                            started.Set();
                            while (!call.ShouldStop) Thread.Sleep(1);
                            return B("stopped");
                        }
                    },
                },
            };
            using (var p = new Plugin(Shared, PluginWasm("call_host.wasm"), options))
            {
                p.Call("call_host", B("x"));
                Assert.Equal(null, remaining, "no timeout: no remaining time");
                p.Call("call_host", B("x"), new CallOptions { Timeout = TimeSpan.FromSeconds(30) });
                Assert.True(remaining.HasValue && remaining.Value > TimeSpan.FromSeconds(20) && remaining.Value <= TimeSpan.FromSeconds(30),
                    "remaining with a 30 s timeout: " + remaining);
                using (var cts = new CancellationTokenSource())
                {
                    var task = p.CallAsync("call_host", B("wait"), cts.Token);
                    Assert.True(started.Wait(TimeSpan.FromSeconds(30)), "host function started");
                    cts.Cancel();
                    var e = Assert.Throws<CancelledException>(() => task.GetAwaiter().GetResult());
                    Assert.Equal(cts.Token, e.CancellationToken, "the exception carries the token");
                    Assert.OneLine(e, 124);
                }
            }
        }

        [Test]
        public static void CancellationTokenInterruptsOnlyItsCall()
        {
            using (var p = Echo())
            using (var cts = new CancellationTokenSource())
            {
                var spinning = p.CallAsync("spin", null, cts.Token);
                var other = p.CallAsync("spin", null, new CallOptions { Timeout = TimeSpan.FromMilliseconds(400) }, CancellationToken.None);
                Thread.Sleep(100);
                Assert.True(!spinning.IsCompleted, "the call runs until cancelled");
                cts.Cancel();
                var e = Assert.Throws<CancelledException>(() => spinning.GetAwaiter().GetResult());
                Assert.True(e is OperationCanceledException, "an OperationCanceledException");
                Assert.Equal(cts.Token, e.CancellationToken, "token");
                Assert.Equal(ErrorKind.Cancelled, e.Kind);
                // The other call was not cancelled: it ran into its own limit.
                Assert.Throws<TimeLimitException>(() => other.GetAwaiter().GetResult());
                Assert.Equal("x", S(p.Call("echo", B("x"), null, new CancellationTokenSource().Token)), "a call with a live token");
            }
        }

        [Test]
        public static void CancellationWorksOnInstancesAndSyncCalls()
        {
            using (var p = Echo())
            using (var inst = p.CreateInstance())
            using (var cts = new CancellationTokenSource(TimeSpan.FromMilliseconds(100)))
            {
                Assert.Throws<CancelledException>(() => inst.Call("spin", null, null, cts.Token));
                Assert.Equal("y", S(inst.Call("echo", B("y"))), "the instance works after");
                using (var cts2 = new CancellationTokenSource(TimeSpan.FromMilliseconds(100)))
                    Assert.Throws<CancelledException>(() => inst.CallAsync("spin", null, cts2.Token).GetAwaiter().GetResult());
            }
        }

        [Test]
        public static void CancelledTokenDoesNotStart()
        {
            using (var p = Echo())
            using (var cts = new CancellationTokenSource())
            {
                cts.Cancel();
                var e = Assert.Throws<CancelledException>(() => p.Call("echo", B("x"), null, cts.Token));
                Assert.Equal(cts.Token, e.CancellationToken, "token");
                var task = p.CallAsync("echo", B("x"), cts.Token);
                Assert.Throws<OperationCanceledException>(() => task.GetAwaiter().GetResult());
            }
        }

        [Test]
        public static void PluginCancelStopsRunningCalls()
        {
            using (var p = Echo())
            using (var inst = p.CreateInstance())
            {
                var fresh = p.CallAsync("spin", null);
                var kept = inst.CallAsync("spin", null);
                // Cancel stops the calls running at that moment; repeat until both have started
                // and been stopped (the spins have no limit of their own).
                var until = DateTime.UtcNow + TimeSpan.FromSeconds(60);
                while (!(fresh.IsCompleted && kept.IsCompleted) && DateTime.UtcNow < until)
                {
                    p.Cancel();
                    Thread.Sleep(10);
                }
                var e = Assert.Throws<CancelledException>(() => fresh.GetAwaiter().GetResult());
                Assert.Equal(CancellationToken.None, e.CancellationToken, "no token cancelled it");
                Assert.Throws<CancelledException>(() => kept.GetAwaiter().GetResult());
                Assert.Equal("later", S(p.Call("echo", B("later"))), "later calls run normally");
                Assert.Equal("inst", S(inst.Call("echo", B("inst"))), "and on the instance");
            }
        }

        [Test]
        public static void InvalidModuleMissingFileAndInvalidPolicy()
        {
            var e = Assert.Throws<InvalidModuleException>(() => new Plugin(Shared, Wasm.FromBytes(B("\0asm\x01\0\0\0garbage"))));
            Assert.OneLine(e, 125);
            Assert.Throws<InvalidModuleException>(() => new Plugin(Shared, Wasm.FromBytes(B("not wasm at all"))));
            var io = Assert.Throws<NanoprocIOException>(() => new Plugin(Shared, Wasm.File("/nonexistent/missing.wasm")));
            Assert.OneLine(io, 125);
            var pol = Assert.Throws<PolicyException>(() => Echo(new Policy { AllowNet = { "nonsense" } }));
            Assert.Contains("nonsense", pol.Message);
            Assert.OneLine(pol, 125);
        }

        [Test]
        public static void AuditEventsTakenAndStreamed()
        {
            var streamed = new List<AuditEvent>();
            using (var p = Greeter(name => { if (S(name) == "mallory") throw new Exception("no"); return name; },
                e => { lock (streamed) streamed.Add(e); }))
            {
                p.Call("call_host", B("alice"));
                Assert.Throws<HostFunctionException>(() => p.Call("call_host", B("mallory")));
                var events = p.TakeAuditEvents().Where(e => e.What == "host_fn").ToList();
                Assert.Equal(2, events.Count, "host_fn events");
                Assert.Equal("host::greet", events[0].Target, "target");
                Assert.Equal("allowed", events[0].Decision, "decision");
                Assert.Contains("returned", events[0].Rule);
                Assert.Contains("failed", events[1].Rule);
                Assert.True(events[0].Time.Year >= 2024, "time: " + events[0].Time);
                Assert.Equal(0, p.TakeAuditEvents().Count, "taking empties the store");
                lock (streamed) Assert.Equal(2, streamed.Count(e => e.What == "host_fn"), "streamed host_fn events");
            }
            // An audit function that throws does not break calls.
            using (var p = Greeter(name => name, e => { throw new Exception("audit boom"); }))
                Assert.Equal("plugin got: z", S(p.Call("call_host", B("z"))), "call with a throwing audit function");
        }

        [Test]
        public static void AuditKeepDrops()
        {
            var options = new PluginOptions { Policy = new Policy { MaxMemory = 16 << 20 }, AuditKeep = 1 };
            using (var p = new Plugin(Shared, PluginWasm("echo.wasm"), options))
            {
                for (int i = 0; i < 3; i++) Assert.Throws<TimeLimitException>(() => p.Call("spin", null, new CallOptions { Timeout = TimeSpan.FromMilliseconds(10) }));
                long dropped;
                var events = p.TakeAuditEvents(out dropped);
                Assert.Equal(1, events.Count, "kept");
                Assert.True(dropped >= 2, "dropped " + dropped);
            }
        }

        [Test]
        public static void ConcurrentCallsOnOnePlugin()
        {
            using (var p = Greeter(name => B("hello, " + S(name))))
            {
                var errors = 0;
                var threads = Enumerable.Range(0, 8).Select(t => new Thread(() =>
                {
                    for (int i = 0; i < 50; i++)
                    {
                        var want = "plugin got: hello, t" + t + "-" + i;
                        try { if (S(p.Call("call_host", B("t" + t + "-" + i))) != want) Interlocked.Increment(ref errors); }
                        catch (Exception) { Interlocked.Increment(ref errors); }
                    }
                })).ToList();
                threads.ForEach(t => t.Start());
                threads.ForEach(t => t.Join());
                Assert.Equal(0, errors, "wrong or failed concurrent calls");
                var tasks = Enumerable.Range(0, 32).Select(i => p.CallAsync("call_host", B("a" + i))).ToArray();
                Task.WaitAll(tasks);
                for (int i = 0; i < tasks.Length; i++) Assert.Equal("plugin got: hello, a" + i, S(tasks[i].Result), "async " + i);
            }
        }

        [Test]
        public static void ConcurrentUseOfOneInstanceIsRefused()
        {
            var inside = new ManualResetEventSlim();
            var release = new ManualResetEventSlim();
            using (var p = Greeter(name => { inside.Set(); release.Wait(); return name; }))
            using (var inst = p.CreateInstance())
            {
                var first = inst.CallAsync("call_host", B("first"));
                Assert.True(inside.Wait(TimeSpan.FromSeconds(30)), "first call inside its host function");
                var e = Assert.Throws<InvalidArgumentException>(() => inst.Call("call_host", B("second")));
                Assert.Contains("busy", e.Message);
                Assert.OneLine(e, 2);
                release.Set();
                Assert.Equal("plugin got: first", S(first.Result), "the first call");
            }
        }

        [Test]
        public static void UseAfterDisposeIsObjectDisposed()
        {
            var engine = new Engine();
            var p = new Plugin(engine, PluginWasm("echo.wasm"));
            var inst = p.CreateInstance();
            inst.Dispose();
            inst.Dispose(); // idempotent
            Assert.Throws<ObjectDisposedException>(() => inst.Call("echo", B("x")), "instance call");
            Assert.Throws<ObjectDisposedException>(() => inst.CallAsync("echo", B("x")).GetAwaiter().GetResult(), "instance CallAsync");
            engine.Dispose();
            Assert.Equal("x", S(p.Call("echo", B("x"))), "a plugin outlives its engine");
            Assert.Throws<ObjectDisposedException>(() => new Plugin(engine, PluginWasm("echo.wasm")), "plugin on a disposed engine");
            Assert.Throws<ObjectDisposedException>(() => engine.Run(GuestWasm("hello.wasm")), "run on a disposed engine");
            p.Dispose();
            p.Dispose();
            Assert.Throws<ObjectDisposedException>(() => p.Call("echo", B("x")), "plugin call");
            Assert.Throws<ObjectDisposedException>(() => p.CreateInstance(), "CreateInstance");
            Assert.Throws<ObjectDisposedException>(() => p.Cancel(), "Cancel");
            Assert.Throws<ObjectDisposedException>(() => p.TakeAuditEvents(), "TakeAuditEvents");
            Assert.Throws<ObjectDisposedException>(() => { var f = p.Functions; }, "Functions");
        }

        [Test]
        public static void DisposeDuringACall()
        {
            var inside = new CountdownEvent(2);
            var release = new ManualResetEventSlim();
            var p = Greeter(name => { inside.Signal(); release.Wait(); return name; });
            var inst = p.CreateInstance();
            var fresh = p.CallAsync("call_host", B("fresh"));
            var kept = inst.CallAsync("call_host", B("kept"));
            Assert.True(inside.Wait(TimeSpan.FromSeconds(60)), "both calls inside their host function");
            p.Dispose();
            inst.Dispose();
            Assert.Throws<ObjectDisposedException>(() => p.Call("call_host", B("x")), "a new call");
            release.Set();
            // The calls in progress finish with what they had.
            Assert.Equal("plugin got: fresh", S(fresh.Result), "fresh call");
            Assert.Equal("plugin got: kept", S(kept.Result), "instance call");
        }

        [Test]
        public static void NothingLeaks()
        {
            // Warm up what is made once (engines, caches), then count.
            using (var p = Greeter(b => b)) p.Call("call_host", B("w"));
            CollectAll();
            var objects = Engine.LiveObjects;
            var callbacks = Engine.LiveCallbacks;
            for (int i = 0; i < 20; i++)
            {
                using (var p = Greeter(b => b, e => { }))
                using (var inst = p.CreateInstance())
                {
                    p.Call("call_host", B("x"));
                    inst.Call("call_host", B("y"));
                    Assert.Throws<HostFunctionException>(() => { using (var q = Greeter(b => { throw new Exception("x"); })) q.Call("call_host", B("z")); });
                    using (var cts = new CancellationTokenSource()) p.Call("call_host", B("t"), null, cts.Token);
                    p.TakeAuditEvents();
                    var f = p.Functions;
                }
                Assert.Throws<PolicyException>(() => Echo(new Policy { AllowNet = { "nonsense" } }));
                Shared.Run(GuestWasm("hello.wasm"), new Policy { Stdout = OutputMode.Capture });
            }
            Assert.Equal(objects, Engine.LiveObjects, "live C objects");
            Assert.Equal(callbacks, Engine.LiveCallbacks, "live delegates");
        }

        [Test]
        public static void PolicyBuilderAndInitializerAgree()
        {
            var a = new Policy().WithDir("/tmp", "/t", true).WithEnv("A", "1").WithFuel(5).WithTimeout(TimeSpan.FromSeconds(1))
                .AllowHostFunction("host::*").AllowNetwork("127.0.0.1:80").WithMaxMemory(1 << 20).WithMaxOutput(10).WithDiskQuota(10);
            var b = new Policy
            {
                Dirs = { new DirGrant("/tmp", "/t", true) }, Env = { ["A"] = "1" }, Fuel = 5, Timeout = TimeSpan.FromSeconds(1),
                AllowHostFunctions = { "host::*" }, AllowNet = { "127.0.0.1:80" }, MaxMemory = 1 << 20, MaxOutput = 10, DiskQuota = 10,
            };
            a.Validate();
            b.Validate();
            Assert.Equal(a.Dirs[0].Guest, b.Dirs[0].Guest, "dir");
            Assert.Equal(a.Fuel, b.Fuel, "fuel");
            Assert.Throws<PolicyException>(() => new Policy { AllowNet = { "nonsense" } }.Validate());
            Assert.Throws<PolicyException>(() => new Policy().WithWasi("teleport", true).Validate());
            Assert.Throws<PolicyException>(() => new Policy { Toml = "limits = 3" }.Validate());
            Assert.Throws<ArgumentOutOfRangeException>(() => new Policy { Timeout = TimeSpan.FromSeconds(-1) }.Validate());
        }

        [Test]
        public static void ExceptionHierarchy()
        {
            // Every kind maps to its own class; the limits share LimitExceededException.
            var expected = new Dictionary<ErrorKind, Type>
            {
                { ErrorKind.InvalidModule, typeof(InvalidModuleException) }, { ErrorKind.InvalidPolicy, typeof(PolicyException) },
                { ErrorKind.InvalidInput, typeof(InvalidInputException) }, { ErrorKind.MemoryLimit, typeof(MemoryLimitException) },
                { ErrorKind.OutputLimit, typeof(OutputLimitException) }, { ErrorKind.TimeLimit, typeof(TimeLimitException) },
                { ErrorKind.FuelLimit, typeof(FuelLimitException) }, { ErrorKind.Trap, typeof(TrapException) },
                { ErrorKind.AbiViolation, typeof(AbiViolationException) }, { ErrorKind.HostFunction, typeof(HostFunctionException) },
                { ErrorKind.Plugin, typeof(PluginException) }, { ErrorKind.Cancelled, typeof(CancelledException) },
                { ErrorKind.Denied, typeof(DeniedException) }, { ErrorKind.IO, typeof(NanoprocIOException) },
                { ErrorKind.HostExhausted, typeof(HostExhaustedException) }, { ErrorKind.Internal, typeof(InternalException) },
                { ErrorKind.InvalidArgument, typeof(InvalidArgumentException) }, { ErrorKind.Integrity, typeof(IntegrityException) },
            };
            foreach (var kv in expected)
            {
                var e = NanoprocException.Create(kv.Key, "kind: detail", "detail", 1, default(CancellationToken));
                Assert.Equal(kv.Value, e.GetType(), "class for " + kv.Key);
                Assert.Equal(kv.Key, ((INanoprocError)e).Kind, "kind of " + kv.Value.Name);
                var isLimit = kv.Key == ErrorKind.MemoryLimit || kv.Key == ErrorKind.OutputLimit || kv.Key == ErrorKind.TimeLimit || kv.Key == ErrorKind.FuelLimit;
                Assert.Equal(isLimit, e is LimitExceededException, "limit: " + kv.Key);
                Assert.Equal(kv.Key != ErrorKind.Cancelled, e is NanoprocException, "NanoprocException: " + kv.Key);
                Assert.Equal(kv.Key == ErrorKind.Cancelled, e is OperationCanceledException, "OperationCanceledException: " + kv.Key);
            }
        }
    }
}
