package dev.nanoproc;

import java.util.Objects;

/**
 * A failure the untrusted guest, its policy or its input caused: checked, because a host that
 * runs untrusted code must expect every one of them. One subclass per {@link ErrorKind}; the
 * message is nanoproc's one line, {@code "kind: detail"}, saying what was violated and how to
 * allow it.
 */
public abstract class NanoprocException extends Exception implements NanoprocError {
    private static final long serialVersionUID = 1L;

    private final ErrorKind kind;
    private final int exitCode;
    private final String detail;

    /**
     * Makes an exception of {@code kind}.
     *
     * @param kind the cause
     * @param exitCode the CLI's exit code for it
     * @param message the whole line, {@code "kind: detail"}
     * @param detail the message without its prefix
     */
    protected NanoprocException(ErrorKind kind, int exitCode, String message, String detail) {
        super(message);
        this.kind = Objects.requireNonNull(kind, "kind");
        this.exitCode = exitCode;
        this.detail = detail == null ? "" : detail;
    }

    @Override
    public ErrorKind kind() {
        return kind;
    }

    @Override
    public int exitCode() {
        return exitCode;
    }

    @Override
    public String detail() {
        return detail;
    }
}
