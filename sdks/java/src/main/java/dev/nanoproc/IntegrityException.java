package dev.nanoproc;

/**
 * The binary failed its policy's integrity check, before it was compiled: not signed, signed by
 * no trusted key ({@link Policy.Builder#trustKey}), modified after it was signed, or a sha256
 * the policy does not pin ({@link Policy.Builder#pinSha256}); or a run receipt did not verify
 * ({@link Receipts#verify}). Exit code 126.
 */
public class IntegrityException extends NanoprocException {
    private static final long serialVersionUID = 1L;

    /**
     * Makes one; nanoproc makes these, hosts normally only catch them.
     *
     * @param exitCode the CLI's exit code
     * @param message the whole line, {@code "integrity: detail"}
     * @param detail the message without its prefix
     */
    public IntegrityException(int exitCode, String message, String detail) {
        super(ErrorKind.INTEGRITY, exitCode, message, detail);
    }
}
