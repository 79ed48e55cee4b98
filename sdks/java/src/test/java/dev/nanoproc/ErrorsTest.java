package dev.nanoproc;

import static org.junit.jupiter.api.Assertions.*;

import org.junit.jupiter.api.Test;

/** The exception types: one per kind, checked for what the guest causes, unchecked for bugs. */
class ErrorsTest {
    @Test
    void everyKindMapsToItsOwnType() {
        Class<?>[] types = {
            InvalidModuleException.class, PolicyException.class, InvalidInputException.class, MemoryLimitException.class,
            OutputLimitException.class, TimeLimitException.class, FuelLimitException.class, TrapException.class,
            AbiViolationException.class, HostFunctionException.class, PluginException.class, CancelledException.class,
            DeniedException.class, HostIoException.class, HostExhaustedException.class, InternalException.class,
            InvalidArgumentException.class, IntegrityException.class,
        };
        assertEquals(types.length, ErrorKind.values().length);
        for (ErrorKind k : ErrorKind.values()) {
            Throwable t = NanoprocErrors.fromNative(k.code(), 7, k + ": detail", "detail");
            assertSame(types[k.code() - 1], t.getClass(), k.name());
            NanoprocError e = (NanoprocError) t;
            assertEquals(k, e.kind());
            assertEquals(7, e.exitCode());
            assertEquals("detail", e.detail());
            assertEquals(k + ": detail", e.getMessage());
            assertEquals(k.isLimit(), t instanceof LimitExceededException, k.name());
            boolean checked = !(t instanceof RuntimeException) && !(t instanceof Error);
            assertEquals(k != ErrorKind.INTERNAL && k != ErrorKind.INVALID_ARGUMENT, checked, k.name());
            assertEquals(checked, t instanceof NanoprocException, k.name());
        }
        assertEquals(ErrorKind.INTERNAL, ErrorKind.of(999));
        assertEquals(ErrorKind.INTEGRITY, ErrorKind.of(18));
        assertEquals("integrity", ErrorKind.INTEGRITY.toString());
        assertEquals(127, new InternalException("internal error: x").exitCode());
        assertInstanceOf(IllegalArgumentException.class, NanoprocErrors.fromNative(17, 2, "invalid argument: x", "x"));
    }

    @Test
    void kindNamesAreNanoprocs() {
        assertEquals("fuel limit", ErrorKind.FUEL_LIMIT.toString());
        assertEquals("guest trap", ErrorKind.TRAP.toString());
        assertEquals("host function error", ErrorKind.HOST_FUNCTION.toString());
        assertEquals("invalid policy", ErrorKind.INVALID_POLICY.toString());
    }

    @Test
    void versionIsReported() {
        assertEquals("0.1.0", Nanoproc.version());
    }
}
