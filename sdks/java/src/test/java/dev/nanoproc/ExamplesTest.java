package dev.nanoproc;

import static org.junit.jupiter.api.Assertions.*;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.lang.reflect.Method;
import java.nio.charset.StandardCharsets;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/** Runs both examples (examples/) and checks what they print. */
class ExamplesTest {
    static String run(String cls) throws Exception {
        Method m = Class.forName("dev.nanoproc.examples." + cls).getDeclaredMethod("run", PrintStream.class);
        m.setAccessible(true);
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        try (PrintStream out = new PrintStream(buf, true, StandardCharsets.UTF_8)) {
            m.invoke(null, out);
        }
        return buf.toString(StandardCharsets.UTF_8);
    }

    /** Each pattern matches some line of {@code out}, in order. */
    static void wantLines(String out, String... patterns) {
        String[] lines = out.split("\n");
        int at = 0;
        for (String p : patterns) {
            Pattern re = Pattern.compile(p);
            while (at < lines.length && !re.matcher(lines[at]).find()) {
                at++;
            }
            assertTrue(at < lines.length, "no line matching /" + p + "/ (in order) in:\n" + out);
            at++;
        }
    }

    @Test
    void extend() throws Exception {
        String out = run("Extend");
        wantLines(out,
            "^copied 920 bytes with a budget of 30000 fuel; identical: true$",
            "^write into the read-only dir refused: plugin error: .*",
            "^file created in the input dir: false$",
            "^read outside the grants refused: plugin error: .*",
            "^audit trail \\(\\d+ fs.mount events",
            "^with a budget of 5000 fuel: fuel limit: ");
    }

    @Test
    void isolate() throws Exception {
        String out = run("Isolate");
        wantLines(out,
            "^call_host\\(alice\\) +-> \"plugin got: hello, alice\"$",
            "^call_host\\(mallory\\) +-> HostFunctionException: host function error: .*mallory is not welcome",
            "^call_host\\(bob\\) +-> \"plugin got: hello, bob\"$",
            "^audit trail of call_host:$",
            "allowed +host_fn +host::greet",
            "^echo\\(before\\) +-> \"before\"$",
            "^trap\\(\\) +-> TrapException: guest trap: ",
            "^spin\\(\\) with a 200 ms timeout +-> TimeLimitException: time limit: ",
            "^spin\\(\\) until cancelled +-> CancelledException: cancelled: ",
            "^grow\\(\\) within 16 MiB +-> MemoryLimitException: memory limit: ",
            "^echo\\(after\\) +-> \"after\"$",
            "^audit trail of echo:$",
            "denied +limit.memory",
            "^ungranted_host.wasm refused at load: denied: ");
    }
}
