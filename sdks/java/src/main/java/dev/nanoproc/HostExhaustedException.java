package dev.nanoproc;

/** The host ran short of something no sandbox limit covers (pool slots, mappings). */
public class HostExhaustedException extends NanoprocException {
    private static final long serialVersionUID = 1L;

    /**
     * Makes one; nanoproc makes these, hosts normally only catch them.
     *
     * @param exitCode the CLI's exit code
     * @param message the whole line, {@code "kind: detail"}
     * @param detail the message without its prefix
     */
    public HostExhaustedException(int exitCode, String message, String detail) {
        super(ErrorKind.HOST_EXHAUSTED, exitCode, message, detail);
    }
}
