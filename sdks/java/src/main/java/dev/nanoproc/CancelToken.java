package dev.nanoproc;

/**
 * Cancels the calls given it ({@link CallOptions#cancel(CancelToken)}), from any thread: those
 * running now (they fail with {@link CancelledException}) and any started with it later — a
 * token stays cancelled; use a new one for new calls.
 */
public final class CancelToken extends NativeHandle {
    private volatile boolean cancelled;

    /** A new token. */
    public CancelToken() {
        super(Native.cancelNew(), Native::cancelFree, "cancel token");
    }

    /** Cancels every call given this token. */
    public void cancel() {
        cancelled = true;
        try {
            Native.cancelCancel(handle());
        } catch (NanoprocException e) {
            throw new IllegalStateException(e.getMessage(), e);
        }
    }

    /** Whether {@link #cancel()} was called. */
    public boolean isCancelled() {
        return cancelled;
    }
}
