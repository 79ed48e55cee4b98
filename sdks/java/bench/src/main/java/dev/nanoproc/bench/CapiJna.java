package dev.nanoproc.bench;

import com.sun.jna.Native;
import com.sun.jna.NativeLibrary;
import com.sun.jna.Pointer;

/**
 * The comparison binding: the C ABI (libnanoproc_capi.so) through JNA's direct mapping, the
 * fastest way JNA calls C (no interface proxies; primitives and primitive arrays only). Handles
 * and pointers are {@code long}s; {@code nanoproc_buf} out-parameters are {@code long[2]}
 * ({@code data}, {@code len}). Used by {@link Bench} only: the SDK itself is built on JNI.
 */
final class CapiJna {
    private CapiJna() {}

    static void register(String libraryPath) {
        Native.register(CapiJna.class, NativeLibrary.getInstance(libraryPath));
    }

    static native long nanoproc_engine_new(int flags, String cacheDir, long[] engineOut);
    static native void nanoproc_engine_free(long engine);
    static native long nanoproc_plugin_builder_new(long engine, long[] builderOut);
    static native long nanoproc_plugin_builder_wasm_file(long builder, String path);
    static native long nanoproc_plugin_builder_build(long builder, long[] pluginOut);
    static native void nanoproc_plugin_free(long plugin);
    static native long nanoproc_plugin_instance(long plugin, long[] instanceOut);
    static native void nanoproc_instance_free(long instance);
    static native long nanoproc_plugin_call(long plugin, byte[] function, long functionLen, byte[] input,
                                            long inputLen, Pointer options, long[] output);
    static native long nanoproc_instance_call(long instance, byte[] function, long functionLen, byte[] input,
                                              long inputLen, Pointer options, long[] output);
    static native void nanoproc_buf_free(long[] buf);
    static native Pointer nanoproc_error_message(long error);
    static native void nanoproc_error_free(long error);

    /** Throws for a non-NULL error (freeing it). */
    static void check(long err) {
        if (err != 0) {
            String m = nanoproc_error_message(err).getString(0);
            nanoproc_error_free(err);
            throw new IllegalStateException(m);
        }
    }

    /** The output bytes of a call (copied into a Java array), freeing the buffer. */
    static byte[] take(long[] buf) {
        byte[] out = buf[1] == 0 ? new byte[0] : new Pointer(buf[0]).getByteArray(0, (int) buf[1]);
        nanoproc_buf_free(buf);
        return out;
    }
}
