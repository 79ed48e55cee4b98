package nanoproc_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	nanoproc "nanoproc.dev/sdk/go"
)

func TestPluginEchoNoopFailTrapLog(t *testing.T) {
	p := newPlugin(t, plugin("echo.wasm"))
	out, err := p.Call(bg, "echo", []byte("hello\x00\xff"))
	if err != nil || string(out) != "hello\x00\xff" {
		t.Fatalf("echo: %q, %v", out, err)
	}
	out, err = p.Call(bg, "noop", []byte("ignored"))
	if err != nil || out == nil || len(out) != 0 {
		t.Fatalf("noop: %q (nil %v), %v", out, out == nil, err)
	}
	_, err = p.Call(bg, "fail", nil)
	if e := wantKind(t, err, nanoproc.ErrPlugin); !strings.Contains(e.Message, "failing on purpose") {
		t.Fatalf("fail: %q", e.Message)
	}
	_, err = p.Call(bg, "trap", nil)
	wantKind(t, err, nanoproc.ErrTrap)
	if _, err = p.Call(bg, "log", []byte("a log line")); err != nil {
		t.Fatalf("log: %v", err)
	}
	_, err = p.Call(bg, "no_such_function", nil)
	if err == nil || !strings.Contains(err.Error(), "no_such_function") {
		t.Fatalf("unknown function: %v", err)
	}
	fns, err := p.Functions()
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{"echo", "noop", "fail", "trap", "spin", "grow", "log"} {
		if !slices.Contains(fns, f) {
			t.Fatalf("Functions() = %v, missing %s", fns, f)
		}
	}
	if c, err := p.IsComponent(); err != nil || c {
		t.Fatalf("IsComponent: %v, %v", c, err)
	}
	if p.Name() != filepath.Join(plugins, "echo.wasm") {
		t.Fatalf("Name() = %q", p.Name())
	}
}

func TestPluginCountVowelsConfig(t *testing.T) {
	type result struct {
		Count  int    `json:"count"`
		Total  int    `json:"total"`
		Vowels string `json:"vowels"`
	}
	call := func(p *nanoproc.Plugin) result {
		t.Helper()
		out, err := p.Call(bg, "count_vowels", []byte("Hello, World"))
		if err != nil {
			t.Fatal(err)
		}
		var r result
		if err := json.Unmarshal(out, &r); err != nil {
			t.Fatalf("%s: %v", out, err)
		}
		return r
	}
	if r := call(newPlugin(t, plugin("count_vowels.wasm"))); r != (result{3, 12, "aeiouAEIOU"}) {
		t.Fatalf("default vowels: %+v", r)
	}
	if r := call(newPlugin(t, plugin("count_vowels.wasm"), nanoproc.WithConfig("vowels", "lW"))); r != (result{4, 12, "lW"}) {
		t.Fatalf("config vowels: %+v", r)
	}
}

func TestFreshCallsShareNothingInstancesKeepState(t *testing.T) {
	p := newPlugin(t, nanoproc.WasmBytes([]byte(counterWat)).Named("counter"))
	for i := 0; i < 3; i++ {
		out, err := p.Call(bg, "count", nil)
		if err != nil || le32(out) != 1 {
			t.Fatalf("fresh call %d: %v, %v", i, out, err)
		}
	}
	inst, err := p.Instance()
	if err != nil {
		t.Fatal(err)
	}
	defer inst.Close()
	for want := 1; want <= 3; want++ {
		out, err := inst.Call(bg, "count", nil)
		if err != nil || le32(out) != want {
			t.Fatalf("instance call: %v, %v; want %d", out, err, want)
		}
	}
	// A trap replaces the instance's sandbox by a fresh one: the count starts again.
	_, err = inst.Call(bg, "trap", nil)
	wantKind(t, err, nanoproc.ErrTrap)
	out, err := inst.Call(bg, "count", nil)
	if err != nil || le32(out) != 1 {
		t.Fatalf("after the trap: %v, %v", out, err)
	}
	// Another instance has its own state.
	other, err := p.Instance()
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	if out, err := other.Call(bg, "count", nil); err != nil || le32(out) != 1 {
		t.Fatalf("second instance: %v, %v", out, err)
	}
}

