// count_vowels_go: the count_vowels plugin in Go, for the nanoproc plugin ABI version 1
// (docs/abi.md).
//
// Input: text. Output: JSON {"count":N,"total":M,"vowels":"aeiouAEIOU"}, the same as the Rust
// count_vowels plugin (no config support: the vowel set is fixed).
//
// Build (see ../../build.sh; Go >= 1.24 for //go:wasmexport):
//
//	GOOS=wasip1 GOARCH=wasm go build -buildmode=c-shared -trimpath -ldflags="-s -w -buildid=" \
//	    -buildvcs=false -o count_vowels_go.wasm ./count_vowels
//
// -buildmode=c-shared makes a WASI reactor: the module exports _initialize, which the host
// calls once per instance before anything else (it starts the Go runtime); main is never run.
// The module imports wasi_snapshot_preview1 (the Go runtime needs clocks and random numbers)
// and nanoproc::fail.
package main

import (
	"strconv"
	"unsafe"
)

// pinned keeps every block handed out by nanoproc_alloc reachable, keyed by its address,
// until the plugin is done with it: the host writes into memory the garbage collector cannot
// see in use. (Go's collector does not move objects, so the address stays valid.)
var pinned = map[uintptr][]byte{}

// output is the last call's output, kept alive until the host has copied it (it is replaced
// by the next call).
var output []byte

//go:wasmimport nanoproc fail
func hostFail(ptr unsafe.Pointer, length uint32)

//go:wasmexport nanoproc_abi_version
func abiVersion() int32 { return 1 }

//go:wasmexport nanoproc_alloc
func alloc(length int32) int32 {
	if length <= 0 {
		return 0
	}
	buf := make([]byte, length)
	ptr := uintptr(unsafe.Pointer(unsafe.SliceData(buf)))
	pinned[ptr] = buf
	return int32(ptr)
}

// takeInput returns the input block at ptr and unpins it (it is freed once unreferenced).
func takeInput(ptr, length int32) ([]byte, bool) {
	if length == 0 {
		return nil, true
	}
	buf, ok := pinned[uintptr(ptr)]
	if !ok || int(length) > len(buf) {
		return nil, false
	}
	delete(pinned, uintptr(ptr))
	return buf[:length], true
}

// result hands out to the host as (ptr << 32) | len.
func result(out []byte) int64 {
	output = out
	if len(out) == 0 {
		return 0
	}
	ptr := uint64(uintptr(unsafe.Pointer(unsafe.SliceData(out))))
	return int64(ptr<<32 | uint64(len(out)))
}

func fail(message string) int64 {
	msg := []byte(message)
	hostFail(unsafe.Pointer(unsafe.SliceData(msg)), uint32(len(msg)))
	return 0
}

const vowels = "aeiouAEIOU"

//go:wasmexport count_vowels
func countVowels(ptr, length int32) int64 {
	input, ok := takeInput(ptr, length)
	if !ok {
		return fail("count_vowels: the input was not allocated with nanoproc_alloc")
	}
	count := 0
	for _, b := range input {
		for i := 0; i < len(vowels); i++ {
			if b == vowels[i] {
				count++
				break
			}
		}
	}
	out := make([]byte, 0, 64)
	out = append(out, `{"count":`...)
	out = strconv.AppendInt(out, int64(count), 10)
	out = append(out, `,"total":`...)
	out = strconv.AppendInt(out, int64(len(input)), 10)
	out = append(out, `,"vowels":"`+vowels+`"}`...)
	return result(out)
}

func main() {}
