package dev.nanoproc;

import java.time.Duration;

/**
 * Per-call limits and cancellation; unset fields fall back to the plugin's policy. Immutable:
 * each setter returns a new object.
 *
 * <pre>{@code
 * plugin.call("run", input, CallOptions.none().fuel(1_000_000).timeout(Duration.ofMillis(50)));
 * }</pre>
 */
public final class CallOptions {
    private static final CallOptions NONE = new CallOptions(0, 0, 0, null);

    final long fuel;
    final long timeoutUs;
    final long maxMemory;
    final CancelToken cancel;

    private CallOptions(long fuel, long timeoutUs, long maxMemory, CancelToken cancel) {
        this.fuel = fuel;
        this.timeoutUs = timeoutUs;
        this.maxMemory = maxMemory;
        this.cancel = cancel;
    }

    /** No per-call settings: the policy's limits. */
    public static CallOptions none() {
        return NONE;
    }

    /** Fuel for this call (needs an engine with fuel); 0: the policy's. */
    public CallOptions fuel(long fuel) {
        if (fuel < 0) {
            throw new IllegalArgumentException("fuel must not be negative");
        }
        return new CallOptions(fuel, timeoutUs, maxMemory, cancel);
    }

    /** Wall-clock limit for this call (microsecond precision); null or zero: the policy's. */
    public CallOptions timeout(Duration timeout) {
        long us = 0;
        if (timeout != null && !timeout.isZero()) {
            if (timeout.isNegative()) {
                throw new IllegalArgumentException("timeout must not be negative");
            }
            us = Math.max(1, timeout.toNanos() / 1000);
        }
        return new CallOptions(fuel, us, maxMemory, cancel);
    }

    /** Memory budget for this call in bytes; 0: the policy's. */
    public CallOptions maxMemory(long bytes) {
        if (bytes < 0) {
            throw new IllegalArgumentException("maxMemory must not be negative");
        }
        return new CallOptions(fuel, timeoutUs, bytes, cancel);
    }

    /** Cancels this call when {@code token} is cancelled; null: none. */
    public CallOptions cancel(CancelToken token) {
        return new CallOptions(fuel, timeoutUs, maxMemory, token);
    }

    /** The cancel token, or null. */
    public CancelToken cancelToken() {
        return cancel;
    }
}
