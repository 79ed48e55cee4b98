package dev.nanoproc;

/** The guest trapped (unreachable, out-of-bounds access, stack overflow, ...). */
public class TrapException extends NanoprocException {
    private static final long serialVersionUID = 1L;

    /**
     * Makes one; nanoproc makes these, hosts normally only catch them.
     *
     * @param exitCode the CLI's exit code
     * @param message the whole line, {@code "kind: detail"}
     * @param detail the message without its prefix
     */
    public TrapException(int exitCode, String message, String detail) {
        super(ErrorKind.TRAP, exitCode, message, detail);
    }
}