func TestInstanceRecoversAfterLimits(t *testing.T) {
	p := newPlugin(t, plugin("echo.wasm"), nanoproc.WithPolicy(&nanoproc.Policy{MaxMemory: 16 << 20}))
	inst, err := p.Instance()
	if err != nil {
		t.Fatal(err)
	}
	defer inst.Close()
	_, err = inst.Call(bg, "grow", nil)
	wantKind(t, err, nanoproc.ErrMemoryLimit)
	_, err = inst.CallWith(bg, "spin", nil, nanoproc.CallOptions{Timeout: 50 * time.Millisecond})
	wantKind(t, err, nanoproc.ErrTimeLimit)
	if out, err := inst.Call(bg, "echo", []byte("still here")); err != nil || string(out) != "still here" {
		t.Fatalf("after the limits: %q, %v", out, err)
	}
}

func greet(_ *nanoproc.HostCall, name []byte) ([]byte, error) {
	return append([]byte("hello, "), name...), nil
}

func TestHostFunctionGranted(t *testing.T) {
	var plugin_ string
	fn := func(hc *nanoproc.HostCall, in []byte) ([]byte, error) {
		plugin_ = hc.Plugin()
		if hc.ShouldStop() {
			return nil, errors.New("asked to stop in a call that was not cancelled")
		}
		if _, ok := hc.Remaining(); ok {
			return nil, errors.New("a deadline in a call without a timeout")
		}
		return greet(hc, in)
	}
	p := newPlugin(t, plugin("call_host.wasm"), nanoproc.WithName("greeter"),
		nanoproc.WithPolicy(&nanoproc.Policy{AllowHostFns: []string{"host::greet"}}),
		nanoproc.WithHostFunc("host::greet", fn))
	out, err := p.Call(bg, "call_host", []byte("alice"))
	if err != nil || string(out) != "plugin got: hello, alice" {
		t.Fatalf("%q, %v", out, err)
	}
	if plugin_ != "greeter" {
		t.Fatalf("HostCall.Plugin() = %q", plugin_)
	}
	// A namespace wildcard grants it too.
	p2 := newPlugin(t, plugin("call_host.wasm"),
		nanoproc.WithPolicy(&nanoproc.Policy{AllowHostFns: []string{"host::*"}}),
		nanoproc.WithHostFunc("host::greet", greet))
	if out, err := p2.Call(bg, "call_host", []byte("bob")); err != nil || string(out) != "plugin got: hello, bob" {
		t.Fatalf("%q, %v", out, err)
	}
}

func TestHostFunctionNotGrantedIsDenied(t *testing.T) {
	_, err := nanoproc.NewPlugin(engine, plugin("call_host.wasm"), nanoproc.WithHostFunc("host::greet", greet))
	e := wantKind(t, err, nanoproc.ErrDenied)
	if !strings.Contains(e.Message, "host::greet") {
		t.Fatalf("%q does not name the host function", e.Message)
	}
	// Granting another function is no grant for this one.
	_, err = nanoproc.NewPlugin(engine, plugin("call_host.wasm"), nanoproc.WithHostFunc("host::greet", greet),
		nanoproc.WithPolicy(&nanoproc.Policy{AllowHostFns: []string{"host::other"}}))
	wantKind(t, err, nanoproc.ErrDenied)
	_, err = nanoproc.NewPlugin(engine, plugin("ungranted_host.wasm"))
	wantKind(t, err, nanoproc.ErrDenied)
}

func TestHostFunctionBadName(t *testing.T) {
	_, err := nanoproc.NewPlugin(engine, plugin("call_host.wasm"), nanoproc.WithHostFunc("greet", greet))
	wantKind(t, err, nanoproc.ErrInvalidArgument)
}

func TestHostFunctionErrorAndPanic(t *testing.T) {
	fn := func(hc *nanoproc.HostCall, in []byte) ([]byte, error) {
		switch string(in) {
		case "mallory":
			return nil, errors.New("mallory is not welcome")
		case "panic":
			panic("the Go side blew up")
		}
		return greet(hc, in)
	}
	p := newPlugin(t, plugin("call_host.wasm"),
		nanoproc.WithPolicy(&nanoproc.Policy{AllowHostFns: []string{"host::greet"}}),
		nanoproc.WithHostFunc("host::greet", fn))
	_, err := p.Call(bg, "call_host", []byte("mallory"))
	e := wantKind(t, err, nanoproc.ErrHostFunction)
	if !strings.Contains(e.Message, "mallory is not welcome") || !strings.Contains(e.Message, "host::greet") {
		t.Fatalf("%q", e.Message)
	}
	_, err = p.Call(bg, "call_host", []byte("panic"))
	e = wantKind(t, err, nanoproc.ErrHostFunction)
	if !strings.Contains(e.Message, "panicked: the Go side blew up") {
		t.Fatalf("%q", e.Message)
	}
	// The process and the plugin are fine: the next call works, also in an instance.
	inst, err := p.Instance()
	if err != nil {
		t.Fatal(err)
	}
	defer inst.Close()
	if _, err := inst.Call(bg, "call_host", []byte("panic")); !errors.Is(err, nanoproc.ErrHostFunction) {
		t.Fatalf("instance panic: %v", err)
	}
	for _, c := range []func() ([]byte, error){
		func() ([]byte, error) { return p.Call(bg, "call_host", []byte("carol")) },
		func() ([]byte, error) { return inst.Call(bg, "call_host", []byte("carol")) },
	} {
		if out, err := c(); err != nil || string(out) != "plugin got: hello, carol" {
			t.Fatalf("after the panic: %q, %v", out, err)
		}
	}
}

