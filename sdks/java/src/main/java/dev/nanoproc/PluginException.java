package dev.nanoproc;

/** The plugin reported a failure itself. */
public class PluginException extends NanoprocException {
    private static final long serialVersionUID = 1L;

    /**
     * Makes one; nanoproc makes these, hosts normally only catch them.
     *
     * @param exitCode the CLI's exit code
     * @param message the whole line, {@code "kind: detail"}
     * @param detail the message without its prefix
     */
    public PluginException(int exitCode, String message, String detail) {
        super(ErrorKind.PLUGIN, exitCode, message, detail);
    }
}
