package dev.nanoproc;

/**
 * A host function failed, and the plugin call that used it was stopped. When a Java host
 * function threw, {@link #getCause()} is what it threw (on the thread that made the call).
 */
public class HostFunctionException extends NanoprocException {
    private static final long serialVersionUID = 1L;

    /**
     * Makes one.
     *
     * @param exitCode the CLI's exit code
     * @param message the whole line, {@code "kind: detail"}
     * @param detail the message without its prefix
     */
    public HostFunctionException(int exitCode, String message, String detail) {
        super(ErrorKind.HOST_FUNCTION, exitCode, message, detail);
    }
}
