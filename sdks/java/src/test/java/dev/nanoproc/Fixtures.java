package dev.nanoproc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import org.junit.jupiter.api.function.Executable;

/** Shared engines, paths and assertions of the tests. */
final class Fixtures {
    private Fixtures() {}

    static final Path ROOT = Path.of(System.getProperty("nanoproc.repo", "../..")).toAbsolutePath().normalize();
    static final Path GUESTS = ROOT.resolve("examples/guests/bin");
    static final Path PLUGINS = ROOT.resolve("examples/plugins/bin");

    /** The shared pooling engine. */
    static final Engine ENGINE = make(Engine.builder().pooling(true));
    /** An engine that meters fuel (on-demand allocation). */
    static final Engine FUEL_ENGINE = make(Engine.builder().fuel(true));

    private static Engine make(Engine.Builder b) {
        try {
            return b.build();
        } catch (NanoprocException e) {
            throw new IllegalStateException(e);
        }
    }

    static Path guest(String name) {
        return GUESTS.resolve(name);
    }

    static Path plugin(String name) {
        return PLUGINS.resolve(name);
    }

    static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    static String text(byte[] b) {
        return new String(b, StandardCharsets.UTF_8);
    }

    /** A plugin builder on the shared engine. */
    static Plugin.Builder pluginOf(String name) {
        return Plugin.builder(ENGINE).wasmFile(plugin(name));
    }

    /**
     * Checks that {@code body} throws {@code type}, that the exception's kind matches it, and
     * that its message is nanoproc's one line, {@code "kind: detail"}.
     */
    static <T extends Throwable> T assertKind(Class<T> type, ErrorKind kind, Executable body) {
        T e = assertThrows(type, body);
        checkKind(e, kind);
        return e;
    }

    static void checkKind(Throwable t, ErrorKind kind) {
        assertTrue(t instanceof NanoprocError, () -> t + " is not a NanoprocError");
        NanoprocError e = (NanoprocError) t;
        assertEquals(kind, e.kind(), e.getMessage());
        assertEquals(kind + ": " + e.detail(), e.getMessage());
        assertFalse(e.detail().isEmpty(), "empty detail");
        assertFalse(e.getMessage().contains("\n") || e.getMessage().contains("\r"), "not one line: " + e.getMessage());
    }

    /** A plugin with state: count returns how often it was called in this sandbox (4 bytes LE); trap traps. */
    static final String COUNTER_WAT = """
        (module
          (memory (export "memory") 1)
          (global $count (mut i32) (i32.const 0))
          (global $heap (mut i32) (i32.const 1024))
          (func (export "nanoproc_abi_version") (result i32) (i32.const 1))
          (func (export "nanoproc_alloc") (param $len i32) (result i32)
            (local $p i32)
            (local.set $p (global.get $heap))
            (global.set $heap (i32.add (global.get $heap) (local.get $len)))
            (local.get $p))
          (func (export "count") (param i32 i32) (result i64)
            (global.set $count (i32.add (global.get $count) (i32.const 1)))
            (i32.store (i32.const 0) (global.get $count))
            (i64.const 4))
          (func (export "trap") (param i32 i32) (result i64) (unreachable)))
        """;

    /** Copies stdin to stdout (none of the example guests reads stdin). */
    static final String CAT_STDIN_WAT = """
        (module
          (import "wasi_snapshot_preview1" "fd_read" (func $fd_read (param i32 i32 i32 i32) (result i32)))
          (import "wasi_snapshot_preview1" "fd_write" (func $fd_write (param i32 i32 i32 i32) (result i32)))
          (memory (export "memory") 1)
          (func (export "_start")
            (local $n i32)
            (loop $again
              (i32.store (i32.const 0) (i32.const 64))
              (i32.store (i32.const 4) (i32.const 4096))
              (if (call $fd_read (i32.const 0) (i32.const 0) (i32.const 1) (i32.const 16)) (then (return)))
              (local.set $n (i32.load (i32.const 16)))
              (if (i32.eqz (local.get $n)) (then (return)))
              (i32.store (i32.const 8) (i32.const 64))
              (i32.store (i32.const 12) (local.get $n))
              (drop (call $fd_write (i32.const 1) (i32.const 8) (i32.const 1) (i32.const 20)))
              (br $again))))
        """;

    static int le32(byte[] b) {
        if (b.length != 4) {
            return -1;
        }
        return (b[0] & 0xff) | (b[1] & 0xff) << 8 | (b[2] & 0xff) << 16 | (b[3] & 0xff) << 24;
    }
}
