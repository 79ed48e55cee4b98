package dev.nanoproc;

import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;

/** Asynchronous calls whose future's {@code cancel} interrupts the guest. */
final class Calls {
    private Calls() {}

    /** A call given its options. */
    @FunctionalInterface
    interface Body {
        byte[] call(CallOptions options) throws NanoprocException;
    }

    private static final class Holder {
        static final AtomicInteger COUNT = new AtomicInteger();
        static final ExecutorService POOL = Executors.newCachedThreadPool(r -> {
            Thread t = new Thread(r, "nanoproc-call-" + COUNT.incrementAndGet());
            t.setDaemon(true);
            return t;
        });
    }

    /** A future cancelled through a nanoproc cancel token. */
    private static final class CallFuture extends CompletableFuture<byte[]> {
        private final CancelToken token;
        private final boolean ownsToken;
        private boolean done;

        CallFuture(CancelToken token, boolean ownsToken) {
            this.token = token;
            this.ownsToken = ownsToken;
        }

        @Override
        public boolean cancel(boolean mayInterruptIfRunning) {
            synchronized (this) {
                if (!done && !token.isClosed()) {
                    token.cancel();
                }
            }
            return super.cancel(mayInterruptIfRunning);
        }

        synchronized void finished() {
            done = true;
            if (ownsToken) {
                token.close();
            }
        }
    }

    static CompletableFuture<byte[]> async(Body body, CallOptions options, Executor executor) {
        Objects.requireNonNull(options, "options");
        boolean owns = options.cancel == null;
        CancelToken token = owns ? new CancelToken() : options.cancel;
        CallOptions opts = owns ? options.cancel(token) : options;
        CallFuture future = new CallFuture(token, owns);
        Runnable task = () -> {
            byte[] out = null;
            Throwable failure = null;
            try {
                if (!future.isDone()) {
                    out = body.call(opts);
                }
            } catch (Throwable t) {
                failure = t;
            } finally {
                future.finished();
            }
            if (failure != null) {
                future.completeExceptionally(failure);
            } else {
                future.complete(out);
            }
        };
        try {
            (executor == null ? Holder.POOL : executor).execute(task);
        } catch (RuntimeException e) {
            future.finished();
            future.completeExceptionally(e);
        }
        return future;
    }
}
