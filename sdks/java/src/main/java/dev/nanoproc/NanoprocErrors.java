package dev.nanoproc;

/** Maps the C ABI's error objects to the exception of their kind (called by the JNI code). */
final class NanoprocErrors {
    private NanoprocErrors() {}

    /** The exception for a nanoproc error; not thrown here. */
    static Throwable fromNative(int code, int exit, String message, String detail) {
        // What a Java host function threw on this thread during the call that failed; taken on
        // every error so it never outlives its call (a call can end as cancelled instead).
        Throwable hostFailure = HostFunctionBridge.takeFailure();
        switch (ErrorKind.of(code)) {
            case INVALID_MODULE: return new InvalidModuleException(exit, message, detail);
            case INVALID_POLICY: return new PolicyException(exit, message, detail);
            case INVALID_INPUT: return new InvalidInputException(exit, message, detail);
            case MEMORY_LIMIT: return new MemoryLimitException(exit, message, detail);
            case OUTPUT_LIMIT: return new OutputLimitException(exit, message, detail);
            case TIME_LIMIT: return new TimeLimitException(exit, message, detail);
            case FUEL_LIMIT: return new FuelLimitException(exit, message, detail);
            case TRAP: return new TrapException(exit, message, detail);
            case ABI_VIOLATION: return new AbiViolationException(exit, message, detail);
            case HOST_FUNCTION: {
                HostFunctionException e = new HostFunctionException(exit, message, detail);
                if (hostFailure != null) {
                    e.initCause(hostFailure);
                }
                return e;
            }
            case PLUGIN: return new PluginException(exit, message, detail);
            case CANCELLED: return new CancelledException(exit, message, detail);
            case DENIED: return new DeniedException(exit, message, detail);
            case IO: return new HostIoException(exit, message, detail);
            case HOST_EXHAUSTED: return new HostExhaustedException(exit, message, detail);
            case INVALID_ARGUMENT: return new InvalidArgumentException(exit, message, detail);
            case INTEGRITY: return new IntegrityException(exit, message, detail);
            case INTERNAL:
            default:
                return new InternalException(exit, message, detail);
        }
    }
}
