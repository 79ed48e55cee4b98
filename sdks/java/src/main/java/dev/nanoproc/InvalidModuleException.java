package dev.nanoproc;

/** The bytes are not a valid WebAssembly module or component (or do not follow the plugin ABI's exports). */
public class InvalidModuleException extends NanoprocException {
    private static final long serialVersionUID = 1L;

    /**
     * Makes one; nanoproc makes these, hosts normally only catch them.
     *
     * @param exitCode the CLI's exit code
     * @param message the whole line, {@code "kind: detail"}
     * @param detail the message without its prefix
     */
    public InvalidModuleException(int exitCode, String message, String detail) {
        super(ErrorKind.INVALID_MODULE, exitCode, message, detail);
    }
}
