package dev.nanoproc;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;

/**
 * What a sandbox may do, and its limits. Starts as nanoproc's default policy: no directories,
 * no environment variables, no network, no host functions, 1 GiB memory, no fuel or time
 * limit, stdin empty, stdout and stderr inherited. Immutable and thread-safe; made with
 * {@link #builder()}, whose {@link Builder#build()} validates it (a bad value is a
 * {@link PolicyException} naming it).
 *
 * <pre>{@code
 * Policy policy = Policy.builder()
 *     .dir(Path.of("data"), "/data")                 // read-only
 *     .dir(Path.of("out"), "/out", true)             // writable
 *     .env("LANG", "C")
 *     .maxMemory(64 << 20)
 *     .timeout(Duration.ofSeconds(2))
 *     .build();
 * }</pre>
 */
public final class Policy {
    /** One setter, replayed onto a native policy builder. */
    @FunctionalInterface
    private interface Step {
        void apply(long policy) throws NanoprocException;
    }

    private static final Policy DEFAULT = new Policy(List.of());

    private final List<Step> steps;

    private Policy(List<Step> steps) {
        this.steps = List.copyOf(steps);
    }

    /** The default, deny-everything policy. */
    public static Policy defaults() {
        return DEFAULT;
    }

    /** A builder starting from the default policy. */
    public static Builder builder() {
        return new Builder(List.of());
    }

    /** A builder starting from this policy's settings. */
    public Builder toBuilder() {
        return new Builder(steps);
    }

    /** A native policy builder with this policy's settings; the caller frees it. */
    long toNative() throws NanoprocException {
        long p = Native.policyNew();
        try {
            for (Step s : steps) {
                s.apply(p);
            }
            return p;
        } catch (NanoprocException | RuntimeException | Error e) {
            Native.policyFree(p);
            throw e;
        }
    }

    /** Runs {@code body} with a native copy of this policy, freed after. */
    <T> T withNative(NativeBody<T> body) throws NanoprocException {
        long p = toNative();
        try {
            return body.apply(p);
        } finally {
            Native.policyFree(p);
        }
    }

    /** Code given a native policy handle. */
    @FunctionalInterface
    interface NativeBody<T> {
        T apply(long policy) throws NanoprocException;
    }

    /** Sets up a {@link Policy}; setters apply in order, later ones override earlier ones. */
    public static final class Builder {
        private final List<Step> steps;

        private Builder(List<Step> steps) {
            this.steps = new ArrayList<>(steps);
        }

        private Builder add(Step s) {
            steps.add(s);
            return this;
        }

        /** Mounts host directory {@code host} at guest path {@code guest}, read-only. */
        public Builder dir(Path host, String guest) {
            return dir(host, guest, false);
        }

        /** Mounts host directory {@code host} at guest path {@code guest}; writes only if {@code writable}. */
        public Builder dir(Path host, String guest, boolean writable) {
            String h = Objects.requireNonNull(host, "host").toString();
            Objects.requireNonNull(guest, "guest");
            return add(p -> Native.policyDir(p, h, guest, writable));
        }

        /** Sets environment variable {@code name} to {@code value} for the guest. */
        public Builder env(String name, String value) {
            Objects.requireNonNull(name, "name");
            Objects.requireNonNull(value, "value");
            return add(p -> Native.policyString(p, 0, name, value));
        }

        /** Passes the host's environment variable {@code name} through (if it is set). */
        public Builder inheritEnv(String name) {
            Objects.requireNonNull(name, "name");
            return add(p -> Native.policyString(p, 1, name, null));
        }

        /** Appends arguments (after the program's name) for {@link Nanoproc#run}. */
        public Builder args(String... args) {
            for (String a : args) {
                Objects.requireNonNull(a, "arg");
                add(p -> Native.policyString(p, 2, a, null));
            }
            return this;
        }

        /** The guest's stdin: these bytes (copied), then end of file. */
        public Builder stdin(byte[] data) {
            byte[] copy = Arrays.copyOf(Objects.requireNonNull(data, "data"), data.length);
            return add(p -> Native.policyStdin(p, copy));
        }

        /** Where the guest's stdout goes (default {@link OutputMode#INHERIT}). */
        public Builder stdout(OutputMode mode) {
            int m = Objects.requireNonNull(mode, "mode").ordinal();
            return add(p -> Native.policyNumber(p, 5, m));
        }

        /** Where the guest's stderr goes (default {@link OutputMode#INHERIT}). */
        public Builder stderr(OutputMode mode) {
            int m = Objects.requireNonNull(mode, "mode").ordinal();
            return add(p -> Native.policyNumber(p, 6, m));
        }

