package dev.nanoproc.bench;

import dev.nanoproc.Engine;
import dev.nanoproc.Instance;
import dev.nanoproc.Nanoproc;
import dev.nanoproc.NanoprocException;
import dev.nanoproc.Plugin;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * The per-call cost of plugin calls from Java, the method of sdks/go/bench/main.go: four cases
 * on examples/plugins/bin/echo.wasm with a pooling engine and the default policy,
 *
 * <pre>
 *   warm_noop       Instance.call("noop"): empty in, empty out, in a kept sandbox
 *   warm_echo_64k   Instance.call("echo") with 64 KiB (64 KiB back)
 *   fresh_noop      Plugin.call("noop"): a fresh sandbox per call
 *   fresh_echo_64k  Plugin.call("echo") with 64 KiB in a fresh sandbox
 * </pre>
 *
 * <p>through the SDK (JNI) and through JNA's direct mapping of the C ABI (the binding not
 * chosen). Each case first runs for a while so the JIT compiles it, then calls run in batches
 * of a calibrated size (about 2 ms); each batch gives a mean per call; the table shows the
 * median and the 99th percentile of those means, and one line per case and binding,
 * {@code RESULT java <case> <median_ns> <p99_ns>} (JNA: {@code RESULT java:jna ...}).
 *
 * <p>Arguments: {@code --echo PATH --capi PATH_TO_libnanoproc_capi.so [--quick] [--batches N]
 * [--batch-ms N] [--no-jna]}.
 */
public final class Bench {
    private interface Loop {
        void run(int n) throws Exception;
    }

    private record Result(String binding, String name, double median, double p99) {}

