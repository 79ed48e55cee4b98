package dev.nanoproc;

/** The guest ran longer than its wall-clock limit. */
public final class TimeLimitException extends LimitExceededException {
    private static final long serialVersionUID = 1L;

    /**
     * Makes one; nanoproc makes these, hosts normally only catch them.
     *
     * @param exitCode the CLI's exit code
     * @param message the whole line, {@code "kind: detail"}
     * @param detail the message without its prefix
     */
    public TimeLimitException(int exitCode, String message, String detail) {
        super(ErrorKind.TIME_LIMIT, exitCode, message, detail);
    }
}
