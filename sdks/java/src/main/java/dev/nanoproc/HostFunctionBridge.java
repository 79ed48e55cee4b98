package dev.nanoproc;

/**
 * What the JNI host-function trampoline calls: runs the Java function, hands its output to
 * nanoproc, and turns anything it throws into a failed call (remembering the throwable on this
 * thread, to become the cause of the {@link HostFunctionException}).
 */
final class HostFunctionBridge {
    private static final ThreadLocal<Throwable> FAILURE = new ThreadLocal<>();

    private final HostCallFunction fn;

    HostFunctionBridge(HostCallFunction fn) {
        this.fn = fn;
    }

    /** Called from native code: 0 on success (output set), 1 on failure (error set). */
    int invoke(long call, byte[] input) {
        try {
            byte[] out = fn.apply(new HostCall(call), input == null ? new byte[0] : input);
            if (out != null && out.length > 0) {
                Native.hostCallSetOutput(call, out);
            }
            return 0;
        } catch (Throwable t) {
            FAILURE.set(t);
            String m = t.getMessage();
            Native.hostCallSetError(call, t.getClass().getName() + (m == null ? "" : ": " + m.replaceAll("[\\p{Cntrl}]", " ")));
            return 1;
        }
    }

    /** The throwable of the last failed host function on this thread, cleared. */
    static Throwable takeFailure() {
        Throwable t = FAILURE.get();
        if (t != null) {
            FAILURE.remove();
        }
        return t;
    }
}
