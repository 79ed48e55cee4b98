//go:build !nanoproc_shared

package nanoproc

// The static library, found through CGO_LDFLAGS=-L<dir> (see README: "How Go finds
// libnanoproc_capi"). -Bstatic makes the linker take libnanoproc_capi.a even when the .so sits
// beside it; the rest is what Rust's standard library needs from libc.

/*
#cgo LDFLAGS: -Wl,-Bstatic -lnanoproc_capi -Wl,-Bdynamic -lm -ldl -lpthread -lrt -lgcc_s
*/
import "C"