func TestHostFunctionCannotReenterItsInstance(t *testing.T) {
	var inst *nanoproc.Instance
	fn := func(hc *nanoproc.HostCall, in []byte) ([]byte, error) {
		return inst.Call(bg, "call_host", in) // the instance is busy with the call we serve
	}
	p := newPlugin(t, plugin("call_host.wasm"),
		nanoproc.WithPolicy(&nanoproc.Policy{AllowHostFns: []string{"host::greet"}}),
		nanoproc.WithHostFunc("host::greet", fn))
	var err error
	if inst, err = p.Instance(); err != nil {
		t.Fatal(err)
	}
	defer inst.Close()
	_, err = inst.Call(bg, "call_host", []byte("x"))
	e := wantKind(t, err, nanoproc.ErrHostFunction)
	if !strings.Contains(e.Message, "busy") {
		t.Fatalf("%q", e.Message)
	}
}

func TestHostFunctionSeesCancellation(t *testing.T) {
	entered := make(chan struct{})
	fn := func(hc *nanoproc.HostCall, in []byte) ([]byte, error) {
		close(entered)
		limit := time.Now().Add(time.Minute) // a guard, not an assertion
		for !hc.ShouldStop() && time.Now().Before(limit) {
			time.Sleep(time.Millisecond)
		}
		return nil, errors.New("stopped waiting")
	}
	p := newPlugin(t, plugin("call_host.wasm"),
		nanoproc.WithPolicy(&nanoproc.Policy{AllowHostFns: []string{"host::greet"}}),
		nanoproc.WithHostFunc("host::greet", fn))
	ctx, cancel := context.WithCancel(bg)
	go func() { <-entered; cancel() }()
	_, err := p.Call(ctx, "call_host", nil)
	wantKind(t, err, nanoproc.ErrCancelled)
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("%v does not match context.Canceled", err)
	}
}

func TestHostFunctionRemainingWithTimeout(t *testing.T) {
	var left time.Duration
	var ok bool
	fn := func(hc *nanoproc.HostCall, in []byte) ([]byte, error) {
		left, ok = hc.Remaining()
		return nil, nil
	}
	p := newPlugin(t, plugin("call_host.wasm"),
		nanoproc.WithPolicy(&nanoproc.Policy{AllowHostFns: []string{"host::greet"}}),
		nanoproc.WithHostFunc("host::greet", fn))
	if _, err := p.CallWith(bg, "call_host", nil, nanoproc.CallOptions{Timeout: time.Hour}); err != nil {
		t.Fatal(err)
	}
	if !ok || left <= 0 || left > time.Hour {
		t.Fatalf("Remaining() = %v, %v", left, ok)
	}
}

