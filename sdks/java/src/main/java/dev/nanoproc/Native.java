package dev.nanoproc;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The JNI functions of {@code libnanoproc_java} (crate {@code sdks/java/native}), one per C ABI
 * function. Handles are {@code long}s; every failure is thrown as the exception of its kind.
 *
 * <p>The library is found, in this order: the system property {@code nanoproc.library.path},
 * then the environment variable {@code NANOPROC_LIBRARY} (each a file, or a directory holding
 * {@code libnanoproc_java.so}), then {@code java.library.path} ({@code System.loadLibrary}).
 */
final class Native {
    /** The library's name for {@link System#mapLibraryName}. */
    static final String LIBRARY = "nanoproc_java";

    static {
        load();
    }

    private Native() {}

    private static void load() {
        List<String> tried = new ArrayList<>();
        String[][] sources = {
            {"-Dnanoproc.library.path", System.getProperty("nanoproc.library.path")},
            {"NANOPROC_LIBRARY", System.getenv("NANOPROC_LIBRARY")},
        };
        for (String[] source : sources) {
            String value = source[1];
            if (value == null || value.isEmpty()) {
                continue;
            }
            Path p = Path.of(value);
            if (Files.isDirectory(p)) {
                p = p.resolve(System.mapLibraryName(LIBRARY));
            }
            if (Files.isRegularFile(p)) {
                System.load(p.toAbsolutePath().toString());
                return;
            }
            tried.add(source[0] + "=" + value + " (no such file)");
        }
        try {
            System.loadLibrary(LIBRARY);
        } catch (UnsatisfiedLinkError e) {
            tried.add("java.library.path=" + System.getProperty("java.library.path"));
            UnsatisfiedLinkError err = new UnsatisfiedLinkError(
                "nanoproc: cannot find " + System.mapLibraryName(LIBRARY) + " (tried " + String.join("; ", tried)
                    + "); build it with `cargo build --release` in sdks/java/native and point"
                    + " -Dnanoproc.library.path or NANOPROC_LIBRARY at $CARGO_TARGET_DIR/release");
            err.initCause(e);
            throw err;
        }
    }

    static native String version();
    static native long liveObjects();

    static native long engineNew(int flags, String cacheDir) throws NanoprocException;
    static native void engineFree(long engine);

    static native long policyNew();
    static native void policyFree(long policy);
    static native void policyDir(long policy, String host, String guest, boolean writable) throws NanoprocException;
    /** what: 0 env, 1 inheritEnv, 2 arg, 3 allowNet, 4 allowHttp, 5 allowHostFn. */
    static native void policyString(long policy, int what, String a, String b) throws NanoprocException;
    /** what: 0 maxMemory, 1 fuel, 2 timeoutMs, 3 maxOutput, 4 diskQuota, 5 stdout, 6 stderr. */
    static native void policyNumber(long policy, int what, long value) throws NanoprocException;
    static native void policyStdin(long policy, byte[] data) throws NanoprocException;
    static native void policyWasiInterface(long policy, String name, boolean on) throws NanoprocException;
    static native void policyApplyToml(long policy, String toml, String baseDir) throws NanoprocException;
    static native void policyValidate(long policy) throws NanoprocException;

    static native long builderNew(long engine) throws NanoprocException;
    static native void builderFree(long builder);
    /** what: 0 wasmFile, 1 name, 2 config(key, value). */
    static native void builderString(long builder, int what, String a, String b) throws NanoprocException;
    static native void builderWasmBytes(long builder, byte[] wasm) throws NanoprocException;
    static native void builderPolicy(long builder, long policy) throws NanoprocException;
    static native void builderAuditKeep(long builder, long maxEvents) throws NanoprocException;
    static native void builderHostFn(long builder, String namespace, String name, HostFunctionBridge fn) throws NanoprocException;
    static native void builderAuditCallback(long builder, AuditBridge bridge) throws NanoprocException;
    static native long builderBuild(long builder) throws NanoprocException;

    static native void pluginFree(long plugin);
    static native byte[] pluginCall(long plugin, byte[] name, byte[] input, long fuel, long timeoutUs,
                                    long maxMemory, long cancel) throws NanoprocException;
    static native void pluginCancel(long plugin) throws NanoprocException;
    static native String[] pluginFunctions(long plugin) throws NanoprocException;
    static native boolean pluginIsComponent(long plugin) throws NanoprocException;
    static native String[] pluginAuditTake(long plugin) throws NanoprocException;

    static native long instanceNew(long plugin) throws NanoprocException;
    static native void instanceFree(long instance);
    static native byte[] instanceCall(long instance, byte[] name, byte[] input, long fuel, long timeoutUs,
                                      long maxMemory, long cancel) throws NanoprocException;

    static native long cancelNew();
    static native void cancelCancel(long cancel) throws NanoprocException;
    static native void cancelFree(long cancel);

    static native boolean hostCallSetOutput(long call, byte[] data);
    static native boolean hostCallSetError(long call, String message);
    static native boolean hostCallShouldStop(long call);
    static native long hostCallRemainingMs(long call);
    static native String hostCallPlugin(long call);

    static native long runFile(long engine, String path, long policy) throws NanoprocException;
    static native long runBytes(long engine, byte[] wasm, String name, long policy) throws NanoprocException;
    static native int outcomeExitCode(long outcome);
    static native Throwable outcomeError(long outcome);
    static native byte[] outcomeOutput(long outcome, boolean stderr);
    static native long[] outcomeUsage(long outcome);
    static native String outcomeJson(long outcome);
    static native void outcomeFree(long outcome);
    static native byte[] outcomeReceipt(long outcome, String secretKeyPath) throws NanoprocException;
    static native void receiptVerify(byte[] receipt, String pubkeyPath) throws NanoprocException;

}
