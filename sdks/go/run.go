package nanoproc

/*
#include "shim.h"
*/
import "C"

import (
	"context"
	"encoding/json"
	"time"
	"unsafe"
)

// Usage is what a run used.
type Usage struct {
	// FuelMetered says whether fuel was metered (then FuelConsumed is meaningful).
	FuelMetered bool
	// FuelConsumed is the fuel the guest used.
	FuelConsumed uint64
	// PeakMemory is the peak bytes of all memories and tables together.
	PeakMemory uint64
	// WallTime is the time from instantiation to exit.
	WallTime time.Duration
	// StdoutBytes and StderrBytes are the bytes the guest wrote to each stream.
	StdoutBytes, StderrBytes uint64
	// PeakFDs is the most descriptors the guest held open at once.
	PeakFDs uint64
}

// Outcome is the result of [Run]: how the program ended, what it printed (when captured) and
// used, and the audit trail. It is a plain Go value (nothing to close).
type Outcome struct {
	// ExitCode is the guest's own exit status, or nanoproc's code for what stopped it (121
	// memory, 122 output, 123 trap, 124 time or fuel; docs/cli.md).
	ExitCode int
	// Stdout and Stderr are the captured streams (empty unless the policy captures them).
	Stdout, Stderr []byte
	// Usage is what the run used.
	Usage Usage
	// Events is the audit trail: what the guest was allowed and denied.
	Events []AuditEvent
	// Denials are the events that were refusals.
	Denials []AuditEvent
	// EventsDropped counts events left out of Events (beyond what nanoproc keeps).
	EventsDropped uint64
	// JSON is the whole outcome as one JSON object (what `nanoproc run --json` prints).
	JSON []byte
	// Receipt is the signed run receipt (JSON, docs/integrity.md), made by [RunWithReceipt];
	// nil from Run. Check it with [VerifyReceipt] or `nanoproc verify-receipt`.
	Receipt []byte

	err error
}

// Err is why nanoproc stopped the guest (a limit, a trap) as an *Error, or nil if the guest
// exited on its own (with any status).
func (o *Outcome) Err() error { return o.err }

// Run runs the WASI program (a preview 1 module or a preview 2 component) once in a fresh
// sandbox under policy (nil: deny everything) on engine (nil: [DefaultEngine]). A program that
// runs gives an Outcome, also when a limit stopped it or it trapped (see [Outcome.Err]); the
// error is for what kept it from starting (an invalid module, a denied import, an invalid
// policy).
//
// A ctx deadline bounds the run like Policy.Timeout (the sooner wins). The C ABI cannot
// interrupt a run on cancellation: a ctx cancelled before the start stops it from starting, one
// cancelled later is noticed only when the run ends (give the policy a Timeout).
func Run(ctx context.Context, engine *Engine, wasm Wasm, policy *Policy) (*Outcome, error) {
	return run(ctx, engine, wasm, policy, "")
}

// RunWithReceipt is [Run], and the Outcome also carries a run receipt signed with the Ed25519
// secret key in the file hostKey (from `nanoproc keygen`): the binary's sha256 and signers,
// the policy and its digest, versions, limits, capabilities used, denials, outcome, times.
func RunWithReceipt(ctx context.Context, engine *Engine, wasm Wasm, policy *Policy, hostKey string) (*Outcome, error) {
	if hostKey == "" {
		return nil, &Error{Kind: KindInvalidArgument, Message: "invalid argument: RunWithReceipt needs a host key file", Detail: "RunWithReceipt needs a host key file", ExitCode: 2}
	}
	return run(ctx, engine, wasm, policy, hostKey)
}

// VerifyReceipt checks a run receipt against the host public key in the file hostPubKey: nil
// if that key signed it and nothing changed since, else an *Error of kind KindIntegrity
// saying why.
func VerifyReceipt(receipt []byte, hostPubKey string) error {
	path := C.CString(hostPubKey)
	defer C.free(unsafe.Pointer(path))
	ptr, n := cInput(receipt)
	return takeError(C.nanoproc_receipt_verify(ptr, n, path))
}

