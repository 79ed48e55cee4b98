package dev.nanoproc;

/**
 * The caller broke the API's rules: a host-function name that is not {@code namespace::name},
 * a second concurrent call on one {@link Instance}, a stale handle. Unchecked: a bug in the
 * host, not something the guest can cause.
 */
public final class InvalidArgumentException extends IllegalArgumentException implements NanoprocError {
    private static final long serialVersionUID = 1L;

    private final int exitCode;
    private final String detail;

    /**
     * Makes one.
     *
     * @param exitCode the CLI's exit code
     * @param message the whole line, {@code "invalid argument: detail"}
     * @param detail the message without its prefix
     */
    public InvalidArgumentException(int exitCode, String message, String detail) {
        super(message);
        this.exitCode = exitCode;
        this.detail = detail == null ? "" : detail;
    }

    @Override
    public ErrorKind kind() {
        return ErrorKind.INVALID_ARGUMENT;
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
