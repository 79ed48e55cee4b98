package nanoproc

/*
#include "shim.h"
*/
import "C"

import (
	"errors"
	"unsafe"
)

// Kind says what went wrong, by cause. The numbers are the C ABI's nanoproc_error_kind.
type Kind int

// The kinds of [Error].
const (
	KindInvalidModule   Kind = 1  // the bytes are not a valid WebAssembly module or component
	KindInvalidPolicy   Kind = 2  // the policy (a field's value, a policy file) is not valid
	KindInvalidInput    Kind = 3  // a value for a typed call does not match its type
	KindMemoryLimit     Kind = 4  // the guest hit its memory limit
	KindOutputLimit     Kind = 5  // the guest hit its output limit
	KindTimeLimit       Kind = 6  // the guest hit its wall-clock limit
	KindFuelLimit       Kind = 7  // the guest ran out of fuel
	KindTrap            Kind = 8  // the guest trapped (unreachable, out-of-bounds access, ...)
	KindAbiViolation    Kind = 9  // the plugin broke the plugin ABI
	KindHostFunction    Kind = 10 // a host function failed; the call that used it was stopped
	KindPlugin          Kind = 11 // the plugin reported a failure itself
	KindCancelled       Kind = 12 // the call was cancelled by the host
	KindDenied          Kind = 13 // the guest needs a capability its policy does not grant
	KindIO              Kind = 14 // a host-side I/O failure (reading the module, a preopen)
	KindHostExhausted   Kind = 15 // the host ran short of something no limit covers (pool slots)
	KindInternal        Kind = 16 // a bug in nanoproc or an unexpected engine failure
	KindInvalidArgument Kind = 17 // the caller broke the API's rules (a closed handle, ...)
	KindIntegrity       Kind = 18 // not signed by a trusted key, tampered, not pinned; a bad receipt
)

// kindNames are nanoproc's own kind names (nanoproc::Error::kind_name), the prefix of every
// message.
var kindNames = map[Kind]string{
	KindInvalidModule:   "invalid module",
	KindInvalidPolicy:   "invalid policy",
	KindInvalidInput:    "invalid input",
	KindMemoryLimit:     "memory limit",
	KindOutputLimit:     "output limit",
	KindTimeLimit:       "time limit",
	KindFuelLimit:       "fuel limit",
	KindTrap:            "guest trap",
	KindAbiViolation:    "abi violation",
	KindHostFunction:    "host function error",
	KindPlugin:          "plugin error",
	KindCancelled:       "cancelled",
	KindDenied:          "denied",
	KindIO:              "io error",
	KindHostExhausted:   "host resources exhausted",
	KindInternal:        "internal error",
	KindInvalidArgument: "invalid argument",
	KindIntegrity:       "integrity",
}

// String is the kind's name as nanoproc prints it ("fuel limit", "denied", ...).
func (k Kind) String() string {
	if n, ok := kindNames[k]; ok {
		return n
	}
	return "unknown error kind"
}

// IsLimit reports whether the kind is one of the four resource limits (memory, output, time,
// fuel).
func (k Kind) IsLimit() bool {
	return k == KindMemoryLimit || k == KindOutputLimit || k == KindTimeLimit || k == KindFuelLimit
}

// Error is every error nanoproc returns: what was violated (Kind) and one line saying what and
// how to allow it (Message, "kind: detail"). errors.Is matches it against the sentinel of its
// kind, and against [ErrLimitExceeded] for the four limits. A call stopped because its context
// ended also matches the context's error (context.Canceled or context.DeadlineExceeded).
type Error struct {
	// Kind is the cause.
	Kind Kind
	// Message is the whole line, "kind: detail" (e.g. "fuel limit: ... raise it with --fuel").
	Message string
	// Detail is Message without its "kind: " prefix.
	Detail string
	// ExitCode is the exit code the nanoproc CLI uses for this error (docs/cli.md).
	ExitCode int

	// wrapped: what else this error is (the context's error, ErrClosed).
	wrapped []error
	// sentinel: one of the Err* values, which match by kind.
	sentinel bool
}

// Error returns the one-line message.
func (e *Error) Error() string { return e.Message }

// Is matches the sentinel errors: the one of e's kind, and ErrLimitExceeded for any limit.
func (e *Error) Is(target error) bool {
	if target == ErrLimitExceeded {
		return e.Kind.IsLimit()
	}
	t, ok := target.(*Error)
	return ok && t.sentinel && t.Kind == e.Kind
}

// Unwrap returns what else the error is: the context's error for a call stopped by its
// context, ErrClosed for a closed handle.
func (e *Error) Unwrap() []error { return e.wrapped }

func sentinel(k Kind) *Error {
	return &Error{Kind: k, Message: k.String(), Detail: k.String(), sentinel: true}
}

// Sentinel errors, one per kind: errors.Is(err, nanoproc.ErrFuelLimit) reports whether err is an
// *Error of that kind.
var (
	ErrInvalidModule   = sentinel(KindInvalidModule)
	ErrInvalidPolicy   = sentinel(KindInvalidPolicy)
	ErrInvalidInput    = sentinel(KindInvalidInput)
	ErrMemoryLimit     = sentinel(KindMemoryLimit)
	ErrOutputLimit     = sentinel(KindOutputLimit)
	ErrTimeLimit       = sentinel(KindTimeLimit)
	ErrFuelLimit       = sentinel(KindFuelLimit)
	ErrTrap            = sentinel(KindTrap)
	ErrAbiViolation    = sentinel(KindAbiViolation)
	ErrHostFunction    = sentinel(KindHostFunction)
	ErrPlugin          = sentinel(KindPlugin)
	ErrCancelled       = sentinel(KindCancelled)
	ErrDenied          = sentinel(KindDenied)
	ErrIO              = sentinel(KindIO)
	ErrHostExhausted   = sentinel(KindHostExhausted)
	ErrInternal        = sentinel(KindInternal)
	ErrInvalidArgument = sentinel(KindInvalidArgument)
	ErrIntegrity       = sentinel(KindIntegrity)

	// ErrLimitExceeded matches the four limits: memory, output, time and fuel.
	ErrLimitExceeded = errors.New("limit exceeded")

	// ErrClosed matches a use of a closed Engine, Plugin or Instance (an *Error of kind
	// KindInvalidArgument).
	ErrClosed = errors.New("closed")
)

// takeError turns a C error object into an *Error and frees it; nil for NULL.
func takeError(err *C.nanoproc_error) error {
	if err == nil {
		return nil
	}
	var info C.np_error_info
	C.np_take_error(err, &info)
	e := &Error{
		Kind:     Kind(info.kind),
		ExitCode: int(info.exit_code),
		Message:  C.GoString(info.message),
		Detail:   C.GoString(info.detail),
	}
	C.free(unsafe.Pointer(info.message))
	C.free(unsafe.Pointer(info.detail))
	return e
}

// argumentError is an error of kind KindInvalidArgument raised by the Go side.
func argumentError(detail string, wrapped ...error) *Error {
	return &Error{
		Kind:     KindInvalidArgument,
		Message:  "invalid argument: " + detail,
		Detail:   detail,
		ExitCode: 2,
		wrapped:  wrapped,
	}
}

// closedError is the error for using a closed handle.
func closedError(what string) *Error {
	return argumentError("the "+what+" is closed; make a new one (Close frees it for good)", ErrClosed)
}
