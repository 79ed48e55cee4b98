package dev.nanoproc;

import java.nio.file.Path;
import java.util.Objects;

/**
 * Checks signed run receipts ({@link Outcome#receipt()}, or a file written by
 * {@code nanoproc run --receipt}; docs/integrity.md).
 */
public final class Receipts {
    private Receipts() {}

    /**
     * Checks {@code receipt} (its JSON bytes) against the Ed25519 host public key in the file
     * {@code hostPublicKey} (from {@code nanoproc keygen}). Returns if that key signed it and
     * nothing changed since; otherwise throws an {@link IntegrityException} saying why (not
     * signed, signed by another key, modified after it was signed). A key file that cannot be
     * read is the exception the C ABI reports for it ({@link HostIoException}, ...).
     */
    public static void verify(byte[] receipt, Path hostPublicKey) throws NanoprocException {
        Objects.requireNonNull(receipt, "receipt");
        String key = Objects.requireNonNull(hostPublicKey, "hostPublicKey").toString();
        Native.receiptVerify(receipt, key);
    }
}
