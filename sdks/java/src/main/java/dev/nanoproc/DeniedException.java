package dev.nanoproc;

/** The guest needs a capability its policy does not grant; the message names the grant that allows it. */
public class DeniedException extends NanoprocException {
    private static final long serialVersionUID = 1L;

    /**
     * Makes one; nanoproc makes these, hosts normally only catch them.
     *
     * @param exitCode the CLI's exit code
     * @param message the whole line, {@code "kind: detail"}
     * @param detail the message without its prefix
     */
    public DeniedException(int exitCode, String message, String detail) {
        super(ErrorKind.DENIED, exitCode, message, detail);
    }
}
