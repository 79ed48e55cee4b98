package dev.nanoproc;

/**
 * A host function written in Java, usually a lambda: gets the plugin's input bytes and returns
 * the bytes the plugin receives (null: empty). Anything it throws fails the plugin's call with
 * a {@link HostFunctionException} whose cause is what it threw; the process is not affected.
 *
 * <p>It runs on the thread that called the plugin, possibly on many at once: it must be
 * thread-safe. Grant it with {@link Policy.Builder#allowHostFunction(String)}.
 */
@FunctionalInterface
public interface HostFunction {
    /**
     * Serves one call.
     *
     * @param input the plugin's input (a fresh array, the function's to keep)
     * @return the output for the plugin; null for none
     * @throws Exception to fail the plugin's call
     */
    byte[] apply(byte[] input) throws Exception;
}
