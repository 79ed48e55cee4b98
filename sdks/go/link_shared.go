//go:build nanoproc_shared

package nanoproc

// With -tags nanoproc_shared: the shared library libnanoproc_capi.so, found through
// CGO_LDFLAGS=-L<dir> at build time and the loader's search path (LD_LIBRARY_PATH, or an rpath
// such as CGO_LDFLAGS="-L<dir> -Wl,-rpath,<dir>") at run time.

/*
#cgo LDFLAGS: -lnanoproc_capi
*/
import "C"
