package dev.nanoproc;

/**
 * A host function that also sees the plugin call it serves ({@link HostCall}: the plugin's
 * name, whether the call was cancelled or is past its deadline, the time left). Otherwise as
 * {@link HostFunction}.
 */
@FunctionalInterface
public interface HostCallFunction {
    /**
     * Serves one call.
     *
     * @param call the plugin call being served; valid only until this method returns
     * @param input the plugin's input
     * @return the output for the plugin; null for none
     * @throws Exception to fail the plugin's call
     */
    byte[] apply(HostCall call, byte[] input) throws Exception;
}
