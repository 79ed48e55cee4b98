package dev.nanoproc;

/**
 * A bug in nanoproc or its Java binding, or an unexpected engine failure (a caught panic);
 * exit code 127.
 * Unchecked: nothing the host or the guest did, and nothing to handle but to report it.
 */
public final class InternalException extends RuntimeException implements NanoprocError {
    private static final long serialVersionUID = 1L;

    private final int exitCode;
    private final String detail;

    /**
     * Makes one with the C ABI's exit code for internal errors, 127 (thrown by the JNI binding
     * with just a message).
     *
     * @param message the whole line, {@code "internal error: detail"}
     */
    public InternalException(String message) {
        this(127, message, message.startsWith("internal error: ") ? message.substring(16) : message);
    }

    /**
     * Makes one.
     *
     * @param exitCode the CLI's exit code
     * @param message the whole line
     * @param detail the message without its prefix
     */
    public InternalException(int exitCode, String message, String detail) {
        super(message);
        this.exitCode = exitCode;
        this.detail = detail == null ? "" : detail;
    }

    @Override
    public ErrorKind kind() {
        return ErrorKind.INTERNAL;
    }

    @Override
    public int exitCode() {
        return exitCode;
    }

    @Override
    public String detail() {
        return detail;
    }
}
