package nanoproc_test

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	nanoproc "nanoproc.dev/sdk/go"
)

var (
	root       = repoRoot()
	guests     = filepath.Join(root, "examples", "guests", "bin")
	plugins    = filepath.Join(root, "examples", "plugins", "bin")
	components = filepath.Join(root, "examples", "components", "bin")

	// engine is the shared pooling engine; fuelEngine meters fuel (on-demand allocation).
	engine, fuelEngine *nanoproc.Engine
)

func repoRoot() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Clean(filepath.Join(filepath.Dir(file), "..", ".."))
}

func TestMain(m *testing.M) {
	var err error
	if engine, err = nanoproc.NewEngine(); err != nil {
		fmt.Fprintln(os.Stderr, "engine:", err)
		os.Exit(1)
	}
	if fuelEngine, err = nanoproc.NewEngine(nanoproc.WithFuel(), nanoproc.WithPooling(false)); err != nil {
		fmt.Fprintln(os.Stderr, "fuel engine:", err)
		os.Exit(1)
	}
	code := m.Run()
	engine.Close()
	fuelEngine.Close()
	os.Exit(code)
}

func guest(name string) nanoproc.Wasm  { return nanoproc.WasmFile(filepath.Join(guests, name)) }
func plugin(name string) nanoproc.Wasm { return nanoproc.WasmFile(filepath.Join(plugins, name)) }

// newPlugin loads a plugin on the shared engine, closed when the test ends.
func newPlugin(t *testing.T, wasm nanoproc.Wasm, opts ...nanoproc.PluginOption) *nanoproc.Plugin {
	t.Helper()
	return newPluginOn(t, engine, wasm, opts...)
}

func newPluginOn(t *testing.T, e *nanoproc.Engine, wasm nanoproc.Wasm, opts ...nanoproc.PluginOption) *nanoproc.Plugin {
	t.Helper()
	p, err := nanoproc.NewPlugin(e, wasm, opts...)
	if err != nil {
		t.Fatalf("NewPlugin(%s): %v", wasm, err)
	}
	t.Cleanup(func() { p.Close() })
	return p
}

// wantKind checks that err is an *nanoproc.Error matching sentinel (errors.Is) and that its
// message starts with the kind's name.
func wantKind(t *testing.T, err error, sentinel error) *nanoproc.Error {
	t.Helper()
	if err == nil {
		t.Fatalf("got no error, want %v", sentinel)
	}
	if !errors.Is(err, sentinel) {
		t.Fatalf("got %v, want an error matching %v", err, sentinel)
	}
	var e *nanoproc.Error
	if !errors.As(err, &e) {
		t.Fatalf("%v is a %T, not a *nanoproc.Error", err, err)
	}
	if !strings.HasPrefix(e.Message, e.Kind.String()+": ") || e.Detail == "" || !strings.HasSuffix(e.Message, e.Detail) {
		t.Fatalf("message %q is not %q + \": \" + detail %q", e.Message, e.Kind.String(), e.Detail)
	}
	if strings.ContainsAny(e.Message, "\n\r") {
		t.Fatalf("message %q is not one line", e.Message)
	}
	return e
}

// Guests written as WAT (nanoproc compiles the text format too).

// catStdinWat copies stdin to stdout (none of the example guests reads stdin).
const catStdinWat = `
(module
  (import "wasi_snapshot_preview1" "fd_read" (func $fd_read (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_write" (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (memory (export "memory") 1)
  (func (export "_start")
    (local $n i32)
    (loop $again
      (i32.store (i32.const 0) (i32.const 64))
      (i32.store (i32.const 4) (i32.const 4096))
      (if (call $fd_read (i32.const 0) (i32.const 0) (i32.const 1) (i32.const 16)) (then (return)))
      (local.set $n (i32.load (i32.const 16)))
      (if (i32.eqz (local.get $n)) (then (return)))
      (i32.store (i32.const 8) (i32.const 64))
      (i32.store (i32.const 12) (local.get $n))
      (drop (call $fd_write (i32.const 1) (i32.const 8) (i32.const 1) (i32.const 20)))
      (br $again))))
`

// counterWat is a plugin with state: count returns how often it was called in this sandbox
// (4 bytes, little-endian); trap traps.
const counterWat = `
(module
  (memory (export "memory") 1)
  (global $count (mut i32) (i32.const 0))
  (global $heap (mut i32) (i32.const 1024))
  (func (export "nanoproc_abi_version") (result i32) (i32.const 1))
  (func (export "nanoproc_alloc") (param $len i32) (result i32)
    (local $p i32)
    (local.set $p (global.get $heap))
    (global.set $heap (i32.add (global.get $heap) (local.get $len)))
    (local.get $p))
  (func (export "count") (param i32 i32) (result i64)
    (global.set $count (i32.add (global.get $count) (i32.const 1)))
    (i32.store (i32.const 0) (global.get $count))
    (i64.const 4))
  (func (export "trap") (param i32 i32) (result i64) (unreachable)))
`

func le32(b []byte) int {
	if len(b) != 4 {
		return -1
	}
	return int(b[0]) | int(b[1])<<8 | int(b[2])<<16 | int(b[3])<<24
}
