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

    /**
     * The error of a call not started because its token was cancelled already: nanoproc's own
     * (kind, message and exit code of {@code Error::Cancelled}), so a fast call cannot finish
     * before the interruption reaches it.
     */
    static CancelledException cancelledBeforeStart() {
        String detail = "the call was cancelled by the host";
        return new CancelledException(124, "cancelled: " + detail, detail);
    }

    /** Whether {@link #cancel()} was called. */
    public boolean isCancelled() {
        return cancelled;
    }
}
