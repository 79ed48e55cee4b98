package dev.nanoproc;

/** The guest ran out of fuel (its instruction budget). */
public final class FuelLimitException extends LimitExceededException {
    private static final long serialVersionUID = 1L;

    /**
     * Makes one; nanoproc makes these, hosts normally only catch them.
     *
     * @param exitCode the CLI's exit code
     * @param message the whole line, {@code "kind: detail"}
     * @param detail the message without its prefix
     */
    public FuelLimitException(int exitCode, String message, String detail) {
        super(ErrorKind.FUEL_LIMIT, exitCode, message, detail);
    }
}