func TestLimitsOnPluginCalls(t *testing.T) {
	p := newPlugin(t, plugin("echo.wasm"), nanoproc.WithPolicy(&nanoproc.Policy{MaxMemory: 16 << 20}))
	_, err := p.CallWith(bg, "spin", nil, nanoproc.CallOptions{Timeout: 50 * time.Millisecond})
	wantKind(t, err, nanoproc.ErrTimeLimit)
	if !errors.Is(err, nanoproc.ErrLimitExceeded) || errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("%v", err)
	}
	_, err = p.Call(bg, "grow", nil)
	wantKind(t, err, nanoproc.ErrMemoryLimit)
	_, err = p.CallWith(bg, "grow", nil, nanoproc.CallOptions{MaxMemory: 8 << 20})
	wantKind(t, err, nanoproc.ErrMemoryLimit)

	// The policy's timeout.
	pt := newPlugin(t, plugin("echo.wasm"), nanoproc.WithPolicy(&nanoproc.Policy{Timeout: 50 * time.Millisecond}))
	_, err = pt.Call(bg, "spin", nil)
	wantKind(t, err, nanoproc.ErrTimeLimit)

	// Fuel: from the policy, and per call.
	pf := newPluginOn(t, fuelEngine, plugin("echo.wasm"), nanoproc.WithPolicy(&nanoproc.Policy{Fuel: 2_000_000}))
	_, err = pf.Call(bg, "spin", nil)
	wantKind(t, err, nanoproc.ErrFuelLimit)
	if out, err := pf.Call(bg, "echo", []byte("enough fuel")); err != nil || string(out) != "enough fuel" {
		t.Fatalf("%q, %v", out, err)
	}
	pf2 := newPluginOn(t, fuelEngine, plugin("echo.wasm"))
	_, err = pf2.CallWith(bg, "spin", nil, nanoproc.CallOptions{Fuel: 1_000_000})
	e := wantKind(t, err, nanoproc.ErrFuelLimit)
	if !strings.Contains(e.Message, "1000000") && !strings.Contains(e.Message, "1,000,000") && !strings.Contains(e.Message, "1_000_000") {
		t.Logf("the fuel message does not quote the per-call budget: %q", e.Message)
	}
}

func TestContextDeadlineBoundsACall(t *testing.T) {
	p := newPlugin(t, plugin("echo.wasm"))
	ctx, cancel := context.WithTimeout(bg, 50*time.Millisecond)
	defer cancel()
	_, err := p.Call(ctx, "spin", nil)
	wantKind(t, err, nanoproc.ErrTimeLimit)
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("%v does not match context.DeadlineExceeded", err)
	}
	// Ended already: the call does not start.
	_, err = p.Call(ctx, "echo", nil)
	if !errors.Is(err, context.DeadlineExceeded) || !errors.Is(err, nanoproc.ErrTimeLimit) {
		t.Fatalf("%v", err)
	}
}

func TestContextCancelInterruptsOnlyItsCall(t *testing.T) {
	p := newPlugin(t, plugin("echo.wasm"))
	inst, err := p.Instance()
	if err != nil {
		t.Fatal(err)
	}
	defer inst.Close()

	ctx, cancel := context.WithCancel(bg)
	defer cancel()
	instCtx, instCancel := context.WithCancel(bg)
	defer instCancel()
	errs := make(chan error, 2)
	go func() { _, err := p.Call(ctx, "spin", nil); errs <- err }()
	go func() { _, err := inst.Call(instCtx, "spin", nil); errs <- err }()

	// A neighbour spinning under its own (uncancelled) context with a timeout.
	neighbour := make(chan error, 1)
	nctx, ncancel := context.WithCancel(bg)
	defer ncancel()
	go func() {
		_, err := p.CallWith(nctx, "spin", nil, nanoproc.CallOptions{Timeout: 2 * time.Second})
		neighbour <- err
	}()

	// Other calls on the same plugin keep working while the spinners run and are cancelled.
	var wg sync.WaitGroup
	for g := 0; g < 4; g++ {
		wg.Add(1)
		go func(g int) {
			defer wg.Done()
			for i := 0; i < 50; i++ {
				in := []byte(fmt.Sprintf("g%d-%d", g, i))
				out, err := p.Call(bg, "echo", in)
				if err != nil || !bytes.Equal(out, in) {
					t.Errorf("echo during cancellation: %q, %v", out, err)
					return
				}
				if i == 10 && g == 0 {
					cancel()
					instCancel()
				}
			}
		}(g)
	}
	wg.Wait()
	for i := 0; i < 2; i++ {
		select {
		case err := <-errs:
			wantKind(t, err, nanoproc.ErrCancelled)
			if !errors.Is(err, context.Canceled) {
				t.Fatalf("%v does not match context.Canceled", err)
			}
		case <-time.After(time.Minute): // a hang guard, not a timing assertion
			t.Fatal("a cancelled call did not stop")
		}
	}
	// The neighbour was not cancelled: it ran into its own timeout.
	select {
	case err := <-neighbour:
		wantKind(t, err, nanoproc.ErrTimeLimit)
	case <-time.After(time.Minute):
		t.Fatal("the neighbour call did not end")
	}
	// The instance is usable after the cancellation.
	if out, err := inst.Call(bg, "echo", []byte("after")); err != nil || string(out) != "after" {
		t.Fatalf("%q, %v", out, err)
	}
}

