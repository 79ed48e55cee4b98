package dev.nanoproc;

import static dev.nanoproc.Fixtures.*;
import static org.junit.jupiter.api.Assertions.*;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Nanoproc.run: WASI programs under a policy, with limits, outcomes and errors. */
class RunTest {
    static Policy.Builder capture() {
        return Policy.builder().stdout(OutputMode.CAPTURE).stderr(OutputMode.CAPTURE);
    }

    @Test
    void helloCapturesStdoutAndReportsUsage() throws Exception {
        for (String g : new String[] {"hello.wasm", "hello_p2.wasm"}) {
            Outcome o = Nanoproc.run(ENGINE, guest(g), capture().build());
            assertEquals(0, o.exitCode());
            assertTrue(o.success());
            assertTrue(o.error().isEmpty());
            assertEquals("hello from a nano-process\n", o.stdoutText(), g);
            assertEquals(o.stdout().length, o.usage().stdoutBytes());
            assertTrue(o.usage().peakMemoryBytes() > 0);
            assertFalse(o.usage().fuelMetered());
            assertTrue(o.json().contains("\"exit_code\":0") || o.json().contains("\"exit_code\": 0"), o.json());
        }
    }

    @Test
    void outputNotCapturedIsEmptyButCounted() throws Exception {
        Outcome o = Nanoproc.run(ENGINE, guest("hello.wasm"), Policy.builder().stdout(OutputMode.DISCARD).build());
        assertEquals(0, o.stdout().length);
        assertEquals("hello from a nano-process\n".length(), o.usage().stdoutBytes());
    }

    @Test
    void nullPolicyIsTheDefault() throws Exception {
        Outcome o = Nanoproc.run(ENGINE, guest("exit.wasm"), null);
        assertEquals(0, o.exitCode());
    }

    @Test
    void argsAndExitStatus() throws Exception {
        Outcome o = Nanoproc.run(ENGINE, guest("exit.wasm"), Policy.builder().args("7").build());
        assertEquals(7, o.exitCode());
        assertTrue(o.error().isEmpty(), "a guest's own status is no error");
        assertFalse(o.success());
    }

    @Test
    void stdinReachesTheGuest() throws Exception {
        Outcome o = Nanoproc.run(ENGINE, bytes(CAT_STDIN_WAT), "cat-stdin",
            capture().stdin(bytes("through stdin\n")).build());
        assertEquals("through stdin\n", o.stdoutText());
    }

    @Test
    void catNeedsADirGrant(@TempDir Path dir) throws Exception {
        Files.writeString(dir.resolve("a.txt"), "granted text\n");
        Outcome granted = Nanoproc.run(ENGINE, guest("cat.wasm"), capture().dir(dir, "/in").args("/in/a.txt").build());
        assertEquals(0, granted.exitCode(), granted.stderrText());
        assertEquals("granted text\n", granted.stdoutText());
        // Without the grant the file does not exist for the guest.
        Outcome denied = Nanoproc.run(ENGINE, guest("cat.wasm"), capture().args(dir.resolve("a.txt").toString()).build());
        assertEquals(1, denied.exitCode());
        assertEquals(0, denied.stdout().length);
        assertTrue(denied.stderrText().contains("cat: "), denied.stderrText());
    }

    @Test
    void copyBetweenReadOnlyAndWritableDirs(@TempDir Path in, @TempDir Path out) throws Exception {
        String data = "copied by a sandboxed program\n".repeat(100);
        Files.writeString(in.resolve("src.txt"), data);
        Outcome o = Nanoproc.run(ENGINE, guest("copy.wasm"),
            capture().dir(in, "/in").dir(out, "/out", true).args("/in/src.txt", "/out/dst.txt").build());
        assertEquals(0, o.exitCode(), o.stderrText());
        assertEquals(data, Files.readString(out.resolve("dst.txt")));
        // The read-only dir refuses the write; nothing appears on the host.
        o = Nanoproc.run(ENGINE, guest("copy.wasm"),
            capture().dir(in, "/in").dir(out, "/out", true).args("/in/src.txt", "/in/dst.txt").build());
        assertEquals(1, o.exitCode());
        assertTrue(o.stderrText().contains("copy: /in/dst.txt"), o.stderrText());
        assertFalse(Files.exists(in.resolve("dst.txt")));
    }

    @Test
    void envDeniedByDefaultGrantedByPolicy() throws Exception {
        Outcome none = Nanoproc.run(ENGINE, guest("env.wasm"), capture().build());
        assertEquals("", none.stdoutText());
        Outcome set = Nanoproc.run(ENGINE, guest("env.wasm"), capture().env("MODE", "granted").build());
        assertEquals("MODE=granted\n", set.stdoutText());
    }

