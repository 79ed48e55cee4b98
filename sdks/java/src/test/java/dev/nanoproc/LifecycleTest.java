package dev.nanoproc;

import static dev.nanoproc.Fixtures.*;
import static org.junit.jupiter.api.Assertions.*;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/** Handles: close semantics, use after close, leaks, threads. */
class LifecycleTest {
    @Test
    void closeIsIdempotentAndUseAfterCloseThrows() throws Exception {
        Engine engine = Engine.builder().pooling(false).compileCache(false).build();
        Plugin p = Plugin.builder(engine).wasmFile(plugin("echo.wasm")).build();
        Instance inst = p.instance();
        CancelToken token = new CancelToken();
        for (AutoCloseable c : new AutoCloseable[] {inst, p, engine, token}) {
            c.close();
            c.close();
        }
        assertTrue(engine.isClosed() && p.isClosed() && inst.isClosed() && token.isClosed());
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> p.call("echo", null));
        assertEquals("this plugin is closed", e.getMessage());
        assertThrows(IllegalStateException.class, () -> inst.call("echo", null));
        assertThrows(IllegalStateException.class, p::instance);
        assertThrows(IllegalStateException.class, p::takeAudit);
        assertThrows(IllegalStateException.class, token::cancel);
        assertThrows(IllegalStateException.class, () -> Plugin.builder(engine).wasmFile(plugin("echo.wasm")).build());
        assertThrows(IllegalStateException.class, () -> Nanoproc.run(engine, guest("hello.wasm"), null));
        assertThrows(IllegalStateException.class, () -> p.call("echo", null, CallOptions.none().cancel(token)));
    }

    @Test
    void objectsOutliveWhatMadeThem() throws Exception {
        Engine engine = Engine.create();
        Plugin p = Plugin.builder(engine).wasmFile(plugin("echo.wasm")).build();
        engine.close(); // plugins keep what they need
        Instance inst = p.instance();
        p.close(); // instances stay usable until closed
        assertEquals("still", text(inst.call("echo", bytes("still"))));
        inst.close();
    }

    @Test
    void nothingLeaks() throws Exception {
        // Warm up whatever is made once, then count.
        try (Plugin p = pluginOf("echo.wasm").build()) {
            p.call("echo", bytes("x"));
        }
        long before = Nanoproc.liveObjects();
        for (int i = 0; i < 20; i++) {
            try (Plugin p = pluginOf("call_host.wasm").policy(HostFunctionTest.GREET)
                    .hostFunction("host::greet", HostFunctionTest::greet).auditListener(e -> {}).build();
                 Instance inst = p.instance();
                 CancelToken token = new CancelToken()) {
                p.call("call_host", bytes("a"), CallOptions.none().cancel(token));
                inst.call("call_host", bytes("b"));
                assertThrows(HostFunctionException.class, () -> p.call("call_host", bytes("mallory")));
                assertThrows(NanoprocException.class, () -> p.call("no_such", null));
                p.takeAudit();
                p.functions();
            }
            Nanoproc.run(ENGINE, guest("hello.wasm"), Policy.builder().stdout(OutputMode.CAPTURE).build());
            assertThrows(InvalidModuleException.class, () -> Plugin.builder(ENGINE).wasmBytes(bytes("junk")).build());
            assertThrows(PolicyException.class, () -> Policy.builder().allowNet("bad").build());
        }
        assertEquals(before, Nanoproc.liveObjects());
    }

    @Test
    void concurrentCallsFromManyThreads() throws Exception {
        int threads = 8;
        int calls = 200;
        ExecutorService ex = Executors.newFixedThreadPool(threads);
        try (Plugin p = pluginOf("call_host.wasm").policy(HostFunctionTest.GREET)
                .hostFunction("host::greet", HostFunctionTest::greet).build();
             Plugin echo = pluginOf("echo.wasm").build()) {
            List<Future<?>> fs = new ArrayList<>();
            for (int t = 0; t < threads; t++) {
                int id = t;
                fs.add(ex.submit(() -> {
                    try (Instance inst = echo.instance()) {
                        for (int i = 0; i < calls; i++) {
                            String who = id + "-" + i;
                            assertEquals("plugin got: hello, " + who, text(p.call("call_host", bytes(who))));
                            byte[] in = new byte[i * 97];
                            Arrays.fill(in, (byte) id);
                            assertArrayEquals(in, inst.call("echo", in));
                            assertArrayEquals(in, echo.call("echo", in));
                        }
                    }
                    return null;
                }));
            }
            for (Future<?> f : fs) {
                f.get();
            }
        } finally {
            ex.shutdownNow();
        }
    }

    @Test
    void concurrentUseOfOneInstanceIsRefused() throws Exception {
        CountDownLatch entered = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        try (Plugin p = pluginOf("call_host.wasm").policy(HostFunctionTest.GREET).hostFunction("host::greet", in -> {
                entered.countDown();
                release.await();
                return in;
            }).build();
             Instance inst = p.instance()) {
            AtomicReference<Throwable> failure = new AtomicReference<>();
            Thread t = new Thread(() -> {
                try {
                    inst.call("call_host", bytes("first"));
                } catch (Throwable e) {
                    failure.set(e);
                }
            });
            t.start();
            entered.await();
            InvalidArgumentException busy = assertThrows(InvalidArgumentException.class, () -> inst.call("call_host", bytes("second")));
            checkKind(busy, ErrorKind.INVALID_ARGUMENT);
            assertTrue(busy.getMessage().contains("busy"), busy.getMessage());
            release.countDown();
            t.join();
            assertNull(failure.get());
        }
    }

    @Test
    void closeDuringACallIsSafe() throws Exception {
        CountDownLatch entered = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        Plugin p = pluginOf("call_host.wasm").policy(HostFunctionTest.GREET).hostFunction("host::greet", in -> {
            entered.countDown();
            release.await();
            return in;
        }).build();
        AtomicReference<Object> result = new AtomicReference<>();
        Thread t = new Thread(() -> {
            try {
                result.set(text(p.call("call_host", bytes("x"))));
            } catch (Throwable e) {
                result.set(e);
            }
        });
        t.start();
        entered.await();
        p.close(); // the running call finishes first
        release.countDown();
        t.join();
        assertEquals("plugin got: x", result.get());
        assertThrows(IllegalStateException.class, () -> p.call("call_host", null));
    }
}
