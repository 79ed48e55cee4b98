package nanoproc

/*
#include "shim.h"
*/
import "C"

import (
	"context"
	"errors"
	"math"
	"time"
	"unsafe"
)

// CallOptions are per-call limits. A zero field keeps the plugin's policy; a non-zero one
// replaces the policy's value for this call (so it can raise it as well as lower it).
type CallOptions struct {
	// Fuel is the fuel budget of this call (needs an engine made WithFuel).
	Fuel uint64
	// Timeout is the wall-clock limit of this call (microsecond granularity). A context
	// deadline sooner than it takes its place.
	Timeout time.Duration
	// MaxMemory is the memory budget of this call, in bytes.
	MaxMemory uint64
}

// watch ties a per-call cancel token to a context: when the context ends, the token is
// cancelled (a token stays cancelled, so a cancel landing before the call took the token still
// stops it). When the context's deadline is the call's timeout too (deadlineIsTimeout),
// reaching it is left to nanoproc, which stops the call as a time limit.
type watch struct {
	tok  *C.nanoproc_cancel
	stop func() bool
	done chan struct{}
}

func startWatch(ctx context.Context, deadlineIsTimeout bool) *watch {
	w := &watch{
		tok:  C.nanoproc_cancel_new(),
		done: make(chan struct{}),
	}
	w.stop = context.AfterFunc(ctx, func() {
		defer close(w.done)
		if deadlineIsTimeout && errors.Is(ctx.Err(), context.DeadlineExceeded) {
			return
		}
		_ = takeError(C.nanoproc_cancel_cancel(w.tok))
	})
	return w
}

// end stops watching once the call returned, then frees the token (never while the watcher
// may still use it: its address could be reused by another call's token).
func (w *watch) end() {
	if !w.stop() {
		<-w.done
	}
	C.nanoproc_cancel_free(w.tok)
}

// policyTimeout is what an SDK knows of a plugin's policy timeout: a per-call timeout replaces
// the policy's (nanoproc_call_options.timeout_us), so a context's deadline may become the
// call's timeout only when it is sooner than the policy's, never loosening it.
type policyTimeout struct {
	d     time.Duration // 0: none
	known bool          // false: set by a policy file, which the C ABI cannot read back
}

func (p *Policy) timeoutLimit() policyTimeout {
	switch {
	case p == nil:
		return policyTimeout{known: true}
	case p.Timeout > 0: // the field applies after any file
		return policyTimeout{d: p.Timeout, known: true}
	case p.File == "" && p.TOML == "":
		return policyTimeout{known: true}
	}
	return policyTimeout{}
}

// setup fills opts for a call under ctx with o: the limits, the context's deadline as the
// timeout when that does not loosen the call's limit, and a cancel token when ctx can end (then
// call w.end() after). ok is false when no option applies (pass NULL).
func setup(ctx context.Context, o *CallOptions, pt policyTimeout, opts *C.nanoproc_call_options) (w *watch, ok bool, err error) {
	timeout := o.Timeout
	deadlineIsTimeout := false
	if deadline, has := ctx.Deadline(); has {
		left := time.Until(deadline)
		if left <= 0 {
			return nil, false, ctxError(ctx, context.DeadlineExceeded)
		}
		switch {
		case timeout > 0: // an explicit per-call timeout replaces the policy's anyway
			if left < timeout {
				timeout = left
			}
			deadlineIsTimeout = true
		case pt.known && pt.d > 0 && pt.d <= left: // the policy's timeout comes first
			deadlineIsTimeout = true
		case pt.known:
			timeout, deadlineIsTimeout = left, true
		}
		// Otherwise the policy's timeout is unknown: the watcher cancels at the deadline.
	}
	if ctx.Done() != nil {
		if err := ctx.Err(); err != nil {
			return nil, false, ctxError(ctx, err)
		}
		w = startWatch(ctx, deadlineIsTimeout)
	}
	if w == nil && o.Fuel == 0 && timeout <= 0 && o.MaxMemory == 0 {
		return nil, false, nil
	}
	*opts = C.nanoproc_call_options{fuel: C.uint64_t(o.Fuel), max_memory: C.uint64_t(o.MaxMemory)}
	if timeout > 0 {
		us := (timeout + time.Microsecond - 1) / time.Microsecond // rounded up: never 0 (none)
		opts.timeout_us = C.uint64_t(us)
	}
	if w != nil {
		opts.cancel = w.tok
	}
	return w, true, nil
}

// ctxError is the error of a call not started because its context had ended already.
func ctxError(ctx context.Context, cause error) error {
	if err := ctx.Err(); err != nil {
		cause = err
	}
	kind, detail := KindCancelled, "cancelled"
	if errors.Is(cause, context.DeadlineExceeded) {
		kind, detail = KindTimeLimit, "the context's deadline passed before the call started"
	}
	return &Error{Kind: kind, Message: kind.String() + ": " + detail, Detail: detail, ExitCode: 124, wrapped: []error{cause}}
}

// finishError adds the context's error to err when the context is why the call stopped.
func finishError(ctx context.Context, err error) error {
	e, ok := err.(*Error)
	if !ok {
		return err
	}
	switch e.Kind {
	case KindCancelled:
		if cerr := ctx.Err(); cerr != nil {
			e.wrapped = append(e.wrapped, cerr)
		}
	case KindTimeLimit:
		if deadline, has := ctx.Deadline(); has && !time.Now().Before(deadline) {
			e.wrapped = append(e.wrapped, context.DeadlineExceeded)
		}
	}
	return err
}

// takeOutput copies the output buffer into Go memory (appended to dst when appending) and
// frees it.
func takeOutput(out *C.nanoproc_buf, dst []byte, appending bool) []byte {
	if out.data == nil || out.len == 0 {
		if appending {
			return dst
		}
		return []byte{}
	}
	var b []byte
	switch {
	case appending:
		b = append(dst, unsafe.Slice((*byte)(unsafe.Pointer(out.data)), int(out.len))...)
	case out.len <= math.MaxInt32:
		b = C.GoBytes(unsafe.Pointer(out.data), C.int(out.len)) // no zeroing before the copy
	default:
		b = make([]byte, int(out.len))
		copy(b, unsafe.Slice((*byte)(unsafe.Pointer(out.data)), int(out.len)))
	}
	C.nanoproc_buf_free(out)
	return b
}

// cName and cInput pass Go memory to C without copying: nanoproc reads it only during the call.
func cName(name string) (*C.char, C.size_t) {
	return (*C.char)(unsafe.Pointer(unsafe.StringData(name))), C.size_t(len(name))
}

func cInput(input []byte) (*C.uint8_t, C.size_t) {
	return (*C.uint8_t)(unsafe.Pointer(unsafe.SliceData(input))), C.size_t(len(input))
}