    @Test
    void floodHitsTheOutputLimit() throws Exception {
        Outcome o = Nanoproc.run(ENGINE, guest("flood.wasm"), Policy.builder().stdout(OutputMode.DISCARD).maxOutput(4096).build());
        assertEquals(122, o.exitCode());
        NanoprocException e = o.error().orElseThrow();
        assertInstanceOf(OutputLimitException.class, e);
        assertInstanceOf(LimitExceededException.class, e);
        checkKind(e, ErrorKind.OUTPUT_LIMIT);
        assertEquals(122, e.exitCode());
        assertThrows(OutputLimitException.class, o::check);
    }

    @Test
    void spinHitsTheTimeLimit() throws Exception {
        Outcome o = Nanoproc.run(ENGINE, guest("spin.wasm"), Policy.builder().timeout(Duration.ofMillis(100)).build());
        assertEquals(124, o.exitCode());
        assertInstanceOf(TimeLimitException.class, o.error().orElseThrow());
        checkKind(o.error().orElseThrow(), ErrorKind.TIME_LIMIT);
    }

    @Test
    void fuelLimitNeedsAFuelEngine() throws Exception {
        Outcome o = Nanoproc.run(FUEL_ENGINE, guest("spin.wasm"), Policy.builder().fuel(1_000_000).build());
        assertEquals(124, o.exitCode());
        assertInstanceOf(FuelLimitException.class, o.error().orElseThrow());
        assertTrue(o.usage().fuelMetered());
        PolicyException e = assertKind(PolicyException.class, ErrorKind.INVALID_POLICY,
            () -> Nanoproc.run(ENGINE, guest("spin.wasm"), Policy.builder().fuel(1_000_000).build()));
        assertTrue(e.getMessage().contains("fuel"), e.getMessage());
        assertEquals(125, e.exitCode());
    }

    @Test
    void memoryLimit() throws Exception {
        Outcome o = Nanoproc.run(ENGINE, guest("memhog.wasm"),
            Policy.builder().maxMemory(16 << 20).stderr(OutputMode.DISCARD).build());
        assertEquals(121, o.exitCode());
        assertInstanceOf(MemoryLimitException.class, o.error().orElseThrow());
        assertTrue(o.usage().peakMemoryBytes() <= 16 << 20);
    }

    @Test
    void invalidModule() {
        InvalidModuleException e = assertKind(InvalidModuleException.class, ErrorKind.INVALID_MODULE,
            () -> Nanoproc.run(ENGINE, bytes("not wasm at all"), "junk", null));
        assertEquals(125, e.exitCode());
    }

    @Test
    void invalidPolicyIsRefusedAtBuild() {
        assertKind(PolicyException.class, ErrorKind.INVALID_POLICY, () -> Policy.builder().allowNet("not a pattern").build());
        assertKind(PolicyException.class, ErrorKind.INVALID_POLICY, () -> Policy.builder().wasiInterface("no-such-group", false).build());
        assertKind(PolicyException.class, ErrorKind.INVALID_POLICY, () -> Policy.builder().toml("no_such_key = 1", null).build());
    }

    @Test
    void missingModuleFileIsAnIoError() {
        assertKind(HostIoException.class, ErrorKind.IO, () -> Nanoproc.run(ENGINE, guest("no-such.wasm"), null));
    }

    @Test
    void policyFileAndFieldsOnTop(@TempDir Path dir) throws Exception {
        Files.createDirectory(dir.resolve("data"));
        Files.writeString(dir.resolve("data/note.txt"), "from the file's dir\n");
        Path file = dir.resolve("policy.toml");
        Files.writeString(file, """
            dirs = [{ host = "data", guest = "/data" }]
            environment = { MODE = "file" }
            [stdio]
            stdout = "capture"
            """);
        Outcome o = Nanoproc.run(ENGINE, guest("cat.wasm"), Policy.builder().tomlFile(file).args("/data/note.txt").build());
        assertEquals(0, o.exitCode());
        assertEquals("from the file's dir\n", o.stdoutText());
        o = Nanoproc.run(ENGINE, guest("env.wasm"), Policy.builder().tomlFile(file).env("MODE", "field").build());
        assertEquals("MODE=field\n", o.stdoutText());
    }

    @Test
    void deniedWasiInterfaceRefusesTheComponentAtLoad() {
        DeniedException e = assertKind(DeniedException.class, ErrorKind.DENIED,
            () -> Nanoproc.run(ENGINE, guest("net_p2.wasm"), Policy.builder().wasiInterface("sockets", false).build()));
        assertTrue(e.getMessage().contains("sockets"), e.getMessage());
    }

    @Test
    void auditTrailRecordsGrants(@TempDir Path dir) throws Exception {
        Outcome o = Nanoproc.run(ENGINE, guest("hello.wasm"), capture().dir(dir, "/data").build());
        assertTrue(o.json().contains("fs.mount"), o.json());
    }
}
