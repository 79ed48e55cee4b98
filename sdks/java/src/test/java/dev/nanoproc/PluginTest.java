package dev.nanoproc;

import static dev.nanoproc.Fixtures.*;
import static org.junit.jupiter.api.Assertions.*;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Plugins: calls, fresh sandboxes and kept instances, config, limits, audit. */
class PluginTest {
    @Test
    void echoNoopFailTrapLog() throws Exception {
        try (Plugin p = pluginOf("echo.wasm").build()) {
            byte[] in = {'h', 'i', 0, (byte) 0xff};
            assertArrayEquals(in, p.call("echo", in));
            assertEquals(0, p.call("noop", bytes("ignored")).length);
            assertEquals(0, p.call("echo", null).length);
            PluginException fail = assertKind(PluginException.class, ErrorKind.PLUGIN, () -> p.call("fail", null));
            assertTrue(fail.getMessage().contains("failing on purpose"), fail.getMessage());
            TrapException trap = assertKind(TrapException.class, ErrorKind.TRAP, () -> p.call("trap", null));
            assertEquals(123, trap.exitCode());
            p.call("log", bytes("a log line"));
            NanoprocException missing = assertThrows(NanoprocException.class, () -> p.call("no_such_function", null));
            assertTrue(missing.getMessage().contains("no_such_function"), missing.getMessage());
            List<String> fns = p.functions();
            assertTrue(fns.containsAll(List.of("echo", "noop", "fail", "trap", "spin", "grow")), fns.toString());
            assertFalse(p.isComponent());
        }
    }

    @Test
    void countVowelsWithConfig() throws Exception {
        try (Plugin p = pluginOf("count_vowels.wasm").build();
             Plugin q = pluginOf("count_vowels.wasm").config("vowels", "lW").build()) {
            assertEquals("{\"count\":3,\"total\":12,\"vowels\":\"aeiouAEIOU\"}", text(p.call("count_vowels", bytes("Hello, World"))));
            assertEquals("{\"count\":4,\"total\":12,\"vowels\":\"lW\"}", text(q.call("count_vowels", bytes("Hello, World"))));
        }
    }

    @Test
    void freshCallsShareNothingInstancesKeepState() throws Exception {
        try (Plugin p = Plugin.builder(ENGINE).wasmBytes(bytes(COUNTER_WAT)).name("counter").build()) {
            for (int i = 0; i < 3; i++) {
                assertEquals(1, le32(p.call("count", null)), "every fresh call starts from scratch");
            }
            try (Instance inst = p.instance(); Instance other = p.instance()) {
                for (int i = 1; i <= 3; i++) {
                    assertEquals(i, le32(inst.call("count", null)));
                }
                // A trap replaces the sandbox with a fresh one on the next call.
                assertKind(TrapException.class, ErrorKind.TRAP, () -> inst.call("trap", null));
                assertEquals(1, le32(inst.call("count", null)));
                assertEquals(1, le32(other.call("count", null)), "instances share nothing");
            }
        }
    }

    @Test
    void instanceRecoversAfterLimits() throws Exception {
        try (Plugin p = pluginOf("echo.wasm").policy(Policy.builder().maxMemory(16 << 20).build()).build();
             Instance inst = p.instance()) {
            assertKind(MemoryLimitException.class, ErrorKind.MEMORY_LIMIT, () -> inst.call("grow", null));
            assertKind(TimeLimitException.class, ErrorKind.TIME_LIMIT,
                () -> inst.call("spin", null, CallOptions.none().timeout(Duration.ofMillis(50))));
            assertEquals("still here", text(inst.call("echo", bytes("still here"))));
        }
    }

    @Test
    void limitsOnPluginCalls() throws Exception {
        try (Plugin p = pluginOf("echo.wasm").policy(Policy.builder().maxMemory(16 << 20).build()).build()) {
            TimeLimitException t = assertKind(TimeLimitException.class, ErrorKind.TIME_LIMIT,
                () -> p.call("spin", null, CallOptions.none().timeout(Duration.ofMillis(50))));
            assertEquals(124, t.exitCode());
            MemoryLimitException m = assertKind(MemoryLimitException.class, ErrorKind.MEMORY_LIMIT, () -> p.call("grow", null));
            assertEquals(121, m.exitCode());
            assertKind(MemoryLimitException.class, ErrorKind.MEMORY_LIMIT,
                () -> p.call("grow", null, CallOptions.none().maxMemory(8 << 20)));
        }
        // The policy's timeout.
        try (Plugin p = pluginOf("echo.wasm").policy(Policy.builder().timeout(Duration.ofMillis(50)).build()).build()) {
            assertKind(TimeLimitException.class, ErrorKind.TIME_LIMIT, () -> p.call("spin", null));
        }
        // Fuel: from the policy, and per call.
        try (Plugin p = Plugin.builder(FUEL_ENGINE).wasmFile(plugin("echo.wasm")).policy(Policy.builder().fuel(2_000_000).build()).build();
             Plugin q = Plugin.builder(FUEL_ENGINE).wasmFile(plugin("echo.wasm")).build()) {
            FuelLimitException f = assertKind(FuelLimitException.class, ErrorKind.FUEL_LIMIT, () -> p.call("spin", null));
            assertEquals(124, f.exitCode());
            assertEquals("enough fuel", text(p.call("echo", bytes("enough fuel"))));
            assertKind(FuelLimitException.class, ErrorKind.FUEL_LIMIT, () -> q.call("spin", null, CallOptions.none().fuel(1_000_000)));
        }
    }

