// Module integrity (docs/integrity.md): trusted keys, signature requirements, pinned digests,
// signed run receipts. Fixtures and their published test keys: examples/integrity.
using System;
using System.IO;
using System.Linq;
using System.Security.Cryptography;
using System.Text;
using static Nanoproc.Tests.Env;

namespace Nanoproc.Tests
{
    public static class IntegrityTests
    {
        private static string Fixture(string name) { return Path.Combine(Root, "examples", "integrity", name); }
        private static string PublisherPub { get { return Fixture("keys/publisher.pub"); } }
        private static string HostPub { get { return Fixture("keys/host.pub"); } }
        private static string HostKey { get { return Fixture("keys/host.key"); } }
        private static Wasm SignedHello { get { return Wasm.File(Fixture("bin/hello.signed.wasm")); } }

        /// <summary>Captures stdout and requires a signature by the examples' publisher key.</summary>
        private static Policy Trusting()
        {
            return new Policy { Stdout = OutputMode.Capture, TrustKeys = { PublisherPub } };
        }

        private static string Sha256Hex(byte[] bytes)
        {
            using (var sha = SHA256.Create())
                return string.Concat(sha.ComputeHash(bytes).Select(b => b.ToString("x2")));
        }

        [Test]
        public static void UnsignedIsRefused()
        {
            var e = Assert.Throws<IntegrityException>(() => Shared.Run(GuestWasm("hello.wasm"), Trusting()));
            Assert.Equal(ErrorKind.Integrity, e.Kind, "kind");
            Assert.True(e.Message.StartsWith("integrity: ", StringComparison.Ordinal), "prefix: " + e.Message);
            Assert.Contains("is not signed", e.Message);
            Assert.Contains("nanoproc sign --key", e.Message, "the hint");
            Assert.OneLine(e, 126);
        }

        [Test]
        public static void SignedFixtureRuns()
        {
            var o = Shared.Run(SignedHello, Trusting());
            Assert.Equal("hello from a nano-process\n", o.StdoutText, "stdout");
            Assert.Equal(0, o.ExitCode, "exit");
            Assert.Equal(null, o.Receipt, "no receipt unless asked for");
            // The same from bytes, with the builder methods.
            var bytes = File.ReadAllBytes(Fixture("bin/hello.signed.wasm"));
            o = Shared.Run(Wasm.FromBytes(bytes, "hello"), new Policy().WithOutput(OutputMode.Capture, OutputMode.Inherit)
                .WithTrustKey(PublisherPub).WithRequireSignature(SignatureRequirement.Any));
            Assert.Equal("hello from a nano-process\n", o.StdoutText, "stdout from bytes");
        }

        [Test]
        public static void FlippedByteIsRefused()
        {
            var bytes = File.ReadAllBytes(Fixture("bin/hello.signed.wasm"));
            bytes[bytes.Length - 300] ^= 1;
            var e = Assert.Throws<IntegrityException>(() => Shared.Run(Wasm.FromBytes(bytes, "hello"), Trusting()));
            Assert.Contains("was modified after it was signed", e.Message);
            Assert.OneLine(e, 126);
        }

        [Test]
        public static void SignedByAnotherKeyIsRefused()
        {
            // Only the publisher signed the fixture: trusting the host key alone refuses it, and
            // "all" of both keys does too, while "any" of both accepts it.
            var e = Assert.Throws<IntegrityException>(() => Shared.Run(SignedHello, new Policy { TrustKeys = { HostPub } }));
            Assert.Contains("not by one of 1 trusted keys", e.Message);
            e = Assert.Throws<IntegrityException>(() => Shared.Run(SignedHello,
                new Policy { TrustKeys = { PublisherPub, HostPub }, RequireSignature = SignatureRequirement.All }));
            Assert.Contains("not by all 2 trusted keys", e.Message);
            var o = Shared.Run(SignedHello, new Policy { Stdout = OutputMode.Capture, TrustKeys = { HostPub, PublisherPub } });
            Assert.Equal("hello from a nano-process\n", o.StdoutText, "any of two keys");
        }

        [Test]
        public static void RequireSignatureNoneRunsUnsigned()
        {
            var policy = Trusting().WithRequireSignature(SignatureRequirement.None);
            Assert.Equal("hello from a nano-process\n", Shared.Run(GuestWasm("hello.wasm"), policy).StdoutText, "stdout");
        }

