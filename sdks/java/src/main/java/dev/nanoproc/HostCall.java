package dev.nanoproc;

import java.time.Duration;
import java.util.Optional;

/**
 * The plugin call a host function serves. Valid only during the host function and on its
 * thread (nanoproc checks: afterwards {@link #shouldStop()} is true and {@link #plugin()} empty).
 */
public final class HostCall {
    private final long call;

    HostCall(long call) {
        this.call = call;
    }

    /** The name of the plugin making the call ("" once the call is over). */
    public String plugin() {
        String p = Native.hostCallPlugin(call);
        return p == null ? "" : p;
    }

    /**
     * Whether the plugin call was cancelled or is past its deadline: a long-running host
     * function polls it and returns early. True once the host function returned.
     */
    public boolean shouldStop() {
        return Native.hostCallShouldStop(call);
    }

    /** The time left before the call's deadline; empty when it has none. */
    public Optional<Duration> remaining() {
        long ms = Native.hostCallRemainingMs(call);
        return ms < 0 ? Optional.empty() : Optional.of(Duration.ofMillis(ms));
    }
}
