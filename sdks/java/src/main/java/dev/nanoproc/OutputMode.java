package dev.nanoproc;

/** Where a guest's stdout or stderr goes. */
public enum OutputMode {
    /** The host process's own stream (the default). */
    INHERIT,
    /** Kept in memory and returned in the {@link Outcome}. */
    CAPTURE,
    /** Discarded (still counted against the output limit). */
    DISCARD
}