        [Test]
        public static void PinnedDigests()
        {
            var e = Assert.Throws<IntegrityException>(() =>
                Shared.Run(GuestWasm("hello.wasm"), new Policy { PinSha256 = { new string('0', 64) } }));
            Assert.Contains("does not pin", e.Message);
            Assert.OneLine(e, 126);
            // The digest of the exact file (signature included) runs, with or without `sha256:`.
            var digest = Sha256Hex(File.ReadAllBytes(Fixture("bin/hello.signed.wasm")));
            var o = Shared.Run(SignedHello, new Policy { Stdout = OutputMode.Capture, PinSha256 = { new string('0', 64), digest } });
            Assert.Equal("hello from a nano-process\n", o.StdoutText, "pinned");
            o = Shared.Run(SignedHello, Trusting().WithPinSha256("sha256:" + digest));
            Assert.Equal("hello from a nano-process\n", o.StdoutText, "pinned and signed");
            // Both must hold: pinned but unsigned is refused under a trusted key.
            var unsigned = Sha256Hex(File.ReadAllBytes(Path.Combine(Root, "examples", "guests", "bin", "hello.wasm")));
            e = Assert.Throws<IntegrityException>(() => Shared.Run(GuestWasm("hello.wasm"), Trusting().WithPinSha256(unsigned)));
            Assert.Contains("is not signed", e.Message);
            Assert.Throws<PolicyException>(() => new Policy { PinSha256 = { "not-a-digest" } }.Validate());
        }

        [Test]
        public static void RequirementWithoutKeysIsAnInvalidPolicy()
        {
            var e = Assert.Throws<PolicyException>(() => new Policy { RequireSignature = SignatureRequirement.All }.Validate());
            Assert.OneLine(e, 125);
            Assert.Throws<PolicyException>(() => Shared.Run(GuestWasm("hello.wasm"), new Policy { RequireSignature = SignatureRequirement.All }));
            Assert.Throws<ArgumentOutOfRangeException>(() => new Policy { RequireSignature = (SignatureRequirement)9 }.Validate());
            // A key file that is not there, or a secret key where a public key belongs.
            Assert.Throws<NanoprocException>(() => new Policy { TrustKeys = { Fixture("keys/missing.pub") } }.Validate());
            Assert.Throws<NanoprocException>(() => new Policy { TrustKeys = { HostKey } }.Validate());
        }

        [Test]
        public static void PluginsAreChecked()
        {
            var policy = new Policy { TrustKeys = { PublisherPub } };
            var e = Assert.Throws<IntegrityException>(() => new Plugin(Shared, PluginWasm("echo.wasm"), new PluginOptions { Policy = policy }));
            Assert.Contains("is not signed", e.Message);
            Assert.OneLine(e, 126);
            using (var p = new Plugin(Shared, Wasm.File(Fixture("bin/echo.signed.wasm")), new PluginOptions { Policy = policy }))
                Assert.Equal("signed", S(p.Call("echo", B("signed"))), "echo");
        }

        [Test]
        public static void ReceiptsVerify()
        {
            var o = Shared.Run(SignedHello, Trusting(), receiptKey: HostKey);
            Assert.Equal("hello from a nano-process\n", o.StdoutText, "stdout");
            Assert.True(o.Receipt != null, "a receipt");
            var text = Encoding.UTF8.GetString(o.Receipt);
            Assert.Contains("\"format\": \"nanoproc-receipt/1\"", text);
            Assert.Contains("\"exit_code\": 0", text);
            Receipts.Verify(o.Receipt, HostPub);

            var e = Assert.Throws<IntegrityException>(() => Receipts.Verify(o.Receipt, PublisherPub), "another key");
            Assert.Contains("not by a trusted host key", e.Message);
            Assert.OneLine(e, 126);

            var edited = Encoding.UTF8.GetBytes(text.Replace("\"exit_code\": 0", "\"exit_code\": 7"));
            Assert.True(!edited.SequenceEqual(o.Receipt), "edited");
            e = Assert.Throws<IntegrityException>(() => Receipts.Verify(edited, HostPub), "edited");
            Assert.Contains("was modified after it was signed", e.Message);

            Assert.Throws<IntegrityException>(() => Receipts.Verify(new byte[0], HostPub), "empty");
            Assert.Throws<ArgumentNullException>(() => Receipts.Verify(null, HostPub));
        }

        [Test]
        public static void ReceiptsOfAsyncRunsAndBadKeys()
        {
            var o = Shared.RunAsync(Wasm.File(Fixture("bin/hello.signed.wasm")), Trusting(), receiptKey: HostKey).Result;
            Receipts.Verify(o.Receipt, HostPub);
            // An unsigned program under the default policy gets a receipt too.
            o = Shared.Run(GuestWasm("exit.wasm"), new Policy().WithArgs("3"), HostKey);
            Assert.Equal(3, o.ExitCode, "exit");
            Assert.Contains("\"exit_code\": 3", Encoding.UTF8.GetString(o.Receipt));
            Receipts.Verify(o.Receipt, HostPub);
            Assert.Throws<InvalidArgumentException>(() => Shared.Run(GuestWasm("exit.wasm"), null, ""), "empty key path");
            Assert.Throws<NanoprocException>(() => Shared.Run(GuestWasm("exit.wasm"), null, PublisherPub), "a public key to sign with");
        }
    }
}
