package dev.nanoproc;

import java.nio.file.Path;

/**
 * Compiles and runs WebAssembly: share one engine across threads, plugins and runs. Plugins
 * made from an engine keep what they need alive, so closing the engine does not break them.
 *
 * <pre>{@code
 * try (Engine engine = Engine.builder().pooling(true).build()) { ... }
 * }</pre>
 */
public final class Engine extends NativeHandle {
    private static final int FUEL = 1;
    private static final int POOLING = 2;
    private static final int NO_CACHE = 4;

    private Engine(long handle) {
        super(handle, Native::engineFree, "engine");
    }

    /** An engine with the defaults: no fuel metering, on-demand allocation, compile cache on. */
    public static Engine create() throws NanoprocException {
        return builder().build();
    }

    /** A builder for an engine with options. */
    public static Builder builder() {
        return new Builder();
    }

    /** Options of an engine. */
    public static final class Builder {
        private int flags;
        private Path cacheDir;

        private Builder() {}

        /** Meter fuel, so policies and calls can set fuel budgets (a little slower). Default off. */
        public Builder fuel(boolean on) {
            flags = on ? flags | FUEL : flags & ~FUEL;
            return this;
        }

        /**
         * The pooling allocator (1,000 sandboxes of up to 1 GiB reserved up front), which makes a
         * fresh sandbox per call cost a few microseconds. Recommended for plugins. Default off.
         */
        public Builder pooling(boolean on) {
            flags = on ? flags | POOLING : flags & ~POOLING;
            return this;
        }

        /** Keep compiled code on disk between processes (default on). */
        public Builder compileCache(boolean on) {
            flags = on ? flags & ~NO_CACHE : flags | NO_CACHE;
            return this;
        }

        /** The compile cache's directory (default: $NANOPROC_CACHE_DIR, else the user's cache). */
        public Builder cacheDir(Path dir) {
            this.cacheDir = dir;
            return this;
        }

        /** Makes the engine. */
        public Engine build() throws NanoprocException {
            return new Engine(Native.engineNew(flags, cacheDir == null ? null : cacheDir.toString()));
        }
    }
}
