package nanoproc

// The Go functions nanoproc calls back (through the trampolines in shim.c). This file's preamble
// holds declarations only, as cgo requires of files with //export.

/*
#include <stdint.h>
#include <stdlib.h>
#include "nanoproc.h"
*/
import "C"

import (
	"encoding/json"
	"fmt"
	"runtime/cgo"
	"strings"
	"unsafe"
)

//export nanoprocGoHostFn
func nanoprocGoHostFn(handle C.uintptr_t, call *C.nanoproc_host_call, input *C.uint8_t, inputLen C.size_t) C.int32_t {
	fn, ok := cgo.Handle(handle).Value().(HostFunc)
	if !ok {
		return hostFail(call, "the Go host function's handle holds no HostFunc (an SDK bug)")
	}
	in := make([]byte, int(inputLen))
	if inputLen > 0 {
		copy(in, unsafe.Slice((*byte)(unsafe.Pointer(input)), int(inputLen)))
	}
	hc := &HostCall{c: call}
	out, err := runHostFunc(fn, hc, in)
	hc.c = nil
	if err != nil {
		return hostFail(call, err.Error())
	}
	if len(out) > 0 {
		ptr, n := cInput(out)
		if !C.nanoproc_host_call_set_output(call, ptr, n) {
			return hostFail(call, "nanoproc refused the host function's output")
		}
	}
	return 0
}

// runHostFunc calls fn, turning a panic into an error.
func runHostFunc(fn HostFunc, hc *HostCall, in []byte) (out []byte, err error) {
	defer func() {
		if r := recover(); r != nil {
			out, err = nil, fmt.Errorf("the Go host function panicked: %v", r)
		}
	}()
	return fn(hc, in)
}

// hostFail sets the host call's error message and returns the failing status.
func hostFail(call *C.nanoproc_host_call, message string) C.int32_t {
	message = strings.ToValidUTF8(strings.ReplaceAll(message, "\x00", `\0`), "\uFFFD")
	if message == "" {
		message = "the Go host function returned an error with no text"
	}
	m := C.CString(message)
	C.nanoproc_host_call_set_error(call, m)
	C.free(unsafe.Pointer(m))
	return 1
}

//export nanoprocGoAudit
func nanoprocGoAudit(handle C.uintptr_t, text *C.char, n C.size_t) {
	fn, ok := cgo.Handle(handle).Value().(func(AuditEvent))
	if !ok {
		return
	}
	var ev AuditEvent
	if json.Unmarshal(C.GoBytes(unsafe.Pointer(text), C.int(n)), &ev) != nil {
		return
	}
	defer func() { _ = recover() }() // a panicking audit function must not take the process down
	fn(ev)
}

//export nanoprocGoDeleteHandle
func nanoprocGoDeleteHandle(handle C.uintptr_t) {
	cgo.Handle(handle).Delete()
}
