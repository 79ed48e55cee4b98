package dev.nanoproc;

import static dev.nanoproc.Fixtures.*;
import static org.junit.jupiter.api.Assertions.*;

import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** Cancellation: tokens, callAsync futures, Plugin.cancelAll. */
class CancelTest {
    /** A plugin whose host function signals that the call is running, then waits until it should stop. */
    static Plugin blocking(CountDownLatch entered) throws NanoprocException {
        return pluginOf("call_host.wasm").policy(HostFunctionTest.GREET).hostFunction("host", "greet", (HostCallFunction) (call, in) -> {
            entered.countDown();
            long guard = System.nanoTime() + TimeUnit.MINUTES.toNanos(1); // a guard, not an assertion
            while (!call.shouldStop() && System.nanoTime() < guard) {
                Thread.sleep(1);
            }
            return in;
        }).build();
    }

    @Test
    void tokenCancelsItsCallAndStaysCancelled() throws Exception {
        CountDownLatch entered = new CountDownLatch(1);
        try (Plugin p = blocking(entered); CancelToken token = new CancelToken()) {
            CompletableFuture<Void> cancel = CompletableFuture.runAsync(() -> {
                try {
                    entered.await();
                } catch (InterruptedException e) {
                    throw new IllegalStateException(e);
                }
                token.cancel();
            });
            assertKind(CancelledException.class, ErrorKind.CANCELLED, () -> p.call("call_host", null, CallOptions.none().cancel(token)));
            cancel.get();
            // A cancelled token cancels later calls before they start; calls without it run.
            try (Plugin echo = pluginOf("echo.wasm").build()) {
                assertThrows(CancelledException.class, () -> echo.call("echo", bytes("x"), CallOptions.none().cancel(token)));
                assertEquals("x", text(echo.call("echo", bytes("x"))));
            }
        }
    }

    @Test
    void aCancelledTokenDoesNotStartACall() throws Exception {
        try (Plugin p = Plugin.builder(ENGINE).wasmBytes(bytes(COUNTER_WAT)).build();
             Instance inst = p.instance();
             CancelToken token = new CancelToken()) {
            token.cancel();
            CallOptions cancelled = CallOptions.none().cancel(token);
            CancelledException e = assertKind(CancelledException.class, ErrorKind.CANCELLED, () -> inst.call("count", null, cancelled));
            assertEquals(124, e.exitCode());
            assertKind(CancelledException.class, ErrorKind.CANCELLED, () -> p.call("count", null, cancelled));
            assertEquals(1, le32(inst.call("count", null)), "the cancelled call ran");
        }
    }

    @Test
    void cancellingTheFutureInterruptsTheGuest() throws Exception {
        ExecutorService ex = Executors.newSingleThreadExecutor();
        try (Plugin p = pluginOf("echo.wasm").build(); Instance inst = p.instance()) {
            CountDownLatch started = new CountDownLatch(1);
            CompletableFuture<byte[]> f = inst.callAsync("spin", null, CallOptions.none(), task -> ex.execute(() -> {
                started.countDown();
                task.run();
            }));
            started.await();
            Thread.sleep(50); // most likely spinning by now; a token cancelled earlier stops it at its start
            assertTrue(f.cancel(true));
            assertTrue(f.isCancelled());
            assertThrows(CancellationException.class, f::get);
            ex.shutdown();
            // The call's thread finishes only if the spin was interrupted.
            assertTrue(ex.awaitTermination(1, TimeUnit.MINUTES), "the guest kept spinning");
            assertEquals("after", text(inst.call("echo", bytes("after"))));
        } finally {
            ex.shutdownNow();
        }
    }

    @Test
    void callAsyncCompletesWithResultsAndErrors() throws Exception {
        try (Plugin p = pluginOf("echo.wasm").build()) {
            assertEquals("async", text(p.callAsync("echo", bytes("async")).get()));
            ExecutionException e = assertThrows(ExecutionException.class, () -> p.callAsync("trap", null).get());
            assertInstanceOf(TrapException.class, e.getCause());
            checkKind(e.getCause(), ErrorKind.TRAP);
        }
    }

    @Test
    void callAsyncWithTheOptionsToken() throws Exception {
        try (Plugin p = pluginOf("echo.wasm").build(); CancelToken token = new CancelToken()) {
            token.cancel();
            ExecutionException e = assertThrows(ExecutionException.class,
                () -> p.callAsync("spin", null, CallOptions.none().cancel(token), null).get());
            assertInstanceOf(CancelledException.class, e.getCause());
        }
    }

    @Test
    void cancelAllStopsRunningCalls() throws Exception {
        CountDownLatch entered = new CountDownLatch(1);
        try (Plugin p = blocking(entered)) {
            CompletableFuture<byte[]> f = p.callAsync("call_host", null);
            entered.await();
            p.cancelAll();
            ExecutionException e = assertThrows(ExecutionException.class, f::get);
            assertInstanceOf(CancelledException.class, e.getCause());
            // Later calls run normally (the host function returns at once: the call is not cancelled).
            try (Plugin q = pluginOf("echo.wasm").build()) {
                q.cancelAll();
                assertEquals("fine", text(q.call("echo", bytes("fine"))));
            }
        }
    }
}
