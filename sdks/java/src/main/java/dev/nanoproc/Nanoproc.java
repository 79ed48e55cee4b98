package dev.nanoproc;

import java.nio.file.Path;
import java.util.Objects;

/**
 * Runs WASI programs (preview 1 modules and preview 2 components) in fresh sandboxes, and
 * reports the library's version.
 *
 * <pre>{@code
 * try (Engine engine = Engine.create()) {
 *     Outcome out = Nanoproc.run(engine, Path.of("hello.wasm"),
 *         Policy.builder().stdout(OutputMode.CAPTURE).build());
 *     System.out.print(out.stdoutText());
 * }
 * }</pre>
 */
public final class Nanoproc {
    private Nanoproc() {}

    /** nanoproc's version ({@code 0.1.0}). */
    public static String version() {
        return Native.version();
    }

    /**
     * How many native objects nanoproc has handed out and not yet had freed (for leak checks).
     */
    public static long liveObjects() {
        return Native.liveObjects();
    }

    /**
     * Runs the program at {@code wasm} once in a fresh sandbox under {@code policy} (its args,
     * stdin and output modes apply). A program that runs gives an {@link Outcome}, also when a
     * limit stopped it or it trapped ({@link Outcome#error()}); exceptions are for what kept it
     * from starting: {@link InvalidModuleException}, {@link DeniedException} (an import the
     * policy does not grant), {@link PolicyException}, {@link HostIoException},
     * {@link IntegrityException} (the policy's trusted keys or pinned digests refuse it).
     */
    public static Outcome run(Engine engine, Path wasm, Policy policy) throws NanoprocException {
        return run(engine, wasm, policy, null);
    }

    /**
     * Runs the program at {@code wasm} like {@link #run(Engine, Path, Policy)}; with
     * {@code receiptKey}, an Ed25519 secret key file (from {@code nanoproc keygen}), the outcome
     * also carries a run receipt signed with it ({@link Outcome#receipt()}; null: none). A key
     * that cannot be used is the C ABI's error for it, thrown after the run.
     */
    public static Outcome run(Engine engine, Path wasm, Policy policy, Path receiptKey) throws NanoprocException {
        Objects.requireNonNull(engine, "engine");
        String path = Objects.requireNonNull(wasm, "wasm").toString();
        String key = receiptKey == null ? null : receiptKey.toString();
        Policy p = policy == null ? Policy.defaults() : policy;
        return p.withNative(ph -> {
            long out = Native.runFile(engine.handle(), path, ph);
            try {
                return Outcome.fromNative(out, key);
            } finally {
                Native.outcomeFree(out);
            }
        });
    }

    /** Runs the Wasm bytes {@code wasm} (named {@code name} in messages), like {@link #run(Engine, Path, Policy)}. */
    public static Outcome run(Engine engine, byte[] wasm, String name, Policy policy) throws NanoprocException {
        return run(engine, wasm, name, policy, null);
    }

    /** Runs the Wasm bytes {@code wasm} with a receipt, like {@link #run(Engine, Path, Policy, Path)}. */
    public static Outcome run(Engine engine, byte[] wasm, String name, Policy policy, Path receiptKey)
            throws NanoprocException {
        Objects.requireNonNull(engine, "engine");
        Objects.requireNonNull(wasm, "wasm");
        String key = receiptKey == null ? null : receiptKey.toString();
        Policy p = policy == null ? Policy.defaults() : policy;
        return p.withNative(ph -> {
            long out = Native.runBytes(engine.handle(), wasm, name, ph);
            try {
                return Outcome.fromNative(out, key);
            } finally {
                Native.outcomeFree(out);
            }
        });
    }
}
