package dev.nanoproc;

/**
 * What went wrong, by cause: the C ABI's {@code nanoproc_error_kind}, with nanoproc's own name
 * for each kind (the prefix of every error message, e.g. {@code "fuel limit: ..."}).
 */
public enum ErrorKind {
    /** The bytes are not a valid WebAssembly module or component. */
    INVALID_MODULE(1, "invalid module"),
    /** The policy (a setter's value, a policy file) is not valid. */
    INVALID_POLICY(2, "invalid policy"),
    /** A value for a typed call does not match its type. */
    INVALID_INPUT(3, "invalid input"),
    /** The guest hit its memory limit. */
    MEMORY_LIMIT(4, "memory limit"),
    /** The guest hit its output limit. */
    OUTPUT_LIMIT(5, "output limit"),
    /** The guest hit its wall-clock limit. */
    TIME_LIMIT(6, "time limit"),
    /** The guest ran out of fuel. */
    FUEL_LIMIT(7, "fuel limit"),
    /** The guest trapped (unreachable, out-of-bounds access, stack overflow, ...). */
    TRAP(8, "guest trap"),
    /** The plugin broke the plugin ABI (bad pointer or length, missing export). */
    ABI_VIOLATION(9, "abi violation"),
    /** A host function failed; the call that used it was stopped. */
    HOST_FUNCTION(10, "host function error"),
    /** The plugin reported a failure itself. */
    PLUGIN(11, "plugin error"),
    /** The call was cancelled by the host. */
    CANCELLED(12, "cancelled"),
    /** The guest needs a capability its policy does not grant. */
    DENIED(13, "denied"),
    /** A host-side I/O failure (reading the module, opening a preopened directory). */
    IO(14, "io error"),
    /** The host ran short of something no sandbox limit covers (pool slots, mappings). */
    HOST_EXHAUSTED(15, "host resources exhausted"),
    /** A bug in nanoproc or an unexpected engine failure. */
    INTERNAL(16, "internal error"),
    /** The caller broke the API's rules (an instance already in use, a bad name). */
    INVALID_ARGUMENT(17, "invalid argument"),
    /**
     * The binary failed its policy's integrity check before it was compiled (not signed, signed
     * by no trusted key, modified after it was signed, a sha256 the policy does not pin), or a
     * run receipt did not verify.
     */
    INTEGRITY(18, "integrity");

    private final int code;
    private final String text;

    ErrorKind(int code, String text) {
        this.code = code;
        this.text = text;
    }

    /** The C ABI's number for this kind. */
    public int code() {
        return code;
    }

    /** The kind's name as nanoproc prints it ("fuel limit", "denied", ...). */
    @Override
    public String toString() {
        return text;
    }

    /** Whether this is one of the four resource limits (memory, output, time, fuel). */
    public boolean isLimit() {
        return this == MEMORY_LIMIT || this == OUTPUT_LIMIT || this == TIME_LIMIT || this == FUEL_LIMIT;
    }

    /** The kind with C ABI number {@code code}; {@link #INTERNAL} for an unknown number. */
    public static ErrorKind of(int code) {
        for (ErrorKind k : values()) {
            if (k.code == code) {
                return k;
            }
        }
        return INTERNAL;
    }
}