    @Test
    void perCallTimeoutTightensThePolicy() throws Exception {
        // A per-call timeout is this call's limit (the library's rule: it takes the policy's
        // place for the call), so a short one stops a call the policy would let run for minutes.
        try (Plugin p = pluginOf("echo.wasm").policy(Policy.builder().timeout(Duration.ofMinutes(10)).build()).build()) {
            assertKind(TimeLimitException.class, ErrorKind.TIME_LIMIT,
                () -> p.call("spin", null, CallOptions.none().timeout(Duration.ofMillis(50))));
            assertEquals("still fine", text(p.call("echo", bytes("still fine"))));
        }
    }

    @Test
    void invalidModuleAndPolicy() {
        assertKind(InvalidModuleException.class, ErrorKind.INVALID_MODULE,
            () -> Plugin.builder(ENGINE).wasmBytes(bytes("not wasm")).build().close());
        // A core module without the plugin ABI's exports is not a plugin.
        assertKind(InvalidModuleException.class, ErrorKind.INVALID_MODULE,
            () -> Plugin.builder(ENGINE).wasmBytes(bytes("(module)")).build().close());
        // A fuel budget on an engine without fuel metering.
        assertKind(PolicyException.class, ErrorKind.INVALID_POLICY,
            () -> pluginOf("echo.wasm").policy(Policy.builder().fuel(10).build()).build().close());
        assertKind(HostIoException.class, ErrorKind.IO, () -> pluginOf("no-such.wasm").build().close());
        assertThrows(IllegalStateException.class, () -> Plugin.builder(ENGINE).build(), "no code");
    }

    @Test
    void auditEventsOfCallsAndLimits() throws Exception {
        List<AuditEvent> streamed = Collections.synchronizedList(new ArrayList<>());
        try (Plugin p = pluginOf("echo.wasm").policy(Policy.builder().maxMemory(16 << 20).build())
                .auditListener(streamed::add).build()) {
            assertThrows(MemoryLimitException.class, () -> p.call("grow", null));
            AuditTrail trail = p.takeAudit();
            assertEquals(0, trail.dropped());
            AuditEvent limit = trail.events().stream().filter(e -> e.what().equals("limit.memory")).findFirst().orElseThrow();
            assertTrue(limit.denied());
            assertTrue(limit.time().toEpochMilli() > 0);
            assertFalse(limit.rule().isEmpty());
            assertTrue(streamed.stream().anyMatch(e -> e.what().equals("limit.memory")), streamed.toString());
            assertTrue(p.takeAudit().events().isEmpty(), "a take empties the store");
        }
    }

    @Test
    void auditKeepDropsOldEvents() throws Exception {
        try (Plugin p = pluginOf("call_host.wasm").auditKeep(1)
                .policy(Policy.builder().allowHostFunction("host::greet").build())
                .hostFunction("host::greet", in -> in).build()) {
            for (int i = 0; i < 3; i++) {
                p.call("call_host", null);
            }
            AuditTrail trail = p.takeAudit();
            assertEquals(1, trail.events().size());
            assertTrue(trail.dropped() > 0);
        }
    }

    @Test
    void auditListenerExceptionsDoNotFailTheCall() throws Exception {
        Thread.UncaughtExceptionHandler old = Thread.currentThread().getUncaughtExceptionHandler();
        List<Throwable> seen = Collections.synchronizedList(new ArrayList<>());
        Thread.currentThread().setUncaughtExceptionHandler((t, e) -> seen.add(e));
        try (Plugin p = pluginOf("echo.wasm").policy(Policy.builder().maxMemory(16 << 20).build())
                .auditListener(e -> {
                    throw new IllegalStateException("listener bug");
                }).build()) {
            assertThrows(MemoryLimitException.class, () -> p.call("grow", null));
            assertEquals("ok", text(p.call("echo", bytes("ok"))));
        } finally {
            Thread.currentThread().setUncaughtExceptionHandler(old);
        }
        assertFalse(seen.isEmpty());
        assertEquals("listener bug", seen.get(0).getMessage());
    }
}
