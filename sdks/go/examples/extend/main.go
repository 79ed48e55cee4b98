// Command extend: the host copies a file through a WebAssembly plugin.
//
//	cd sdks/go && CGO_LDFLAGS=-L/var/tmp/nanoproc-target/release go run ./examples/extend
//
// The plugin (examples/plugins/bin/copy_file.wasm, Rust on WASI) takes
// {"from": "/in/a.txt", "to": "/out/b.txt"} and copies with plain file I/O. It sees exactly two
// directories: the input one read-only at /in and the output one writable at /out. Nothing else
// of the host exists for it, and a fuel budget bounds how much work it may do.
package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"time"

	nanoproc "nanoproc.dev/sdk/go"
)

// Copying needs about 8,000 units of fuel (the plugin's JSON and path handling and its copy
// loop; the bytes themselves move in host calls, so the size of the file hardly matters).
const (
	fuel          = 30_000
	tooLittleFuel = 5_000
)

func main() {
	if err := run(); err != nil {
		log.Fatal(err)
	}
}

func request(from, to string) []byte {
	b, _ := json.Marshal(map[string]string{"from": from, "to": to})
	return b
}

func run() error {
	ctx := context.Background()
	tmp, err := os.MkdirTemp("", "nanoproc-extend-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	in, out := filepath.Join(tmp, "in"), filepath.Join(tmp, "out")
	for _, d := range []string{in, out} {
		if err := os.Mkdir(d, 0o755); err != nil {
			return err
		}
	}
	data := []byte(strings.Repeat("the host's data, copied by a sandboxed plugin\n", 20))
	if err := os.WriteFile(filepath.Join(in, "a.txt"), data, 0o644); err != nil {
		return err
	}

	// One engine that meters fuel; pooling keeps fresh sandboxes cheap.
	engine, err := nanoproc.NewEngine(nanoproc.WithFuel())
	if err != nil {
		return err
	}
	defer engine.Close()
	dirs := []nanoproc.Dir{{Host: in, Guest: "/in"}, {Host: out, Guest: "/out", Writable: true}}
	plugin, err := nanoproc.NewPlugin(engine, nanoproc.WasmFile(copyFileWasm()), nanoproc.WithPolicy(&nanoproc.Policy{
		Dirs:      dirs,
		Fuel:      fuel,
		MaxMemory: 16 << 20,
		Timeout:   5 * time.Second,
	}))
	if err != nil {
		return err
	}
	defer plugin.Close()

	res, err := plugin.Call(ctx, "copy_file", request("/in/a.txt", "/out/b.txt"))
	if err != nil {
		return err
	}
	var copied struct{ Bytes int }
	if err := json.Unmarshal(res, &copied); err != nil {
		return err
	}
	got, err := os.ReadFile(filepath.Join(out, "b.txt"))
	if err != nil {
		return err
	}
	fmt.Printf("copied %d bytes with a budget of %d fuel; identical: %v\n", copied.Bytes, fuel, bytes.Equal(got, data))

	// The input directory is read-only: the plugin's write fails, nothing is written.
	_, err = plugin.Call(ctx, "copy_file", request("/in/a.txt", "/in/c.txt"))
	if errors.Is(err, nanoproc.ErrPlugin) {
		fmt.Printf("write into the read-only dir refused: %v\n", err)
	} else {
		return fmt.Errorf("the write into /in was not refused as a plugin error: %v", err)
	}
	_, statErr := os.Stat(filepath.Join(in, "c.txt"))
	fmt.Printf("file created in the input dir: %v\n", statErr == nil)

	// Nothing outside the two directories exists for it.
	_, err = plugin.Call(ctx, "copy_file", request("/etc/passwd", "/out/passwd"))
	if errors.Is(err, nanoproc.ErrPlugin) {
		fmt.Printf("read outside the grants refused: %v\n", err)
	} else {
		return fmt.Errorf("the read of /etc/passwd was not refused as a plugin error: %v", err)
	}

	// Every sandbox records its two grants (fs.mount); then what the plugin did.
	events, err := plugin.AuditEvents()
	if err != nil {
		return err
	}
	mounts := 0
	for _, e := range events {
		if e.What == "fs.mount" {
			mounts++
		}
	}
	fmt.Printf("audit trail (%d fs.mount events: the two grants, once per sandbox):\n", mounts)
	for _, e := range events {
		if e.What != "fs.mount" {
			fmt.Printf("  %-7s %-9s %s\n", e.Decision, e.What, e.Target)
		}
	}

	// The same copy with too little fuel is stopped, however the plugin is written.
	stingy, err := nanoproc.NewPlugin(engine, nanoproc.WasmFile(copyFileWasm()), nanoproc.WithPolicy(&nanoproc.Policy{
		Dirs: dirs,
		Fuel: tooLittleFuel,
	}))
	if err != nil {
		return err
	}
	defer stingy.Close()
	_, err = stingy.Call(ctx, "copy_file", request("/in/a.txt", "/out/d.txt"))
	if !errors.Is(err, nanoproc.ErrFuelLimit) {
		return fmt.Errorf("a budget of %d fuel did not stop the copy: %v", tooLittleFuel, err)
	}
	fmt.Printf("with a budget of %d fuel: %v\n", tooLittleFuel, err)
	return nil
}

// copyFileWasm finds examples/plugins/bin/copy_file.wasm from this source file (go run) or the
// working directory.
func copyFileWasm() string {
	rel := filepath.Join("examples", "plugins", "bin", "copy_file.wasm")
	if _, file, _, ok := runtime.Caller(0); ok {
		if p := filepath.Join(filepath.Dir(file), "..", "..", "..", "..", rel); exists(p) {
			return filepath.Clean(p)
		}
	}
	dir, _ := os.Getwd()
	for d := dir; d != filepath.Dir(d); d = filepath.Dir(d) {
		if p := filepath.Join(d, rel); exists(p) {
			return p
		}
	}
	return rel
}

func exists(p string) bool { _, err := os.Stat(p); return err == nil }
