package dev.nanoproc;

/** The guest hit its memory budget (all memories and tables together). */
public final class MemoryLimitException extends LimitExceededException {
    private static final long serialVersionUID = 1L;

    /**
     * Makes one; nanoproc makes these, hosts normally only catch them.
     *
     * @param exitCode the CLI's exit code
     * @param message the whole line, {@code "kind: detail"}
     * @param detail the message without its prefix
     */
    public MemoryLimitException(int exitCode, String message, String detail) {
        super(ErrorKind.MEMORY_LIMIT, exitCode, message, detail);
    }
}
