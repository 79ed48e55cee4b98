package dev.nanoproc;

/** The policy (a setter's value, a policy file) is not valid. */
public class PolicyException extends NanoprocException {
    private static final long serialVersionUID = 1L;

    /**
     * Makes one; nanoproc makes these, hosts normally only catch them.
     *
     * @param exitCode the CLI's exit code
     * @param message the whole line, {@code "kind: detail"}
     * @param detail the message without its prefix
     */
    public PolicyException(int exitCode, String message, String detail) {
        super(ErrorKind.INVALID_POLICY, exitCode, message, detail);
    }
}
