package dev.nanoproc;

/**
 * The guest hit one of its four resource limits: {@link MemoryLimitException},
 * {@link OutputLimitException}, {@link TimeLimitException} or {@link FuelLimitException}.
 */
public abstract class LimitExceededException extends NanoprocException {
    private static final long serialVersionUID = 1L;

    /**
     * Makes one.
     *
     * @param kind one of the four limit kinds
     * @param exitCode the CLI's exit code
     * @param message the whole line
     * @param detail the message without its prefix
     */
    protected LimitExceededException(ErrorKind kind, int exitCode, String message, String detail) {
        super(kind, exitCode, message, detail);
    }
}
