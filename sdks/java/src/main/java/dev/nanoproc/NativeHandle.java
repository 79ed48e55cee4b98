package dev.nanoproc;

import java.lang.ref.Cleaner;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongConsumer;

/**
 * A native handle owned by a Java object: {@link #close()} frees it once (later calls do
 * nothing), use after close is an {@link IllegalStateException}, and a {@link Cleaner} frees
 * it if the owner is collected unclosed. Freeing a handle another thread is using is safe
 * (the C ABI keeps the object alive until that use ends).
 */
abstract class NativeHandle implements AutoCloseable {
    static final Cleaner CLEANER = Cleaner.create();

    /** The handle and its free function, kept apart from the owner so the Cleaner can run. */
    private static final class State implements Runnable {
        final AtomicLong handle;
        final LongConsumer free;

        State(long handle, LongConsumer free) {
            this.handle = new AtomicLong(handle);
            this.free = free;
        }

        @Override
        public void run() {
            long h = handle.getAndSet(0);
            if (h != 0) {
                free.accept(h);
            }
        }
    }

    private final State state;
    private final Cleaner.Cleanable cleanable;
    private final String what;

    NativeHandle(long handle, LongConsumer free, String what) {
        this.state = new State(handle, free);
        this.cleanable = CLEANER.register(this, state);
        this.what = what;
    }

    /** The live handle; {@link IllegalStateException} once closed. */
    final long handle() {
        long h = state.handle.get();
        if (h == 0) {
            throw new IllegalStateException("this " + what + " is closed");
        }
        return h;
    }

    /** Whether {@link #close()} was called. */
    public final boolean isClosed() {
        return state.handle.get() == 0;
    }

    /** Frees the native object; idempotent. */
    @Override
    public void close() {
        cleanable.clean();
    }
}
