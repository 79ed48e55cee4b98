package dev.nanoproc.examples;

import dev.nanoproc.AuditEvent;
import dev.nanoproc.CallOptions;
import dev.nanoproc.CancelToken;
import dev.nanoproc.DeniedException;
import dev.nanoproc.Engine;
import dev.nanoproc.NanoprocException;
import dev.nanoproc.Plugin;
import dev.nanoproc.Policy;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * Isolate: every call of untrusted code in a fresh sandbox, with a host callback in Java.
 *
 * <pre>
 *   java -Dnanoproc.library.path=$CARGO_TARGET_DIR/release -cp sdks/java/target/classes:sdks/java/target/test-classes \
 *       dev.nanoproc.examples.Isolate
 * </pre>
 *
 * <p>call_host.wasm calls back into the host ({@code host::greet}, a Java lambda below, granted
 * by the policy); echo.wasm has functions that trap, spin forever and eat memory. Each call runs
 * in its own sandbox with its own memory and limits, so a call that misbehaves is stopped and
 * leaves nothing behind for the next one; the audit trail records what was allowed and denied.
 */
public final class Isolate {
    private Isolate() {}

    /** A call that may fail. */
    @FunctionalInterface
    private interface Call {
        byte[] run() throws Exception;
    }

    public static void main(String[] args) throws Exception {
        run(System.out);
    }

    private static void attempt(PrintStream out, String label, Call call) {
        try {
            out.printf("%-30s -> \"%s\"%n", label, new String(call.run(), StandardCharsets.UTF_8));
        } catch (Exception e) {
            out.printf("%-30s -> %s: %s%n", label, e.getClass().getSimpleName(), e.getMessage());
        }
    }

    static void run(PrintStream out) throws NanoprocException, InterruptedException {
        // Pooling: a fresh sandbox per call costs microseconds.
        try (Engine engine = Engine.builder().pooling(true).build()) {
            Policy greeterPolicy = Policy.builder()
                .allowHostFunction("host::greet")
                .maxMemory(16 << 20)
                .timeout(Duration.ofSeconds(1))
                .build();
            // The host's side: runs in this JVM, on the thread that called the plugin.
            try (Plugin greeter = Plugin.builder(engine)
                    .wasmFile(Paths.plugin("call_host.wasm"))
                    .policy(greeterPolicy)
                    .hostFunction("host", "greet", name -> {
                        String who = new String(name, StandardCharsets.UTF_8);
                        if (who.equals("mallory")) {
                            throw new SecurityException("mallory is not welcome");
                        }
                        return ("hello, " + who).getBytes(StandardCharsets.UTF_8);
                    })
                    .build()) {
                for (String name : new String[] {"alice", "mallory", "bob"}) {
                    attempt(out, "call_host(" + name + ")", () -> greeter.call("call_host", name.getBytes(StandardCharsets.UTF_8)));
                }
                out.println("audit trail of call_host:");
                for (AuditEvent e : greeter.takeAudit().events()) {
                    out.printf("  %-7s %-8s %s: %s%n", e.decision(), e.what(), e.target(), e.rule());
                }
            }

            try (Plugin echo = Plugin.builder(engine)
                    .wasmFile(Paths.plugin("echo.wasm"))
                    .policy(Policy.builder().maxMemory(16 << 20).build())
                    .build()) {
                attempt(out, "echo(before)", () -> echo.call("echo", "before".getBytes(StandardCharsets.UTF_8)));
                attempt(out, "trap()", () -> echo.call("trap", null));
                attempt(out, "spin() with a 200 ms timeout",
                    () -> echo.call("spin", null, CallOptions.none().timeout(Duration.ofMillis(200))));
                attempt(out, "spin() until cancelled", () -> {
                    try (CancelToken token = new CancelToken()) {
                        // Another thread cancels the call after 100 ms: the guest is interrupted.
                        CompletableFuture.delayedExecutor(100, TimeUnit.MILLISECONDS).execute(token::cancel);
                        return echo.call("spin", null, CallOptions.none().cancel(token));
                    }
                });
                attempt(out, "grow() within 16 MiB", () -> echo.call("grow", null));
                attempt(out, "echo(after)", () -> echo.call("echo", "after".getBytes(StandardCharsets.UTF_8)));
                out.println("audit trail of echo:");
                for (AuditEvent e : echo.takeAudit().events()) {
                    out.printf("  %-7s %-13s %s%n", e.decision(), e.what(), e.target());
                }
            }

            // A plugin importing a host function its policy does not grant never loads.
            try {
                Plugin.builder(engine)
                    .wasmFile(Paths.plugin("ungranted_host.wasm"))
                    .hostFunction("host", "launch_missiles", in -> null)
                    .build()
                    .close();
                throw new IllegalStateException("ungranted_host.wasm loaded");
            } catch (DeniedException e) {
                out.println("ungranted_host.wasm refused at load: " + e.getMessage());
            }
        }
    }
}
