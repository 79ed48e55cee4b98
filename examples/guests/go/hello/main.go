// Command hello prints a greeting and exits 0. It needs no grants.
//
// Built with GOOS=wasip1 GOARCH=wasm into ../bin/hello_go.wasm by ../build.sh.
// (It writes with os.Stdout rather than fmt to keep the binary small.)
package main

import "os"

func main() {
	if _, err := os.Stdout.WriteString("hello from Go in a nano-process\n"); err != nil {
		os.Exit(1)
	}
}
