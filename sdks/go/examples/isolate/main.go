// Command isolate: every call of untrusted code in a fresh sandbox, with a host callback in Go.
//
//	cd sdks/go && CGO_LDFLAGS=-L/var/tmp/nanoproc-target/release go run ./examples/isolate
//
// call_host.wasm calls back into the host (host::greet, written below in Go and granted by the
// policy); echo.wasm has functions that trap, spin forever and eat memory. Each call runs in its
// own sandbox with its own memory and limits, so a call that misbehaves is stopped and leaves
// nothing behind for the next one; the audit trail records what was allowed and denied.
package main

import (
	"context"
	"errors"
	"fmt"
	"log"
	"os"
	"path/filepath"
	"runtime"
	"time"

	nanoproc "nanoproc.dev/sdk/go"
)

// greet is the host's side: it runs in this Go process, on the goroutine that called the plugin.
func greet(call *nanoproc.HostCall, name []byte) ([]byte, error) {
	if string(name) == "mallory" {
		return nil, errors.New("mallory is not welcome")
	}
	return append([]byte("hello, "), name...), nil
}

func attempt(label string, call func() ([]byte, error)) {
	out, err := call()
	var e *nanoproc.Error
	switch {
	case err == nil:
		fmt.Printf("%-28s -> %q\n", label, out)
	case errors.As(err, &e):
		matches := sentinelName(err)
		if errors.Is(err, context.Canceled) {
			matches += " + context.Canceled"
		}
		fmt.Printf("%-28s -> %s: %v\n", label, matches, err)
	default:
		fmt.Printf("%-28s -> %v\n", label, err)
	}
}

// sentinelName names the sentinel error err matches, as a Go program would test for it.
func sentinelName(err error) string {
	for _, s := range []struct {
		name string
		err  error
	}{
		{"ErrHostFunction", nanoproc.ErrHostFunction}, {"ErrTrap", nanoproc.ErrTrap},
		{"ErrTimeLimit", nanoproc.ErrTimeLimit}, {"ErrMemoryLimit", nanoproc.ErrMemoryLimit},
		{"ErrDenied", nanoproc.ErrDenied}, {"ErrPlugin", nanoproc.ErrPlugin},
		{"ErrCancelled", nanoproc.ErrCancelled},
	} {
		if errors.Is(err, s.err) {
			return s.name
		}
	}
	return "error"
}

func main() {
	if err := run(); err != nil {
		log.Fatal(err)
	}
}

func run() error {
	ctx := context.Background()
	engine, err := nanoproc.NewEngine() // pooling: a fresh sandbox per call costs microseconds
	if err != nil {
		return err
	}
	defer engine.Close()

	greeter, err := nanoproc.NewPlugin(engine, nanoproc.WasmFile(pluginPath("call_host.wasm")),
		nanoproc.WithPolicy(&nanoproc.Policy{AllowHostFns: []string{"host::greet"}, MaxMemory: 16 << 20, Timeout: time.Second}),
		nanoproc.WithHostFunc("host::greet", greet))
	if err != nil {
		return err
	}
	defer greeter.Close()
	for _, name := range []string{"alice", "mallory", "bob"} {
		attempt("call_host("+name+")", func() ([]byte, error) { return greeter.Call(ctx, "call_host", []byte(name)) })
	}
	events, err := greeter.AuditEvents()
	if err != nil {
		return err
	}
	fmt.Println("audit trail of call_host:")
	for _, e := range events {
		fmt.Printf("  %-7s %-8s %s: %s\n", e.Decision, e.What, e.Target, e.Rule)
	}

	echo, err := nanoproc.NewPlugin(engine, nanoproc.WasmFile(pluginPath("echo.wasm")),
		nanoproc.WithPolicy(&nanoproc.Policy{MaxMemory: 16 << 20}))
	if err != nil {
		return err
	}
	defer echo.Close()
	attempt("echo(before)", func() ([]byte, error) { return echo.Call(ctx, "echo", []byte("before")) })
	attempt("trap()", func() ([]byte, error) { return echo.Call(ctx, "trap", nil) })
	attempt("spin() with a 200 ms timeout", func() ([]byte, error) {
		return echo.CallWith(ctx, "spin", nil, nanoproc.CallOptions{Timeout: 200 * time.Millisecond})
	})
	attempt("spin() until ctx is cancelled", func() ([]byte, error) {
		ctx, cancel := context.WithCancel(ctx)
		time.AfterFunc(100*time.Millisecond, cancel)
		return echo.Call(ctx, "spin", nil)
	})
	attempt("grow() within 16 MiB", func() ([]byte, error) { return echo.Call(ctx, "grow", nil) })
	attempt("echo(after)", func() ([]byte, error) { return echo.Call(ctx, "echo", []byte("after")) })
	events, err = echo.AuditEvents()
	if err != nil {
		return err
	}
	fmt.Println("audit trail of echo:")
	for _, e := range events {
		fmt.Printf("  %-7s %-13s %s\n", e.Decision, e.What, e.Target)
	}

	// A plugin importing a host function its policy does not grant never loads.
	_, err = nanoproc.NewPlugin(engine, nanoproc.WasmFile(pluginPath("ungranted_host.wasm")),
		nanoproc.WithHostFunc("host::launch_missiles", func(*nanoproc.HostCall, []byte) ([]byte, error) { return nil, nil }))
	if !errors.Is(err, nanoproc.ErrDenied) {
		return fmt.Errorf("ungranted_host.wasm loaded: %v", err)
	}
	fmt.Printf("ungranted_host.wasm refused at load: %v\n", err)
	return nil
}

// pluginPath finds examples/plugins/bin/NAME from this source file (go run) or the working
// directory.
func pluginPath(name string) string {
	rel := filepath.Join("examples", "plugins", "bin", name)
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
