package dev.nanoproc;

import java.time.Duration;

/**
 * Resources a run used.
 *
 * @param fuelMetered whether fuel was metered (then {@code fuelConsumed} is meaningful)
 * @param fuelConsumed fuel consumed
 * @param peakMemoryBytes peak bytes of all memories and tables together
 * @param wallTime time from instantiation to exit
 * @param stdoutBytes bytes the guest wrote to stdout
 * @param stderrBytes bytes the guest wrote to stderr
 * @param peakFds the most descriptors the guest held open at once (its own, not stdio or preopens)
 */
public record Usage(boolean fuelMetered, long fuelConsumed, long peakMemoryBytes, Duration wallTime,
                    long stdoutBytes, long stderrBytes, long peakFds) {}