func TestCancelledContextDoesNotStart(t *testing.T) {
	p := newPlugin(t, nanoproc.WasmBytes([]byte(counterWat)))
	inst, err := p.Instance()
	if err != nil {
		t.Fatal(err)
	}
	defer inst.Close()
	ctx, cancel := context.WithCancel(bg)
	cancel()
	for _, call := range []func() ([]byte, error){
		func() ([]byte, error) { return p.Call(ctx, "count", nil) },
		func() ([]byte, error) { return inst.Call(ctx, "count", nil) },
	} {
		_, err := call()
		wantKind(t, err, nanoproc.ErrCancelled)
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("%v", err)
		}
	}
	if out, err := inst.Call(bg, "count", nil); err != nil || le32(out) != 1 {
		t.Fatalf("the cancelled call ran: %v, %v", out, err)
	}
}

func TestPluginCancel(t *testing.T) {
	p := newPlugin(t, plugin("echo.wasm"))
	errs := make(chan error, 1)
	go func() { _, err := p.Call(bg, "spin", nil); errs <- err }()
	// Cancel until the call has seen it (it may not have started yet: a cancel stops only
	// calls running now).
	for {
		if err := p.Cancel(); err != nil {
			t.Fatal(err)
		}
		select {
		case err := <-errs:
			wantKind(t, err, nanoproc.ErrCancelled)
			if errors.Is(err, context.Canceled) {
				t.Fatalf("%v matches context.Canceled without a context", err)
			}
			if out, err := p.Call(bg, "echo", []byte("later")); err != nil || string(out) != "later" {
				t.Fatalf("a call after Cancel: %q, %v", out, err)
			}
			return
		case <-time.After(10 * time.Millisecond):
		}
	}
}

func TestInvalidModuleAndPolicy(t *testing.T) {
	_, err := nanoproc.NewPlugin(engine, nanoproc.WasmBytes([]byte("definitely not wasm")))
	wantKind(t, err, nanoproc.ErrInvalidModule)
	_, err = nanoproc.NewPlugin(engine, nanoproc.WasmFile(filepath.Join(t.TempDir(), "missing.wasm")))
	wantKind(t, err, nanoproc.ErrIO)
	_, err = nanoproc.NewPlugin(engine, plugin("echo.wasm"), nanoproc.WithPolicy(&nanoproc.Policy{AllowNet: []string{"nonsense"}}))
	e := wantKind(t, err, nanoproc.ErrInvalidPolicy)
	if !strings.Contains(e.Message, "nonsense") {
		t.Fatalf("%q", e.Message)
	}
	_, err = nanoproc.NewPlugin(engine, plugin("echo.wasm"), nanoproc.WithPolicy(&nanoproc.Policy{Fuel: 10}))
	wantKind(t, err, nanoproc.ErrInvalidPolicy)
}

func TestAuditEvents(t *testing.T) {
	var streamed []nanoproc.AuditEvent
	var mu sync.Mutex
	in, out := t.TempDir(), t.TempDir()
	if err := os.WriteFile(filepath.Join(in, "a.txt"), []byte("data"), 0o644); err != nil {
		t.Fatal(err)
	}
	p := newPlugin(t, plugin("call_host.wasm"),
		nanoproc.WithPolicy(&nanoproc.Policy{AllowHostFns: []string{"host::greet"}}),
		nanoproc.WithHostFunc("host::greet", greet),
		nanoproc.WithAuditFunc(func(e nanoproc.AuditEvent) { mu.Lock(); streamed = append(streamed, e); mu.Unlock() }))
	if _, err := p.Call(bg, "call_host", []byte("x")); err != nil {
		t.Fatal(err)
	}
	events, err := p.AuditEvents()
	if err != nil {
		t.Fatal(err)
	}
	hostUse := func(evs []nanoproc.AuditEvent) bool {
		for _, e := range evs {
			if strings.Contains(e.What, "host") && e.Target == "host::greet" && !e.Denied() {
				return true
			}
		}
		return false
	}
	if !hostUse(events) {
		t.Fatalf("no host-function use in %+v", events)
	}
	mu.Lock()
	if !hostUse(streamed) {
		t.Fatalf("no host-function use streamed: %+v", streamed)
	}
	mu.Unlock()
	// Taken: the store is empty now.
	if again, err := p.AuditEvents(); err != nil || len(again) != 0 {
		t.Fatalf("second take: %+v, %v", again, err)
	}

	// A denial: a plugin reading outside its grants.
	c := newPlugin(t, plugin("copy_file.wasm"), nanoproc.WithPolicy(&nanoproc.Policy{
		Dirs: []nanoproc.Dir{{Host: in, Guest: "/in"}, {Host: out, Guest: "/out", Writable: true}},
	}))
	req := func(from, to string) []byte {
		b, _ := json.Marshal(map[string]string{"from": from, "to": to})
		return b
	}
	if res, err := c.Call(bg, "copy_file", req("/in/a.txt", "/out/b.txt")); err != nil || string(res) != `{"bytes":4}` {
		t.Fatalf("copy: %s, %v", res, err)
	}
	_, err = c.Call(bg, "copy_file", req("/in/a.txt", "/in/c.txt"))
	wantKind(t, err, nanoproc.ErrPlugin)
	events, err = c.AuditEvents()
	if err != nil {
		t.Fatal(err)
	}
	var denied []nanoproc.AuditEvent
	for _, e := range events {
		if e.Denied() {
			denied = append(denied, e)
		}
	}
	if len(denied) != 1 || denied[0].What != "fs.open" || denied[0].Target != "/in/c.txt" || !strings.Contains(denied[0].Rule, "read-only") {
		t.Fatalf("denials %+v in %+v", denied, events)
	}
}