    public static void main(String[] args) throws Exception {
        Path echo = null;
        String capi = null;
        int batches = 200;
        double batchMs = 2;
        long warmupMs = 1500;
        boolean jna = true;
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--echo" -> echo = Path.of(args[++i]);
                case "--capi" -> capi = args[++i];
                case "--batches" -> batches = Integer.parseInt(args[++i]);
                case "--batch-ms" -> batchMs = Double.parseDouble(args[++i]);
                case "--no-jna" -> jna = false;
                case "--quick" -> {
                    batches = 20;
                    batchMs = 1;
                    warmupMs = 200;
                }
                default -> throw new IllegalArgumentException("unknown argument " + args[i]);
            }
        }
        if (echo == null || !Files.isRegularFile(echo)) {
            throw new IllegalArgumentException("--echo PATH to examples/plugins/bin/echo.wasm is needed");
        }
        byte[] payload = new byte[64 << 10];
        for (int i = 0; i < payload.length; i++) {
            payload[i] = (byte) i;
        }
        List<Result> results = new ArrayList<>();
        jni(echo, payload, batches, batchMs, warmupMs, results);
        if (jna) {
            if (capi == null) {
                throw new IllegalArgumentException("--capi PATH to libnanoproc_capi.so is needed (or --no-jna)");
            }
            jna(echo, capi, payload, batches, batchMs, warmupMs, results);
        }
        System.out.printf("nanoproc %s from Java %s (%s %s/%s), echo.wasm, pooling engine%n", Nanoproc.version(),
            System.getProperty("java.version"), System.getProperty("java.vm.name"), System.getProperty("os.name"),
            System.getProperty("os.arch"));
        System.out.printf("%d batches of ~%.1f ms per case, after ~%d ms of warm-up per case%n%n", batches, batchMs, warmupMs);
        System.out.printf("%-8s %-16s %14s %14s%n", "binding", "case", "median ns/call", "p99 ns/call");
        for (Result r : results) {
            System.out.printf("%-8s %-16s %14.0f %14.0f%n", r.binding, r.name, r.median, r.p99);
        }
        System.out.println();
        for (Result r : results) {
            System.out.printf("RESULT %s %s %.0f %.0f%n", r.binding.equals("jni") ? "java" : "java:jna", r.name, r.median,
                r.p99);
        }
    }

    private static void jni(Path echo, byte[] payload, int batches, double batchMs, long warmupMs, List<Result> results)
        throws Exception {
        try (Engine engine = Engine.builder().pooling(true).build();
             Plugin plugin = Plugin.builder(engine).wasmFile(echo).build();
             Instance inst = plugin.instance()) {
            byte[] out = inst.call("echo", payload);
            if (!Arrays.equals(out, payload)) {
                throw new IllegalStateException("echo check failed: " + out.length + " bytes");
            }
            byte[] none = new byte[0];
            String[] names = {"warm_noop", "warm_echo_64k", "fresh_noop", "fresh_echo_64k"};
            Loop[] loops = {
                n -> {
                    for (int i = 0; i < n; i++) {
                        inst.call("noop", none);
                    }
                },
                n -> {
                    for (int i = 0; i < n; i++) {
                        sink(inst.call("echo", payload));
                    }
                },
                n -> {
                    for (int i = 0; i < n; i++) {
                        plugin.call("noop", none);
                    }
                },
                n -> {
                    for (int i = 0; i < n; i++) {
                        sink(plugin.call("echo", payload));
                    }
                },
            };
            for (int c = 0; c < loops.length; c++) {
                double[] m = measure(loops[c], batches, batchMs, warmupMs);
                results.add(new Result("jni", names[c], m[0], m[1]));
            }
        }
    }

    private static void jna(Path echo, String capi, byte[] payload, int batches, double batchMs, long warmupMs,
                            List<Result> results) throws Exception {
        CapiJna.register(capi);
        long[] out = new long[1];
        CapiJna.check(CapiJna.nanoproc_engine_new(2, null, out));
        long engine = out[0];
        CapiJna.check(CapiJna.nanoproc_plugin_builder_new(engine, out));
        long builder = out[0];
        CapiJna.check(CapiJna.nanoproc_plugin_builder_wasm_file(builder, echo.toString()));
        CapiJna.check(CapiJna.nanoproc_plugin_builder_build(builder, out));
        long plugin = out[0];
        CapiJna.check(CapiJna.nanoproc_plugin_instance(plugin, out));
        long inst = out[0];
        try {
            byte[] noop = "noop".getBytes(StandardCharsets.UTF_8);
            byte[] echoName = "echo".getBytes(StandardCharsets.UTF_8);
            long[] buf = new long[2];
            CapiJna.check(CapiJna.nanoproc_instance_call(inst, echoName, echoName.length, payload, payload.length, null, buf));
            if (!Arrays.equals(CapiJna.take(buf), payload)) {
                throw new IllegalStateException("JNA echo check failed");
            }
            String[] names = {"warm_noop", "warm_echo_64k", "fresh_noop", "fresh_echo_64k"};
            Loop[] loops = {
                n -> {
                    for (int i = 0; i < n; i++) {
                        CapiJna.check(CapiJna.nanoproc_instance_call(inst, noop, noop.length, null, 0, null, buf));
                        sink(CapiJna.take(buf));
                    }
                },
                n -> {
                    for (int i = 0; i < n; i++) {
                        CapiJna.check(CapiJna.nanoproc_instance_call(inst, echoName, echoName.length, payload,
                            payload.length, null, buf));
                        sink(CapiJna.take(buf));
                    }
                },
                n -> {
                    for (int i = 0; i < n; i++) {
                        CapiJna.check(CapiJna.nanoproc_plugin_call(plugin, noop, noop.length, null, 0, null, buf));
                        sink(CapiJna.take(buf));
                    }
                },
                n -> {
                    for (int i = 0; i < n; i++) {
                        CapiJna.check(CapiJna.nanoproc_plugin_call(plugin, echoName, echoName.length, payload,
                            payload.length, null, buf));
                        sink(CapiJna.take(buf));
                    }
                },
            };
            for (int c = 0; c < loops.length; c++) {
                double[] m = measure(loops[c], batches, batchMs, warmupMs);
                results.add(new Result("jna", names[c], m[0], m[1]));
            }
        } finally {
            CapiJna.nanoproc_instance_free(inst);
            CapiJna.nanoproc_plugin_free(plugin);
            CapiJna.nanoproc_engine_free(engine);
        }
    }

    private static volatile int sinkValue;

    private static void sink(byte[] b) {
        sinkValue += b.length;
    }

    /**
     * Warms the loop up (JIT), calibrates a batch size of about {@code batchMs}, then times
     * {@code batches} batches: the median and p99 of the per-call means, in ns.
     */
    static double[] measure(Loop loop, int batches, double batchMs, long warmupMs) throws Exception {
        long warmEnd = System.nanoTime() + warmupMs * 1_000_000L;
        int chunk = 1;
        while (System.nanoTime() < warmEnd) {
            loop.run(chunk);
            chunk = Math.min(chunk * 2, 1 << 12);
        }
        long target = (long) (batchMs * 1_000_000);
        int n = 1;
        long elapsed;
        while (true) {
            long t = System.nanoTime();
            loop.run(n);
            elapsed = System.nanoTime() - t;
            if (elapsed >= target / 4 || n >= 1 << 24) {
                break;
            }
            n *= 2;
        }
        double perCall = Math.max(1.0, (double) elapsed / n);
        int size = Math.max(1, (int) (target / perCall));
        System.gc();
        loop.run(size);
        double[] means = new double[batches];
        for (int b = 0; b < batches; b++) {
            long t = System.nanoTime();
            loop.run(size);
            means[b] = (double) (System.nanoTime() - t) / size;
        }
        Arrays.sort(means);
        double median = means.length % 2 == 0 ? (means[means.length / 2 - 1] + means[means.length / 2]) / 2
            : means[means.length / 2];
        int idx = (int) (0.99 * (means.length - 1) + 0.5);
        return new double[] {median, means[idx]};
    }

    private Bench() {}

}
