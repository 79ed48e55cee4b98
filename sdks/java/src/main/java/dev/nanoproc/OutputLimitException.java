package dev.nanoproc;

/** The guest wrote more than its output limit. */
public final class OutputLimitException extends LimitExceededException {
    private static final long serialVersionUID = 1L;

    /**
     * Makes one; nanoproc makes these, hosts normally only catch them.
     *
     * @param exitCode the CLI's exit code
     * @param message the whole line, {@code "kind: detail"}
     * @param detail the message without its prefix
     */
    public OutputLimitException(int exitCode, String message, String detail) {
        super(ErrorKind.OUTPUT_LIMIT, exitCode, message, detail);
    }
}