func TestAuditKeepDrops(t *testing.T) {
	p := newPlugin(t, plugin("call_host.wasm"), nanoproc.WithAuditKeep(1),
		nanoproc.WithPolicy(&nanoproc.Policy{AllowHostFns: []string{"host::greet"}}),
		nanoproc.WithHostFunc("host::greet", greet))
	for i := 0; i < 3; i++ {
		if _, err := p.Call(bg, "call_host", nil); err != nil {
			t.Fatal(err)
		}
	}
	events, err := p.AuditEvents()
	if err != nil || len(events) != 1 || p.AuditDropped() == 0 {
		t.Fatalf("%d events, %d dropped, %v", len(events), p.AuditDropped(), err)
	}
}

func TestConcurrentCalls(t *testing.T) {
	p := newPlugin(t, plugin("echo.wasm"))
	const goroutines, calls = 16, 40
	var wg sync.WaitGroup
	for g := 0; g < goroutines; g++ {
		wg.Add(1)
		go func(g int) {
			defer wg.Done()
			inst, err := p.Instance()
			if err != nil {
				t.Error(err)
				return
			}
			defer inst.Close()
			for i := 0; i < calls; i++ {
				in := bytes.Repeat([]byte{byte(g), byte(i)}, 100*g+i)
				out, err := p.Call(bg, "echo", in)
				if err != nil || !bytes.Equal(out, in) {
					t.Errorf("fresh %d/%d: %d bytes, %v", g, i, len(out), err)
					return
				}
				out, err = inst.Call(bg, "echo", in)
				if err != nil || !bytes.Equal(out, in) {
					t.Errorf("instance %d/%d: %d bytes, %v", g, i, len(out), err)
					return
				}
			}
		}(g)
	}
	wg.Wait()
}

func TestConcurrentUseOfOneInstanceIsRefused(t *testing.T) {
	// The host function holds the instance's call until released.
	entered, release := make(chan struct{}), make(chan struct{})
	hold := func(*nanoproc.HostCall, []byte) ([]byte, error) {
		close(entered)
		<-release
		return []byte("held"), nil
	}
	p := newPlugin(t, plugin("call_host.wasm"),
		nanoproc.WithPolicy(&nanoproc.Policy{AllowHostFns: []string{"host::greet"}}),
		nanoproc.WithHostFunc("host::greet", hold))
	inst, err := p.Instance()
	if err != nil {
		t.Fatal(err)
	}
	defer inst.Close()
	done := make(chan error, 1)
	go func() {
		out, err := inst.Call(bg, "call_host", nil)
		if err == nil && string(out) != "plugin got: held" {
			err = fmt.Errorf("output %q", out)
		}
		done <- err
	}()
	<-entered
	for _, call := range []func() ([]byte, error){
		func() ([]byte, error) { return inst.Call(bg, "call_host", nil) },
		func() ([]byte, error) {
			return inst.CallWith(bg, "call_host", nil, nanoproc.CallOptions{Timeout: time.Second})
		},
	} {
		_, err = call()
		e := wantKind(t, err, nanoproc.ErrInvalidArgument)
		if !strings.Contains(e.Message, "busy") || errors.Is(err, nanoproc.ErrClosed) {
			t.Fatalf("%q", e.Message)
		}
	}
	close(release)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	// Free again: the next call runs (and the host function is not held any more).
	entered = make(chan struct{})
	if out, err := inst.Call(bg, "call_host", nil); err != nil || string(out) != "plugin got: held" {
		t.Fatalf("%q, %v", out, err)
	}
}

