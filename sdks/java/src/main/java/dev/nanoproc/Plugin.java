package dev.nanoproc;

import java.lang.ref.Reference;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;

/**
 * A compiled plugin: bytes-in, bytes-out functions ({@code docs/abi.md}) in a core module or a
 * {@code nanoproc:plugin} component. Every {@link #call} runs in a fresh sandbox, so calls
 * share nothing; {@link #instance()} keeps one sandbox between calls instead. Thread-safe:
 * call it from many threads at once.
 *
 * <pre>{@code
 * try (Plugin plugin = Plugin.builder(engine)
 *         .wasmFile(Path.of("call_host.wasm"))
 *         .policy(Policy.builder().allowHostFunction("host::greet").build())
 *         .hostFunction("host", "greet", in -> ("hello, " + new String(in, UTF_8)).getBytes(UTF_8))
 *         .build()) {
 *     byte[] out = plugin.call("call_host", "world".getBytes(UTF_8));
 * }
 * }</pre>
 */
public final class Plugin extends NativeHandle {
    static final byte[] EMPTY = new byte[0];

    private final ConcurrentHashMap<String, byte[]> names = new ConcurrentHashMap<>();

    private Plugin(long handle) {
        super(handle, Native::pluginFree, "plugin");
    }

    /** A builder for a plugin on {@code engine}. */
    public static Builder builder(Engine engine) {
        return new Builder(Objects.requireNonNull(engine, "engine"));
    }

    /** The UTF-8 bytes of a function name, cached (names are few and called often). */
    byte[] name(String function) {
        Objects.requireNonNull(function, "function");
        byte[] b = names.get(function);
        if (b == null) {
            b = function.getBytes(StandardCharsets.UTF_8);
            if (names.size() < 1024) {
                names.put(function, b);
            }
        }
        return b;
    }

    /** Calls {@code function} with {@code input} in a fresh sandbox under the policy's limits. */
    public byte[] call(String function, byte[] input) throws NanoprocException {
        return call(function, input, CallOptions.none());
    }

    /**
     * Calls {@code function} with {@code input} in a fresh sandbox, with per-call limits and
     * cancellation. Failures are the exception of their kind: {@link PluginException} (the
     * plugin reported one), {@link TrapException}, {@link LimitExceededException}s,
     * {@link HostFunctionException}, {@link CancelledException}, {@link AbiViolationException}.
     */
    public byte[] call(String function, byte[] input, CallOptions options) throws NanoprocException {
        byte[] name = name(function);
        Objects.requireNonNull(options, "options");
        long cancel = 0;
        if (options.cancel != null) {
            cancel = options.cancel.handle();
            if (options.cancel.isCancelled()) {
                throw CancelToken.cancelledBeforeStart();
            }
        }
        try {
            byte[] out = Native.pluginCall(handle(), name, input == null || input.length == 0 ? null : input,
                options.fuel, options.timeoutUs, options.maxMemory, cancel);
            return out == null ? EMPTY : out;
        } finally {
            Reference.reachabilityFence(this);
            Reference.reachabilityFence(options);
        }
    }

    /** {@link #call(String, byte[], CallOptions)} on another thread; see {@link Calls#async}. */
    public CompletableFuture<byte[]> callAsync(String function, byte[] input) {
        return callAsync(function, input, CallOptions.none(), null);
    }

    /**
     * Runs {@link #call(String, byte[], CallOptions)} on {@code executor} (null: nanoproc's
     * daemon threads). Cancelling the future interrupts the guest through a cancel token (the
     * options' token if they have one, else a new one): the call stops with
     * {@link CancelledException} and the future is cancelled.
     */
    public CompletableFuture<byte[]> callAsync(String function, byte[] input, CallOptions options, Executor executor) {
        name(function);
        return Calls.async(opts -> call(function, input, opts), options, executor);
    }

    /** A sandbox of this plugin that is kept between calls (its state persists). */
    public Instance instance() throws NanoprocException {
        try {
            return new Instance(Native.instanceNew(handle()), this);
        } finally {
            Reference.reachabilityFence(this);
        }
    }

    /** Cancels every call running on this plugin (from any thread); later calls run normally. */
    public void cancelAll() throws NanoprocException {
        Native.pluginCancel(handle());
    }

    /** The names of the functions the plugin exports. */
    public List<String> functions() throws NanoprocException {
        return List.of(Native.pluginFunctions(handle()));
    }

    /** Whether the plugin is a {@code nanoproc:plugin} component (else a core module). */
    public boolean isComponent() throws NanoprocException {
        return Native.pluginIsComponent(handle());
    }

    /**
     * The audit events the plugin kept since the last take (grants, uses, denials, limits, of
     * every call and instance), emptying the store.
     */
    public AuditTrail takeAudit() throws NanoprocException {
        String[] flat = Native.pluginAuditTake(handle());
        List<AuditEvent> events = new ArrayList<>((flat.length - 1) / 5);
        for (int i = 1; i + 4 < flat.length; i += 5) {
            long t;
            try {
                t = Long.parseLong(flat[i]);
            } catch (NumberFormatException e) {
                t = 0;
            }
            events.add(new AuditEvent(Instant.ofEpochMilli(t), flat[i + 1], flat[i + 2], flat[i + 3], flat[i + 4]));
        }
        long dropped = flat.length > 0 ? Long.parseLong(flat[0]) : 0;
        return new AuditTrail(List.copyOf(events), dropped);
    }

