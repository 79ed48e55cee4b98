package dev.nanoproc;

/**
 * What every nanoproc failure carries, checked ({@link NanoprocException}) or unchecked
 * ({@link InvalidArgumentException}, {@link InternalException}).
 */
public interface NanoprocError {
    /** The cause, by kind. */
    ErrorKind kind();

    /** The exit code the {@code nanoproc} CLI uses for this error (121 memory, 124 time, ...). */
    int exitCode();

    /** The message without its {@code "kind: "} prefix. */
    String detail();

    /** The whole line, {@code "kind: detail"}: what was violated and how to allow it. */
    String getMessage();
}
