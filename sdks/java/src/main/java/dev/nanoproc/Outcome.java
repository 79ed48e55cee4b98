package dev.nanoproc;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Optional;

/**
 * How a WASI program's run ended: its exit code, what it wrote (when captured), what it used,
 * and the error that stopped it, if nanoproc stopped it (a limit, a trap). Immutable; all data
 * is copied out of nanoproc when the run ends.
 */
public final class Outcome {
    private final int exitCode;
    private final NanoprocException error;
    private final byte[] stdout;
    private final byte[] stderr;
    private final Usage usage;
    private final String json;
    private final byte[] receipt;

    private Outcome(int exitCode, NanoprocException error, byte[] stdout, byte[] stderr, Usage usage, String json,
            byte[] receipt) {
        this.exitCode = exitCode;
        this.error = error;
        this.stdout = stdout;
        this.stderr = stderr;
        this.usage = usage;
        this.json = json;
        this.receipt = receipt;
    }

    /**
     * Copies everything out of a native outcome (which the caller frees), with a run receipt
     * signed by the secret key at {@code receiptKey} unless it is null.
     */
    static Outcome fromNative(long h, String receiptKey) throws NanoprocException {
        Throwable err = Native.outcomeError(h);
        if (err instanceof RuntimeException) {
            throw (RuntimeException) err;
        }
        long[] u = Native.outcomeUsage(h);
        Usage usage = new Usage(u[0] != 0, u[1], u[2], java.time.Duration.ofNanos(u[3] * 1000), u[4], u[5], u[6]);
        return new Outcome(Native.outcomeExitCode(h), (NanoprocException) err, orEmpty(Native.outcomeOutput(h, false)),
            orEmpty(Native.outcomeOutput(h, true)), usage, Native.outcomeJson(h),
            receiptKey == null ? null : Native.outcomeReceipt(h, receiptKey));
    }

    private static byte[] orEmpty(byte[] b) {
        return b == null ? new byte[0] : b;
    }

    /** The exit code: the guest's own status, or nanoproc's code for what stopped it (121 memory, 122 output, 123 trap, 124 time or fuel). */
    public int exitCode() {
        return exitCode;
    }

    /** Whether the guest exited on its own with status 0. */
    public boolean success() {
        return error == null && exitCode == 0;
    }

    /** Why nanoproc stopped the guest; empty if it exited on its own (with any status). */
    public Optional<NanoprocException> error() {
        return Optional.ofNullable(error);
    }

    /** Throws the error that stopped the guest, if any. */
    public Outcome check() throws NanoprocException {
        if (error != null) {
            throw error;
        }
        return this;
    }

    /** The captured stdout (empty unless the policy captures it), a copy. */
    public byte[] stdout() {
        return stdout.clone();
    }

    /** The captured stderr (empty unless the policy captures it), a copy. */
    public byte[] stderr() {
        return stderr.clone();
    }

    /** The captured stdout as UTF-8 text. */
    public String stdoutText() {
        return new String(stdout, StandardCharsets.UTF_8);
    }

    /** The captured stderr as UTF-8 text. */
    public String stderrText() {
        return new String(stderr, StandardCharsets.UTF_8);
    }

    /** What the run used. */
    public Usage usage() {
        return usage;
    }

    /** The whole outcome as JSON (what {@code nanoproc run --json} prints: status, usage, audit events, denials). */
    public String json() {
        return json;
    }

    /**
     * The signed run receipt (UTF-8 JSON, docs/integrity.md: the binary's sha256 and signers,
     * the policy, limits, capabilities used, denials, the outcome, times) when the run was given
     * a receipt key ({@link Nanoproc#run(Engine, Path, Policy, Path)}), a copy; null otherwise.
     * Check it with {@link Receipts#verify} or {@code nanoproc verify-receipt}.
     */
    public byte[] receipt() {
        return receipt == null ? null : receipt.clone();
    }

    @Override
    public String toString() {
        return "Outcome[exitCode=" + exitCode + (error == null ? "" : ", error=" + error.getMessage()) + "]";
    }
}