func TestUseAfterClose(t *testing.T) {
	e, err := nanoproc.NewEngine()
	if err != nil {
		t.Fatal(err)
	}
	p, err := nanoproc.NewPlugin(e, plugin("echo.wasm"))
	if err != nil {
		t.Fatal(err)
	}
	inst, err := p.Instance()
	if err != nil {
		t.Fatal(err)
	}
	// The engine closed: its plugins keep working, new ones cannot be made.
	if err := e.Close(); err != nil {
		t.Fatal(err)
	}
	if err := e.Close(); err != nil {
		t.Fatal(err)
	}
	if out, err := p.Call(bg, "echo", []byte("x")); err != nil || string(out) != "x" {
		t.Fatalf("%q, %v", out, err)
	}
	_, err = nanoproc.NewPlugin(e, plugin("echo.wasm"))
	checkClosed(t, err, "engine")
	_, err = nanoproc.Run(bg, e, guest("hello.wasm"), nil)
	checkClosed(t, err, "engine")

	// The plugin closed: its instance keeps working.
	p.Close()
	p.Close()
	_, err = p.Call(bg, "echo", nil)
	checkClosed(t, err, "plugin")
	_, err = p.Instance()
	checkClosed(t, err, "plugin")
	_, err = p.Functions()
	checkClosed(t, err, "plugin")
	_, err = p.AuditEvents()
	checkClosed(t, err, "plugin")
	checkClosed(t, p.Cancel(), "plugin")
	if out, err := inst.Call(bg, "echo", []byte("y")); err != nil || string(out) != "y" {
		t.Fatalf("%q, %v", out, err)
	}
	inst.Close()
	inst.Close()
	_, err = inst.Call(bg, "echo", nil)
	checkClosed(t, err, "instance")
	var nilPlugin *nanoproc.Plugin
	if err := nilPlugin.Close(); err != nil {
		t.Fatal(err)
	}
}

func checkClosed(t *testing.T, err error, what string) {
	t.Helper()
	e := wantKind(t, err, nanoproc.ErrInvalidArgument)
	if !errors.Is(err, nanoproc.ErrClosed) || !strings.Contains(e.Message, "the "+what+" is closed") {
		t.Fatalf("%v", err)
	}
}

func TestCloseDuringACall(t *testing.T) {
	p, err := nanoproc.NewPlugin(engine, plugin("echo.wasm"))
	if err != nil {
		t.Fatal(err)
	}
	inst, err := p.Instance()
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(bg)
	errs := make(chan error, 2)
	go func() { _, err := p.Call(ctx, "spin", nil); errs <- err }()
	go func() { _, err := inst.Call(ctx, "spin", nil); errs <- err }()
	time.Sleep(20 * time.Millisecond)
	p.Close() // does not wait for the running calls
	inst.Close()
	cancel()
	for i := 0; i < 2; i++ {
		if err := <-errs; err != nil && !errors.Is(err, nanoproc.ErrCancelled) && !errors.Is(err, nanoproc.ErrClosed) {
			t.Fatalf("%v", err)
		}
	}
	_, err = p.Call(bg, "echo", nil)
	checkClosed(t, err, "plugin")
}

func TestNothingLeaks(t *testing.T) {
	// Warm up what is made once (the default engine, lazily made runtime state).
	runAll := func() {
		p, err := nanoproc.NewPlugin(engine, plugin("call_host.wasm"),
			nanoproc.WithPolicy(&nanoproc.Policy{AllowHostFns: []string{"host::greet"}}),
			nanoproc.WithHostFunc("host::greet", greet), nanoproc.WithAuditFunc(func(nanoproc.AuditEvent) {}))
		if err != nil {
			t.Fatal(err)
		}
		inst, err := p.Instance()
		if err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithTimeout(bg, time.Hour)
		for i := 0; i < 5; i++ {
			if _, err := p.Call(ctx, "call_host", []byte("x")); err != nil {
				t.Fatal(err)
			}
			if _, err := inst.Call(bg, "call_host", []byte("y")); err != nil {
				t.Fatal(err)
			}
			_, _ = p.Call(bg, "missing", nil)
		}
		cancel()
		_, _ = p.AuditEvents()
		_, _ = p.Functions()
		inst.Close()
		p.Close()
		_, _ = nanoproc.NewPlugin(engine, nanoproc.WasmBytes([]byte("bad")))
		if _, err := nanoproc.Run(bg, engine, guest("hello.wasm"), &nanoproc.Policy{Stdout: nanoproc.OutputCapture}); err != nil {
			t.Fatal(err)
		}
		_, _ = nanoproc.Run(bg, engine, guest("hello.wasm"), &nanoproc.Policy{AllowNet: []string{"nonsense"}})
	}
	runAll()
	before := nanoproc.LiveObjects()
	runAll()
	if after := nanoproc.LiveObjects(); after != before {
		t.Fatalf("live C objects: %d before, %d after", before, after)
	}
}

