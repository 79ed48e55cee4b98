package dev.nanoproc;

/** The call was cancelled by the host (a cancel token, {@link Plugin#cancelAll()}, a cancelled future). */
public class CancelledException extends NanoprocException {
    private static final long serialVersionUID = 1L;

    /**
     * Makes one; nanoproc makes these, hosts normally only catch them.
     *
     * @param exitCode the CLI's exit code
     * @param message the whole line, {@code "kind: detail"}
     * @param detail the message without its prefix
     */
    public CancelledException(int exitCode, String message, String detail) {
        super(ErrorKind.CANCELLED, exitCode, message, detail);
    }
}
