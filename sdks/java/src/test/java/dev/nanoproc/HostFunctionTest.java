package dev.nanoproc;

import static dev.nanoproc.Fixtures.*;
import static org.junit.jupiter.api.Assertions.*;

import java.io.IOException;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/** Host functions as Java lambdas: granted, denied, failing, re-entering, cancelled. */
class HostFunctionTest {
    static final Policy GREET = policy("host::greet");

    static Policy policy(String grant) {
        try {
            return Policy.builder().allowHostFunction(grant).build();
        } catch (NanoprocException e) {
            throw new IllegalStateException(e);
        }
    }

    static byte[] greet(byte[] name) throws IOException {
        String who = text(name);
        if (who.equals("mallory")) {
            throw new IOException("mallory is not welcome");
        }
        if (who.equals("unchecked")) {
            throw new IllegalStateException("an unchecked failure");
        }
        if (who.equals("error")) {
            throw new StackOverflowError("deep");
        }
        if (who.equals("null")) {
            return null;
        }
        return bytes("hello, " + who);
    }

    @Test
    void grantedHostFunctionIsCalled() throws Exception {
        AtomicReference<String> pluginName = new AtomicReference<>();
        try (Plugin p = pluginOf("call_host.wasm").name("greeter").policy(GREET)
                .hostFunction("host", "greet", (HostCallFunction) (call, in) -> {
                    pluginName.set(call.plugin());
                    return greet(in);
                }).build();
             Plugin wildcard = pluginOf("call_host.wasm").policy(policy("host::*")).hostFunction("host::greet", HostFunctionTest::greet).build()) {
            assertEquals("plugin got: hello, alice", text(p.call("call_host", bytes("alice"))));
            assertEquals("greeter", pluginName.get());
            assertEquals("plugin got: hello, bob", text(wildcard.call("call_host", bytes("bob"))));
            assertEquals("plugin got: ", text(wildcard.call("call_host", bytes("null"))), "null output is empty");
        }
    }

    @Test
    void ungrantedHostFunctionIsDeniedAtLoad() {
        DeniedException e = assertKind(DeniedException.class, ErrorKind.DENIED,
            () -> pluginOf("call_host.wasm").hostFunction("host::greet", HostFunctionTest::greet).build().close());
        assertTrue(e.getMessage().contains("host::greet"), e.getMessage());
        assertEquals(125, e.exitCode());
        assertKind(DeniedException.class, ErrorKind.DENIED, () -> pluginOf("call_host.wasm").policy(policy("host::other"))
            .hostFunction("host::greet", HostFunctionTest::greet).build().close());
        assertKind(DeniedException.class, ErrorKind.DENIED, () -> pluginOf("ungranted_host.wasm").build().close());
    }

    @Test
    void badNamesAreInvalidArguments() {
        Plugin.Builder b = pluginOf("call_host.wasm");
        InvalidArgumentException e = assertThrows(InvalidArgumentException.class, () -> b.hostFunction("greet", HostFunctionTest::greet));
        checkKind(e, ErrorKind.INVALID_ARGUMENT);
        assertThrows(InvalidArgumentException.class, () -> b.hostFunction("", "greet", (HostFunction) in -> in));
        assertThrows(InvalidArgumentException.class, () -> b.hostFunction("host", "", (HostFunction) in -> in));
    }

    @Test
    void throwingLambdasFailTheCallNotTheProcess() throws Exception {
        try (Plugin p = pluginOf("call_host.wasm").policy(GREET).hostFunction("host::greet", HostFunctionTest::greet).build();
             Instance inst = p.instance()) {
            HostFunctionException e = assertKind(HostFunctionException.class, ErrorKind.HOST_FUNCTION,
                () -> p.call("call_host", bytes("mallory")));
            assertTrue(e.getMessage().contains("mallory is not welcome"), e.getMessage());
            assertInstanceOf(IOException.class, e.getCause());
            assertEquals("mallory is not welcome", e.getCause().getMessage());

            e = assertThrows(HostFunctionException.class, () -> p.call("call_host", bytes("unchecked")));
            assertInstanceOf(IllegalStateException.class, e.getCause());
            e = assertThrows(HostFunctionException.class, () -> inst.call("call_host", bytes("error")));
            assertInstanceOf(StackOverflowError.class, e.getCause());

            // Nothing is left behind: the next calls work, fresh and in the instance.
            assertEquals("plugin got: hello, carol", text(p.call("call_host", bytes("carol"))));
            assertEquals("plugin got: hello, carol", text(inst.call("call_host", bytes("carol"))));
        }
    }

    @Test
    void hostFunctionCannotReenterItsInstance() throws Exception {
        AtomicReference<Instance> self = new AtomicReference<>();
        try (Plugin p = pluginOf("call_host.wasm").policy(GREET)
                .hostFunction("host::greet", in -> self.get().call("call_host", in)).build();
             Instance inst = p.instance()) {
            self.set(inst);
            HostFunctionException e = assertKind(HostFunctionException.class, ErrorKind.HOST_FUNCTION,
                () -> inst.call("call_host", bytes("x")));
            assertTrue(e.getMessage().contains("busy"), e.getMessage());
            assertInstanceOf(InvalidArgumentException.class, e.getCause());
        }
    }

    @Test
    void hostFunctionSeesCancellation() throws Exception {
        CountDownLatch entered = new CountDownLatch(1);
        HostCallFunction wait = (call, in) -> {
            entered.countDown();
            long guard = System.nanoTime() + Duration.ofMinutes(1).toNanos(); // a guard, not an assertion
            while (!call.shouldStop() && System.nanoTime() < guard) {
                Thread.sleep(1);
            }
            throw new IllegalStateException("stopped waiting");
        };
        try (Plugin p = pluginOf("call_host.wasm").policy(GREET).hostFunction("host", "greet", wait).build();
             CancelToken token = new CancelToken()) {
            Thread canceller = new Thread(() -> {
                try {
                    entered.await();
                    token.cancel();
                } catch (InterruptedException ignored) {
                    Thread.currentThread().interrupt();
                }
            });
            canceller.start();
            assertKind(CancelledException.class, ErrorKind.CANCELLED, () -> p.call("call_host", null, CallOptions.none().cancel(token)));
            canceller.join();
            assertTrue(token.isCancelled());
            // What the lambda threw does not outlive its (cancelled) call on this thread.
            assertNull(NanoprocErrors.fromNative(ErrorKind.HOST_FUNCTION.code(), 2, "host function error: x", "x").getCause());
        }
    }

    @Test
    void hostCallRemainingAndValidity() throws Exception {
        AtomicReference<Optional<Duration>> left = new AtomicReference<>();
        AtomicReference<HostCall> kept = new AtomicReference<>();
        try (Plugin p = pluginOf("call_host.wasm").policy(GREET).hostFunction("host", "greet", (HostCallFunction) (call, in) -> {
                left.set(call.remaining());
                kept.set(call);
                assertFalse(call.shouldStop());
                return in;
            }).build()) {
            p.call("call_host", null, CallOptions.none().timeout(Duration.ofHours(1)));
            Duration d = left.get().orElseThrow();
            assertTrue(!d.isNegative() && d.compareTo(Duration.ofHours(1)) <= 0, d.toString());
            p.call("call_host", null);
            assertTrue(left.get().isEmpty(), "no timeout: no deadline");
            // Once the host function returned, its HostCall is invalid (checked by nanoproc).
            assertTrue(kept.get().shouldStop());
            assertEquals("", kept.get().plugin());
            assertTrue(kept.get().remaining().isEmpty());
        }
    }
}
