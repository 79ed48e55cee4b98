package dev.nanoproc;

import static dev.nanoproc.Fixtures.*;
import static org.junit.jupiter.api.Assertions.*;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.HexFormat;
import org.junit.jupiter.api.Test;

/**
 * Module integrity (docs/integrity.md): trusted keys, signature requirements, pinned digests,
 * signed run receipts. Fixtures and their published test keys: examples/integrity.
 */
class IntegrityTest {
    static final Path DIR = ROOT.resolve("examples/integrity");
    static final Path PUBLISHER_PUB = DIR.resolve("keys/publisher.pub");
    static final Path HOST_PUB = DIR.resolve("keys/host.pub");
    static final Path HOST_KEY = DIR.resolve("keys/host.key");
    static final Path SIGNED_HELLO = DIR.resolve("bin/hello.signed.wasm");
    static final String HELLO = "hello from a nano-process\n";

    /** Captures stdout and requires a signature by the examples' publisher key. */
    static Policy.Builder trusting() {
        return Policy.builder().stdout(OutputMode.CAPTURE).trustKey(PUBLISHER_PUB);
    }

    static String sha256(Path file) throws Exception {
        return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(Files.readAllBytes(file)));
    }

    @Test
    void unsignedIsRefused() throws Exception {
        Policy policy = trusting().build();
        IntegrityException e = assertKind(IntegrityException.class, ErrorKind.INTEGRITY,
            () -> Nanoproc.run(ENGINE, guest("hello.wasm"), policy));
        assertEquals(126, e.exitCode());
        assertTrue(e.getMessage().startsWith("integrity: "), e.getMessage());
        assertTrue(e.getMessage().contains("is not signed"), e.getMessage());
        assertTrue(e.getMessage().contains("nanoproc sign --key"), "the hint: " + e.getMessage());
    }

    @Test
    void signedFixtureRuns() throws Exception {
        Outcome o = Nanoproc.run(ENGINE, SIGNED_HELLO, trusting().build());
        assertEquals(HELLO, o.stdoutText());
        assertEquals(0, o.exitCode());
        assertNull(o.receipt(), "no receipt unless asked for");
        o = Nanoproc.run(ENGINE, Files.readAllBytes(SIGNED_HELLO), "hello",
            trusting().requireSignature(SignatureRequirement.ANY).build());
        assertEquals(HELLO, o.stdoutText(), "from bytes");
    }

    @Test
    void flippedByteIsRefused() throws Exception {
        byte[] wasm = Files.readAllBytes(SIGNED_HELLO);
        wasm[wasm.length - 300] ^= 1;
        Policy policy = trusting().build();
        IntegrityException e = assertKind(IntegrityException.class, ErrorKind.INTEGRITY,
            () -> Nanoproc.run(ENGINE, wasm, "hello", policy));
        assertTrue(e.getMessage().contains("was modified after it was signed"), e.getMessage());
        assertEquals(126, e.exitCode());
    }

    @Test
    void signedByAnotherKeyOrNotByAll() throws Exception {
        // Only the publisher signed the fixture.
        Policy hostOnly = Policy.builder().trustKey(HOST_PUB).build();
        IntegrityException e = assertThrows(IntegrityException.class, () -> Nanoproc.run(ENGINE, SIGNED_HELLO, hostOnly));
        assertTrue(e.getMessage().contains("not by one of 1 trusted keys"), e.getMessage());
        Policy all = trusting().trustKey(HOST_PUB).requireSignature(SignatureRequirement.ALL).build();
        e = assertThrows(IntegrityException.class, () -> Nanoproc.run(ENGINE, SIGNED_HELLO, all));
        assertTrue(e.getMessage().contains("not by all 2 trusted keys"), e.getMessage());
        Outcome o = Nanoproc.run(ENGINE, SIGNED_HELLO, trusting().trustKey(HOST_PUB).build());
        assertEquals(HELLO, o.stdoutText(), "any of two keys");
    }

    @Test
    void requireSignatureNoneRunsUnsigned() throws Exception {
        Policy policy = trusting().requireSignature(SignatureRequirement.NONE).build();
        assertEquals(HELLO, Nanoproc.run(ENGINE, guest("hello.wasm"), policy).stdoutText());
    }

    @Test
    void pinnedDigests() throws Exception {
        Policy zeros = Policy.builder().pinSha256("0".repeat(64)).build();
        IntegrityException e = assertKind(IntegrityException.class, ErrorKind.INTEGRITY,
            () -> Nanoproc.run(ENGINE, guest("hello.wasm"), zeros));
        assertTrue(e.getMessage().contains("does not pin"), e.getMessage());
        assertEquals(126, e.exitCode());
        // The digest of the exact file (signature included) runs, with or without `sha256:`.
        String digest = sha256(SIGNED_HELLO);
        Outcome o = Nanoproc.run(ENGINE, SIGNED_HELLO,
            Policy.builder().stdout(OutputMode.CAPTURE).pinSha256("0".repeat(64)).pinSha256(digest).build());
        assertEquals(HELLO, o.stdoutText(), "pinned");
        o = Nanoproc.run(ENGINE, SIGNED_HELLO, trusting().pinSha256("sha256:" + digest).build());
        assertEquals(HELLO, o.stdoutText(), "pinned and signed");
        // Both must hold: pinned but unsigned is refused under a trusted key.
        Policy pinnedUnsigned = trusting().pinSha256(sha256(guest("hello.wasm"))).build();
        e = assertThrows(IntegrityException.class, () -> Nanoproc.run(ENGINE, guest("hello.wasm"), pinnedUnsigned));
        assertTrue(e.getMessage().contains("is not signed"), e.getMessage());
        assertKind(PolicyException.class, ErrorKind.INVALID_POLICY, () -> Policy.builder().pinSha256("not-a-digest").build());
    }

    @Test
    void requirementWithoutKeysIsAnInvalidPolicy() {
        PolicyException e = assertKind(PolicyException.class, ErrorKind.INVALID_POLICY,
            () -> Policy.builder().requireSignature(SignatureRequirement.ALL).build());
        assertEquals(125, e.exitCode());
        assertThrows(NanoprocException.class, () -> Policy.builder().trustKey(DIR.resolve("keys/missing.pub")).build());
        // A secret key where a public key belongs.
        assertThrows(NanoprocException.class, () -> Policy.builder().trustKey(HOST_KEY).build());
        assertThrows(NullPointerException.class, () -> Policy.builder().requireSignature(null));
    }

    @Test
    void pluginsAreChecked() throws Exception {
        Policy policy = Policy.builder().trustKey(PUBLISHER_PUB).build();
        IntegrityException e = assertKind(IntegrityException.class, ErrorKind.INTEGRITY,
            () -> pluginOf("echo.wasm").policy(policy).build().close());
        assertTrue(e.getMessage().contains("is not signed"), e.getMessage());
        assertEquals(126, e.exitCode());
        try (Plugin p = Plugin.builder(ENGINE).wasmFile(DIR.resolve("bin/echo.signed.wasm")).policy(policy).build()) {
            assertEquals("signed", text(p.call("echo", bytes("signed"))));
        }
    }

    @Test
    void receiptsVerify() throws Exception {
        Outcome o = Nanoproc.run(ENGINE, SIGNED_HELLO, trusting().build(), HOST_KEY);
        assertEquals(HELLO, o.stdoutText());
        byte[] receipt = o.receipt();
        assertNotNull(receipt, "a receipt");
        String text = new String(receipt, StandardCharsets.UTF_8);
        assertTrue(text.contains("\"format\": \"nanoproc-receipt/1\""), text);
        assertTrue(text.contains("\"exit_code\": 0"), text);
        Receipts.verify(receipt, HOST_PUB);

        IntegrityException e = assertKind(IntegrityException.class, ErrorKind.INTEGRITY,
            () -> Receipts.verify(receipt, PUBLISHER_PUB));
        assertTrue(e.getMessage().contains("not by a trusted host key"), e.getMessage());
        assertEquals(126, e.exitCode());

        byte[] edited = text.replace("\"exit_code\": 0", "\"exit_code\": 7").getBytes(StandardCharsets.UTF_8);
        assertFalse(java.util.Arrays.equals(receipt, edited), "edited");
        e = assertKind(IntegrityException.class, ErrorKind.INTEGRITY, () -> Receipts.verify(edited, HOST_PUB));
        assertTrue(e.getMessage().contains("was modified after it was signed"), e.getMessage());

        assertThrows(IntegrityException.class, () -> Receipts.verify(new byte[0], HOST_PUB), "empty");
        assertThrows(NullPointerException.class, () -> Receipts.verify(null, HOST_PUB));
    }

    @Test
    void receiptsOfUnsignedRunsFromBytesAndBadKeys() throws Exception {
        // An unsigned program under the default policy gets a receipt too, also when run from bytes.
        Outcome o = Nanoproc.run(ENGINE, Files.readAllBytes(guest("exit.wasm")), "exit",
            Policy.builder().args("3").build(), HOST_KEY);
        assertEquals(3, o.exitCode());
        assertTrue(new String(o.receipt(), StandardCharsets.UTF_8).contains("\"exit_code\": 3"));
        Receipts.verify(o.receipt(), HOST_PUB);
        // A public key to sign with is refused.
        assertThrows(NanoprocException.class, () -> Nanoproc.run(ENGINE, guest("exit.wasm"), null, PUBLISHER_PUB));
    }
}