        /** Allows outgoing connections matching {@code pattern} ({@code host:port}, {@code *:443}, {@code 10.0.0.0/8:*}). */
        public Builder allowNet(String pattern) {
            Objects.requireNonNull(pattern, "pattern");
            return add(p -> Native.policyString(p, 3, pattern, null));
        }

        /** Allows outgoing HTTP requests of components to {@code origin} ({@code https://api.example.com}). */
        public Builder allowHttp(String origin) {
            Objects.requireNonNull(origin, "origin");
            return add(p -> Native.policyString(p, 4, origin, null));
        }

        /** Grants host function {@code grant} to plugins: {@code namespace::name} or {@code namespace::*}. */
        public Builder allowHostFunction(String grant) {
            Objects.requireNonNull(grant, "grant");
            return add(p -> Native.policyString(p, 5, grant, null));
        }

        /**
         * Switches a WASI preview 2 interface group on or off: {@code environment}, {@code exit},
         * {@code stdio}, {@code clocks}, {@code random}, {@code filesystem}, {@code tcp},
         * {@code udp}, {@code ip-name-lookup}, {@code http} or {@code sockets}.
         */
        public Builder wasiInterface(String name, boolean on) {
            Objects.requireNonNull(name, "name");
            return add(p -> Native.policyWasiInterface(p, name, on));
        }

        /** The budget for all linear memories and tables together, in bytes (default 1 GiB). */
        public Builder maxMemory(long bytes) {
            return add(p -> Native.policyNumber(p, 0, bytes));
        }

        /** The fuel budget per run or call (needs an engine with fuel); 0 removes it. */
        public Builder fuel(long fuel) {
            return add(p -> Native.policyNumber(p, 1, fuel));
        }

        /** The wall-clock limit per run or call (millisecond precision); null or zero removes it. */
        public Builder timeout(Duration timeout) {
            long ms = timeout == null ? 0 : Math.max(timeout.toMillis(), timeout.isZero() ? 0 : 1);
            return add(p -> Native.policyNumber(p, 2, ms));
        }

        /** The cap on bytes written to stdout, and separately to stderr; 0 removes it. */
        public Builder maxOutput(long bytes) {
            return add(p -> Native.policyNumber(p, 3, bytes));
        }

        /** The bytes by which the guest may grow files in writable directories; 0 removes it. */
        public Builder diskQuota(long bytes) {
            return add(p -> Native.policyNumber(p, 4, bytes));
        }

        /**
         * Trusts the Ed25519 public key in the file {@code publicKey} (PEM, from
         * {@code nanoproc keygen}): the binary must then carry a valid signature by a trusted key
         * (by all of them with {@link SignatureRequirement#ALL}), checked before it is compiled,
         * or it does not run ({@link IntegrityException}, exit code 126). Repeatable.
         */
        public Builder trustKey(Path publicKey) {
            String k = Objects.requireNonNull(publicKey, "publicKey").toString();
            return add(p -> Native.policyString(p, 6, k, null));
        }

        /**
         * How many trusted keys must have signed the binary; unset, {@link SignatureRequirement#ANY}
         * once a key is trusted. A requirement other than {@code NONE} without a trusted key is a
         * {@link PolicyException}.
         */
        public Builder requireSignature(SignatureRequirement requirement) {
            int r = Objects.requireNonNull(requirement, "requirement").ordinal();
            return add(p -> Native.policyNumber(p, 7, r));
        }

        /**
         * Pins a SHA-256 digest the binary may have (64 hex digits, {@code sha256:} prefix
         * allowed; the exact file's, signature included): with pins, any other binary is refused
         * ({@link IntegrityException}). Repeatable.
         */
        public Builder pinSha256(String digest) {
            Objects.requireNonNull(digest, "digest");
            return add(p -> Native.policyString(p, 7, digest, null));
        }

        /**
         * Applies a policy file's TOML text ({@code docs/policy.md}) on top of what is set;
         * relative paths in it are resolved against {@code baseDir} (null: the current directory).
         */
        public Builder toml(String toml, Path baseDir) {
            Objects.requireNonNull(toml, "toml");
            String base = baseDir == null ? null : baseDir.toString();
            return add(p -> Native.policyApplyToml(p, toml, base));
        }

        /** Applies the policy file at {@code file}, relative paths resolved against its directory. */
        public Builder tomlFile(Path file) throws java.io.IOException {
            String text = java.nio.file.Files.readString(file);
            Path parent = file.toAbsolutePath().getParent();
            return toml(text, parent);
        }

        /** Validates the settings and returns the policy; {@link PolicyException} names a bad value. */
        public Policy build() throws NanoprocException {
            Policy policy = new Policy(steps);
            policy.withNative(p -> {
                Native.policyValidate(p);
                return null;
            });
            return policy;
        }
    }
}
