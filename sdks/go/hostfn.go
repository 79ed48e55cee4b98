package nanoproc

/*
#include "shim.h"
*/
import "C"

import "time"

// HostFunc is a host function written in Go: it gets the plugin's input and returns the output
// the plugin receives. An error fails the plugin's call with ErrHostFunction carrying the
// error's text; so does a panic, which is recovered (the process is not affected).
//
// It runs on the goroutine that called the plugin, possibly on many at once: it must be safe for
// concurrent use. call is valid only until it returns.
type HostFunc func(call *HostCall, input []byte) ([]byte, error)

// HostCall is the plugin call a host function serves. Valid only during the host function.
type HostCall struct {
	c *C.nanoproc_host_call
}

// Plugin is the name of the plugin making the call.
func (h *HostCall) Plugin() string {
	if h == nil || h.c == nil {
		return ""
	}
	return C.GoString(C.nanoproc_host_call_plugin(h.c))
}

// ShouldStop reports whether the plugin call was cancelled or is past its deadline: a
// long-running host function polls it and returns early. True after the host function returned.
func (h *HostCall) ShouldStop() bool {
	if h == nil || h.c == nil {
		return true
	}
	return bool(C.nanoproc_host_call_should_stop(h.c))
}

// Remaining is the time left before the call's deadline; ok is false when it has none.
func (h *HostCall) Remaining() (left time.Duration, ok bool) {
	if h == nil || h.c == nil {
		return 0, false
	}
	ms := int64(C.nanoproc_host_call_remaining_ms(h.c))
	if ms < 0 {
		return 0, false
	}
	return time.Duration(ms) * time.Millisecond, true
}
