package dev.nanoproc;

/**
 * How many trusted keys ({@link Policy.Builder#trustKey}) must have signed a binary
 * ({@link Policy.Builder#requireSignature}; the C ABI's {@code nanoproc_signature_requirement}).
 * Unset, it is {@link #ANY} as soon as a key is trusted, {@link #NONE} otherwise.
 */
public enum SignatureRequirement {
    /** No signature needed, even with trusted keys. */
    NONE,
    /** A valid signature by at least one trusted key. */
    ANY,
    /** A valid signature by every trusted key. */
    ALL
}
