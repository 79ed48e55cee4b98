package dev.nanoproc;

/** The plugin broke the plugin ABI (bad pointer or length, missing export). */
public class AbiViolationException extends NanoprocException {
    private static final long serialVersionUID = 1L;

    /**
     * Makes one; nanoproc makes these, hosts normally only catch them.
     *
     * @param exitCode the CLI's exit code
     * @param message the whole line, {@code "kind: detail"}
     * @param detail the message without its prefix
     */
    public AbiViolationException(int exitCode, String message, String detail) {
        super(ErrorKind.ABI_VIOLATION, exitCode, message, detail);
    }
}