    /** Sets up a {@link Plugin}. Reusable: each {@link #build()} makes a new plugin. */
    public static final class Builder {
        @FunctionalInterface
        private interface Step {
            void apply(long builder) throws NanoprocException;
        }

        private final Engine engine;
        private final List<Step> steps = new ArrayList<>();
        private boolean hasCode;

        private Builder(Engine engine) {
            this.engine = engine;
        }

        /** The plugin's code: the {@code .wasm} file at {@code path} (read when built). */
        public Builder wasmFile(Path path) {
            String p = Objects.requireNonNull(path, "path").toString();
            hasCode = true;
            steps.add(b -> Native.builderString(b, 0, p, null));
            return this;
        }

        /** The plugin's code: Wasm bytes (binary or text format), copied. */
        public Builder wasmBytes(byte[] wasm) {
            byte[] copy = Arrays.copyOf(Objects.requireNonNull(wasm, "wasm"), wasm.length);
            hasCode = true;
            steps.add(b -> Native.builderWasmBytes(b, copy));
            return this;
        }

        /** The plugin's name in errors and the audit trail (default: the file name). */
        public Builder name(String name) {
            Objects.requireNonNull(name, "name");
            steps.add(b -> Native.builderString(b, 1, name, null));
            return this;
        }

        /** The plugin's policy (default: deny everything). */
        public Builder policy(Policy policy) {
            Objects.requireNonNull(policy, "policy");
            steps.add(b -> policy.withNative(p -> {
                Native.builderPolicy(b, p);
                return null;
            }));
            return this;
        }

        /** A configuration value the plugin reads with {@code config_get}. */
        public Builder config(String key, String value) {
            Objects.requireNonNull(key, "key");
            Objects.requireNonNull(value, "value");
            steps.add(b -> Native.builderString(b, 2, key, value));
            return this;
        }

        /**
         * Registers host function {@code namespace::name}. The plugin can import it only if its
         * policy grants it ({@link Policy.Builder#allowHostFunction(String)}); else building
         * fails with {@link DeniedException}.
         */
        public Builder hostFunction(String namespace, String name, HostFunction fn) {
            Objects.requireNonNull(fn, "fn");
            return hostFunction(namespace, name, (HostCallFunction) (call, input) -> fn.apply(input));
        }

        /** Registers host function {@code qualified} ({@code "namespace::name"}), as {@link #hostFunction(String, String, HostFunction)}. */
        public Builder hostFunction(String qualified, HostFunction fn) {
            Objects.requireNonNull(qualified, "qualified");
            int i = qualified.indexOf("::");
            if (i < 0) {
                throw badName(qualified);
            }
            return hostFunction(qualified.substring(0, i), qualified.substring(i + 2), fn);
        }

        private static InvalidArgumentException badName(String qualified) {
            String detail = "host function `" + qualified + "`: give it as \"namespace::name\" (both non-empty)";
            return new InvalidArgumentException(2, "invalid argument: " + detail, detail);
        }

        /** Registers a host function that also sees the {@link HostCall} it serves. */
        public Builder hostFunction(String namespace, String name, HostCallFunction fn) {
            Objects.requireNonNull(namespace, "namespace");
            Objects.requireNonNull(name, "name");
            if (namespace.isEmpty() || name.isEmpty() || name.contains("::")) {
                throw badName(namespace + "::" + name);
            }
            HostFunctionBridge bridge = new HostFunctionBridge(Objects.requireNonNull(fn, "fn"));
            steps.add(b -> Native.builderHostFn(b, namespace, name, bridge));
            return this;
        }

        /** How many audit events the plugin keeps for {@link Plugin#takeAudit()} (default 1024; 0 none). */
        public Builder auditKeep(long maxEvents) {
            if (maxEvents < 0) {
                throw new IllegalArgumentException("maxEvents must not be negative");
            }
            steps.add(b -> Native.builderAuditKeep(b, maxEvents));
            return this;
        }

        /** Also streams every audit event to {@code listener}. */
        public Builder auditListener(AuditListener listener) {
            AuditBridge bridge = new AuditBridge(Objects.requireNonNull(listener, "listener"));
            steps.add(b -> Native.builderAuditCallback(b, bridge));
            return this;
        }

        /**
         * Loads, checks and compiles the plugin: {@link InvalidModuleException},
         * {@link DeniedException} (an import the policy does not grant), {@link PolicyException},
         * {@link HostIoException}.
         */
        public Plugin build() throws NanoprocException {
            if (!hasCode) {
                throw new IllegalStateException("no plugin code: call wasmFile or wasmBytes first");
            }
            long b = Native.builderNew(engine.handle());
            try {
                for (Step s : steps) {
                    s.apply(b);
                }
            } catch (NanoprocException | RuntimeException | Error e) {
                Native.builderFree(b);
                throw e;
            }
            try {
                return new Plugin(Native.builderBuild(b));
            } finally {
                Reference.reachabilityFence(engine);
            }
        }
    }
}
