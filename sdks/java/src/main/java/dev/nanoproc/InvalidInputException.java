package dev.nanoproc;

/** A value for a typed call does not match its type. */
public class InvalidInputException extends NanoprocException {
    private static final long serialVersionUID = 1L;

    /**
     * Makes one; nanoproc makes these, hosts normally only catch them.
     *
     * @param exitCode the CLI's exit code
     * @param message the whole line, {@code "kind: detail"}
     * @param detail the message without its prefix
     */
    public InvalidInputException(int exitCode, String message, String detail) {
        super(ErrorKind.INVALID_INPUT, exitCode, message, detail);
    }
}
