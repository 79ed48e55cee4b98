// Package nanoproc runs untrusted WebAssembly as sandboxed nano-processes from Go.
//
// It is a thin, idiomatic layer over nanoproc's C ABI (crates/nanoproc-capi, include/nanoproc.h),
// linked statically. Three things matter:
//
//   - An [Engine] compiles and runs guests; make one per process and share it.
//   - A [Policy] says what a guest may do. The zero Policy denies everything: no files, no
//     environment variables, no network, no host functions; 1 GiB of memory.
//   - [Run] runs a WASI program once and returns its [Outcome]; a [Plugin] exposes the functions
//     of a plugin module or component, each [Plugin.Call] in a fresh sandbox, or many calls in one
//     kept sandbox through [Plugin.Instance].
//
// Every failure is an [*Error] whose Kind says what was violated; errors.Is matches it against
// the sentinel errors ([ErrFuelLimit], [ErrDenied], ...). Cancelling the context of a call
// interrupts the guest.
//
// Threads: an Engine and a Plugin are safe for concurrent use; an [Instance] runs one call at a
// time (a concurrent call fails with [ErrInvalidArgument]). Host functions and audit functions
// may run on any goroutine that calls the plugin, concurrently.
package nanoproc

/*
#cgo CFLAGS: -I${SRCDIR}/../../crates/nanoproc-capi/include
#include "shim.h"
*/
import "C"

import (
	"sync/atomic"
)

// Version is the version of the linked nanoproc library (e.g. "0.1.0").
func Version() string {
	return C.GoString(C.nanoproc_version())
}

// LiveObjects reports how many objects the C library has handed out and not yet had freed
// (handles of every type and output buffers). It returns to its old value once everything made
// since is closed: tests use it to prove nothing leaks.
func LiveObjects() int {
	return int(C.nanoproc_live_objects())
}

// ref guards a C handle: calls hold a use while they pass it to C, Close marks it closed, and
// whoever lets go last frees it. So a handle is never passed to C after it was freed (the C side
// could by then have reused its address for a new object), and Close never waits for a running
// call (the call frees it when it returns).
//
// state: bit 0 = closed, the rest = 2 × uses.
type ref struct {
	state atomic.Int64
}

// acquire takes a use; false if the handle is closed.
func (r *ref) acquire() bool {
	for {
		s := r.state.Load()
		if s&1 != 0 {
			return false
		}
		if r.state.CompareAndSwap(s, s+2) {
			return true
		}
	}
}

// acquireOnly takes the only use: 0 = taken, 1 = closed, 2 = in use by another call.
func (r *ref) acquireOnly() int {
	if r.state.CompareAndSwap(0, 2) {
		return 0
	}
	if r.state.Load()&1 != 0 {
		return 1
	}
	return 2
}

// release gives a use back; true if the caller must now free the handle.
func (r *ref) release() bool {
	return r.state.Add(-2) == 1
}

// close marks the handle closed; true if the caller must now free it (no use is running).
// False also when it was closed already.
func (r *ref) close() bool {
	for {
		s := r.state.Load()
		if s&1 != 0 {
			return false
		}
		if r.state.CompareAndSwap(s, s|1) {
			return s == 0
		}
	}
}
