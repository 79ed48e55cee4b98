package dev.nanoproc;

import java.time.Instant;

/** What the JNI audit trampoline calls. */
final class AuditBridge {
    private final AuditListener listener;

    AuditBridge(AuditListener listener) {
        this.listener = listener;
    }

    /** Called from native code with one event's fields. */
    void onEvent(long timeMs, String what, String target, String decision, String rule) {
        try {
            listener.onEvent(new AuditEvent(Instant.ofEpochMilli(timeMs), what, target, decision, rule));
        } catch (Throwable t) {
            Thread th = Thread.currentThread();
            try {
                th.getUncaughtExceptionHandler().uncaughtException(th, t);
            } catch (Throwable ignored) {
                // Nothing may escape into native code.
            }
        }
    }
}
