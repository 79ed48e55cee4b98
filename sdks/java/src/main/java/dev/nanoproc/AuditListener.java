package dev.nanoproc;

/**
 * Receives every audit event of a plugin as it happens, on the thread that made the call,
 * possibly on many at once: it must be thread-safe and quick. What it throws goes to the
 * thread's uncaught-exception handler; the call goes on.
 */
@FunctionalInterface
public interface AuditListener {
    /** Receives one event. */
    void onEvent(AuditEvent event);
}
