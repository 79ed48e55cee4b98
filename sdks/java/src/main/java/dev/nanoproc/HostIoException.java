package dev.nanoproc;

/** A host-side I/O failure (reading the module, opening a preopened directory). */
public class HostIoException extends NanoprocException {
    private static final long serialVersionUID = 1L;

    /**
     * Makes one; nanoproc makes these, hosts normally only catch them.
     *
     * @param exitCode the CLI's exit code
     * @param message the whole line, {@code "kind: detail"}
     * @param detail the message without its prefix
     */
    public HostIoException(int exitCode, String message, String detail) {
        super(ErrorKind.IO, exitCode, message, detail);
    }
}
