// Command cat copies the file named by its first argument to stdout.
//
// On failure it prints "cat: PATH: <error>" to stderr and exits 1 (2 on a usage error), like
// the Rust cat guest. Reading needs a --dir grant.
//
// Built with GOOS=wasip1 GOARCH=wasm into ../bin/cat_go.wasm by ../build.sh.
// (It avoids fmt to keep the binary small.)
package main

import (
	"errors"
	"io"
	"io/fs"
	"os"
)

func main() {
	if len(os.Args) < 2 {
		os.Stderr.WriteString("usage: cat PATH\n")
		os.Exit(2)
	}
	path := os.Args[1]
	f, err := os.Open(path)
	if err != nil {
		fail(path, err)
	}
	defer f.Close()
	if _, err := io.Copy(os.Stdout, f); err != nil {
		fail(path, err)
	}
}

func fail(path string, err error) {
	// Print the bare OS error ("no such file or directory"), not Go's "open PATH: ..." wrapper,
	// so the message has the Rust guest's shape "cat: PATH: <error>".
	var pe *fs.PathError
	if errors.As(err, &pe) {
		err = pe.Err
	}
	os.Stderr.WriteString("cat: " + path + ": " + err.Error() + "\n")
	os.Exit(1)
}