func TestAppendCall(t *testing.T) {
	p := newPlugin(t, plugin("echo.wasm"))
	inst, err := p.Instance()
	if err != nil {
		t.Fatal(err)
	}
	defer inst.Close()
	for _, call := range []func(dst []byte, name string, in []byte) ([]byte, error){
		func(dst []byte, name string, in []byte) ([]byte, error) {
			return p.AppendCall(bg, dst, name, in, nanoproc.CallOptions{})
		},
		func(dst []byte, name string, in []byte) ([]byte, error) {
			return inst.AppendCall(bg, dst, name, in, nanoproc.CallOptions{})
		},
	} {
		buf := make([]byte, 0, 64)
		buf = append(buf, "prefix:"...)
		out, err := call(buf, "echo", []byte("payload"))
		if err != nil || string(out) != "prefix:payload" || &out[0] != &buf[:1][0] {
			t.Fatalf("%q, %v (reused the buffer: %v)", out, err, len(out) > 0 && &out[0] == &buf[:1][0])
		}
		if out, err := call(buf, "noop", nil); err != nil || string(out) != "prefix:" {
			t.Fatalf("noop: %q, %v", out, err)
		}
		if out, err := call(buf, "fail", nil); !errors.Is(err, nanoproc.ErrPlugin) || string(out) != "prefix:" {
			t.Fatalf("fail: %q, %v", out, err)
		}
		if out, err := call(nil, "echo", []byte("x")); err != nil || string(out) != "x" {
			t.Fatalf("nil dst: %q, %v", out, err)
		}
	}
}

// A context's deadline tightens a call's time limit but never loosens the policy's, wherever
// the policy's comes from (a field, or a policy file the SDK cannot read back).
func TestContextDeadlineNeverLoosensThePolicy(t *testing.T) {
	for _, policy := range []*nanoproc.Policy{
		{Timeout: 50 * time.Millisecond},
		{TOML: "[limits]\ntimeout = \"50ms\""},
	} {
		p := newPlugin(t, plugin("echo.wasm"), nanoproc.WithPolicy(policy))
		inst, err := p.Instance()
		if err != nil {
			t.Fatal(err)
		}
		defer inst.Close()
		ctx, cancel := context.WithTimeout(bg, time.Hour)
		defer cancel()
		for _, call := range []func() ([]byte, error){
			func() ([]byte, error) { return p.Call(ctx, "spin", nil) },
			func() ([]byte, error) { return inst.Call(ctx, "spin", nil) },
		} {
			errs := make(chan error, 1)
			go func() { _, err := call(); errs <- err }()
			select {
			case err := <-errs:
				wantKind(t, err, nanoproc.ErrTimeLimit)
				if errors.Is(err, context.DeadlineExceeded) {
					t.Fatalf("%v matches context.DeadlineExceeded before the deadline", err)
				}
			case <-time.After(time.Minute): // a hang guard: the policy's 50 ms was loosened
				p.Cancel()
				t.Fatalf("policy %+v: the context's deadline replaced the policy's timeout", policy)
			}
		}
	}
	// A sooner deadline under a policy file without a timeout still stops the call: as a
	// cancellation at the deadline (the SDK cannot know the file has no timeout).
	p := newPlugin(t, plugin("echo.wasm"), nanoproc.WithPolicy(&nanoproc.Policy{TOML: "[limits]\nmax_fds = 64"}))
	ctx, cancel := context.WithTimeout(bg, 50*time.Millisecond)
	defer cancel()
	_, err := p.Call(ctx, "spin", nil)
	wantKind(t, err, nanoproc.ErrCancelled)
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("%v", err)
	}
}