func run(ctx context.Context, engine *Engine, wasm Wasm, policy *Policy, hostKey string) (*Outcome, error) {
	var timeout time.Duration
	if deadline, has := ctx.Deadline(); has {
		if timeout = time.Until(deadline); timeout <= 0 {
			return nil, ctxError(ctx, context.DeadlineExceeded)
		}
	}
	if err := ctx.Err(); err != nil {
		return nil, ctxError(ctx, err)
	}
	e, err := useEngine(engine)
	if err != nil {
		return nil, err
	}
	defer e.done()
	pb, err := policy.build(timeout)
	if err != nil {
		return nil, err
	}
	defer C.nanoproc_policy_builder_free(pb)
	var out *C.nanoproc_outcome
	var cerr *C.nanoproc_error
	if wasm.bytes != nil {
		var name *C.char
		if wasm.name != "" {
			name = C.CString(wasm.name)
			defer C.free(unsafe.Pointer(name))
		}
		ptr, n := cInput(wasm.bytes)
		cerr = C.nanoproc_run_bytes(e.ptr, ptr, n, name, pb, &out)
	} else {
		path := C.CString(wasm.path)
		defer C.free(unsafe.Pointer(path))
		cerr = C.nanoproc_run_file(e.ptr, path, pb, &out)
	}
	if cerr != nil {
		return nil, takeError(cerr)
	}
	defer C.nanoproc_outcome_free(out)
	o, err := readOutcome(ctx, out)
	if err != nil || hostKey == "" {
		return o, err
	}
	key := C.CString(hostKey)
	defer C.free(unsafe.Pointer(key))
	var buf C.nanoproc_buf
	if err := takeError(C.nanoproc_outcome_receipt(out, key, &buf)); err != nil {
		return nil, err
	}
	o.Receipt = copyBytes(buf.data, buf.len)
	C.nanoproc_buf_free(&buf)
	return o, nil
}

func readOutcome(ctx context.Context, out *C.nanoproc_outcome) (*Outcome, error) {
	o := &Outcome{ExitCode: int(C.nanoproc_outcome_exit_code(out))}
	if err := C.nanoproc_outcome_error(out); err != nil {
		o.err = finishError(ctx, takeError(err))
	}
	var data *C.uint8_t
	var n C.size_t
	if err := takeError(C.nanoproc_outcome_stdout(out, &data, &n)); err != nil {
		return nil, err
	}
	o.Stdout = copyBytes(data, n)
	if err := takeError(C.nanoproc_outcome_stderr(out, &data, &n)); err != nil {
		return nil, err
	}
	o.Stderr = copyBytes(data, n)
	var u C.nanoproc_usage
	if err := takeError(C.nanoproc_outcome_usage(out, &u)); err != nil {
		return nil, err
	}
	o.Usage = Usage{
		FuelMetered:  bool(u.fuel_metered),
		FuelConsumed: uint64(u.fuel_consumed),
		PeakMemory:   uint64(u.peak_memory_bytes),
		WallTime:     time.Duration(u.wall_time_us) * time.Microsecond,
		StdoutBytes:  uint64(u.stdout_bytes),
		StderrBytes:  uint64(u.stderr_bytes),
		PeakFDs:      uint64(u.peak_fds),
	}
	if j := C.nanoproc_outcome_json(out); j != nil {
		o.JSON = []byte(C.GoString(j))
		var parsed struct {
			Events        []AuditEvent `json:"events"`
			Denials       []AuditEvent `json:"denials"`
			EventsDropped uint64       `json:"events_dropped"`
		}
		if err := json.Unmarshal(o.JSON, &parsed); err != nil {
			detail := "nanoproc_outcome_json gave JSON this SDK cannot read: " + err.Error()
			return nil, &Error{Kind: KindInternal, Message: "internal error: " + detail, Detail: detail, ExitCode: 127}
		}
		o.Events, o.Denials, o.EventsDropped = parsed.Events, parsed.Denials, parsed.EventsDropped
	}
	return o, nil
}

func copyBytes(data *C.uint8_t, n C.size_t) []byte {
	if data == nil || n == 0 {
		return []byte{}
	}
	b := make([]byte, int(n))
	copy(b, unsafe.Slice((*byte)(unsafe.Pointer(data)), int(n)))
	return b
}
