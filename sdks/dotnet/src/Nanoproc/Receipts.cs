// Run receipts (docs/integrity.md): made by Engine.Run(..., receiptKey:), checked here.
using System;

namespace Nanoproc
{
    /// <summary>
    /// Checks signed run receipts (<see cref="Outcome.Receipt"/>, or a file written by
    /// <c>nanoproc run --receipt</c>).
    /// </summary>
    public static class Receipts
    {
        /// <summary>
        /// Checks <paramref name="receipt"/> (its JSON bytes) against the Ed25519 host public key
        /// in the file at <paramref name="hostPublicKeyPath"/> (from <c>nanoproc keygen</c>).
        /// Returns if that key signed it and nothing changed since; otherwise throws an
        /// <see cref="IntegrityException"/> saying why (not signed, signed by another key,
        /// modified after it was signed). A key file that cannot be read is a
        /// <see cref="NanoprocIOException"/> (or whatever the C ABI reports for it).
        /// </summary>
        public static unsafe void Verify(byte[] receipt, string hostPublicKeyPath)
        {
            if (receipt == null) throw new ArgumentNullException("receipt");
            if (hostPublicKeyPath == null) throw new ArgumentNullException("hostPublicKeyPath");
            fixed (byte* p = receipt)
                Native.Check(Native.nanoproc_receipt_verify(p, (UIntPtr)receipt.Length, Native.Utf8z(hostPublicKeyPath)));
        }
    }
}
