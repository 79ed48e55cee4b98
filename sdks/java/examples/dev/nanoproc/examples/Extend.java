package dev.nanoproc.examples;

import dev.nanoproc.AuditEvent;
import dev.nanoproc.Engine;
import dev.nanoproc.FuelLimitException;
import dev.nanoproc.NanoprocException;
import dev.nanoproc.Plugin;
import dev.nanoproc.PluginException;
import dev.nanoproc.Policy;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * Extend: the host copies a file through a WebAssembly plugin.
 *
 * <pre>
 *   bash sdks/java/test.sh   # builds everything and runs this example too, or by hand:
 *   java -Dnanoproc.library.path=$CARGO_TARGET_DIR/release -cp sdks/java/target/classes:sdks/java/target/test-classes \
 *       dev.nanoproc.examples.Extend
 * </pre>
 *
 * <p>The plugin (examples/plugins/bin/copy_file.wasm, Rust on WASI) takes
 * {@code {"from": "/in/a.txt", "to": "/out/b.txt"}} and copies with plain file I/O. It sees
 * exactly two directories: the input one read-only at /in and the output one writable at /out.
 * Nothing else of the host exists for it, and a fuel budget bounds how much work it may do.
 */
public final class Extend {
    /**
     * Copying needs about 8,000 units of fuel (the plugin's start-up and its copy loop; the
     * bytes themselves move in host calls, so the size of the file hardly matters): the same
     * budgets as the Go SDK's example (sdks/go/examples/extend).
     */
    static final long FUEL = 30_000;
    static final long TOO_LITTLE_FUEL = 5_000;

    private Extend() {}

    public static void main(String[] args) throws Exception {
        run(System.out);
    }

    static byte[] request(String from, String to) {
        return ("{\"from\":\"" + from + "\",\"to\":\"" + to + "\"}").getBytes(StandardCharsets.UTF_8);
    }

    static void run(PrintStream out) throws NanoprocException, IOException {
        Path tmp = Files.createTempDirectory("nanoproc-extend-");
        try {
            Path in = Files.createDirectory(tmp.resolve("in"));
            Path outDir = Files.createDirectory(tmp.resolve("out"));
            byte[] data = "the host's data, copied by a sandboxed plugin\n".repeat(20).getBytes(StandardCharsets.UTF_8);
            Files.write(in.resolve("a.txt"), data);

            // One engine that meters fuel.
            try (Engine engine = Engine.builder().fuel(true).build()) {
                Policy policy = Policy.builder()
                    .dir(in, "/in")                  // read-only
                    .dir(outDir, "/out", true)       // writable
                    .fuel(FUEL)
                    .maxMemory(16 << 20)
                    .timeout(Duration.ofSeconds(5))
                    .build();
                try (Plugin plugin = Plugin.builder(engine).wasmFile(Paths.plugin("copy_file.wasm")).policy(policy).build()) {
                    String res = new String(plugin.call("copy_file", request("/in/a.txt", "/out/b.txt")), StandardCharsets.UTF_8);
                    Matcher m = Pattern.compile("\"bytes\"\\s*:\\s*(\\d+)").matcher(res);
                    long copied = m.find() ? Long.parseLong(m.group(1)) : -1;
                    byte[] got = Files.readAllBytes(outDir.resolve("b.txt"));
                    out.printf("copied %d bytes with a budget of %d fuel; identical: %b%n", copied, FUEL, Arrays.equals(got, data));

                    // The input directory is read-only: the plugin's write fails, nothing is written.
                    try {
                        plugin.call("copy_file", request("/in/a.txt", "/in/c.txt"));
                        throw new IllegalStateException("the write into /in was not refused");
                    } catch (PluginException e) {
                        out.println("write into the read-only dir refused: " + e.getMessage());
                    }
                    out.println("file created in the input dir: " + Files.exists(in.resolve("c.txt")));

                    // Nothing outside the two directories exists for it.
                    try {
                        plugin.call("copy_file", request("/etc/passwd", "/out/passwd"));
                        throw new IllegalStateException("the read of /etc/passwd was not refused");
                    } catch (PluginException e) {
                        out.println("read outside the grants refused: " + e.getMessage());
                    }

                    // Every sandbox records its two grants (fs.mount); then what the plugin did.
                    List<AuditEvent> events = plugin.takeAudit().events();
                    long mounts = events.stream().filter(e -> e.what().equals("fs.mount")).count();
                    out.printf("audit trail (%d fs.mount events: the two grants, once per sandbox):%n", mounts);
                    for (AuditEvent e : events) {
                        if (!e.what().equals("fs.mount")) {
                            out.printf("  %-7s %-9s %s%n", e.decision(), e.what(), e.target());
                        }
                    }
                }

                // The same copy with too little fuel is stopped, however the plugin is written.
                Policy stingy = policy.toBuilder().fuel(TOO_LITTLE_FUEL).build();
                try (Plugin plugin = Plugin.builder(engine).wasmFile(Paths.plugin("copy_file.wasm")).policy(stingy).build()) {
                    plugin.call("copy_file", request("/in/a.txt", "/out/d.txt"));
                    throw new IllegalStateException("a budget of " + TOO_LITTLE_FUEL + " fuel did not stop the copy");
                } catch (FuelLimitException e) {
                    out.printf("with a budget of %d fuel: %s%n", TOO_LITTLE_FUEL, e.getMessage());
                }
            }
        } finally {
            try (Stream<Path> walk = Files.walk(tmp)) {
                walk.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }
    }
}
