package dev.nanoproc;

import java.lang.ref.Reference;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;

/**
 * One sandbox of a plugin kept between calls, so the plugin's state persists (and a call
 * costs no instantiation). One call at a time: a second concurrent call is refused with
 * {@link InvalidArgumentException}, not raced. After a trap or a limit the sandbox is replaced
 * by a fresh one on the next call.
 */
public final class Instance extends NativeHandle {
    private final Plugin plugin;

    Instance(long handle, Plugin plugin) {
        super(handle, Native::instanceFree, "instance");
        this.plugin = plugin;
    }

    /** Calls {@code function} with {@code input} in this sandbox. */
    public byte[] call(String function, byte[] input) throws NanoprocException {
        return call(function, input, CallOptions.none());
    }

    /** Calls {@code function} with {@code input} in this sandbox, with per-call limits and cancellation. */
    public byte[] call(String function, byte[] input, CallOptions options) throws NanoprocException {
        byte[] name = plugin.name(function);
        Objects.requireNonNull(options, "options");
        long cancel = 0;
        if (options.cancel != null) {
            cancel = options.cancel.handle();
            if (options.cancel.isCancelled()) {
                throw CancelToken.cancelledBeforeStart();
            }
        }
        try {
            byte[] out = Native.instanceCall(handle(), name, input == null || input.length == 0 ? null : input,
                options.fuel, options.timeoutUs, options.maxMemory, cancel);
            return out == null ? Plugin.EMPTY : out;
        } finally {
            Reference.reachabilityFence(this);
            Reference.reachabilityFence(options);
        }
    }

    /** {@link Plugin#callAsync(String, byte[], CallOptions, Executor)} on this sandbox. */
    public CompletableFuture<byte[]> callAsync(String function, byte[] input, CallOptions options, Executor executor) {
        plugin.name(function);
        return Calls.async(opts -> call(function, input, opts), options, executor);
    }

    /** {@link #callAsync(String, byte[], CallOptions, Executor)} with no options on nanoproc's threads. */
    public CompletableFuture<byte[]> callAsync(String function, byte[] input) {
        return callAsync(function, input, CallOptions.none(), null);
    }
}
