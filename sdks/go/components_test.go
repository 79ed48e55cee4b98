package nanoproc_test

import (
	"errors"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	nanoproc "nanoproc.dev/sdk/go"
)

func component(name string) nanoproc.Wasm {
	return nanoproc.WasmFile(filepath.Join(components, name))
}

func TestComponentPluginMatchesCoreModule(t *testing.T) {
	comp := newPlugin(t, component("count_vowels.wasm"))
	core := newPlugin(t, plugin("count_vowels.wasm"))
	if c, err := comp.IsComponent(); err != nil || !c {
		t.Fatalf("IsComponent: %v, %v", c, err)
	}
	fns, err := comp.Functions()
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{"count_vowels", "echo", "fail", "log", "call_host"} {
		if !slices.Contains(fns, f) {
			t.Fatalf("Functions() = %v, missing %s", fns, f)
		}
	}
	for _, in := range []string{"", "Hello, World", "ÄÖÜ äöü aeiou", "\xff\xfe not utf-8 a"} {
		want, err := core.Call(bg, "count_vowels", []byte(in))
		if err != nil {
			t.Fatal(err)
		}
		got, err := comp.Call(bg, "count_vowels", []byte(in))
		if err != nil || string(got) != string(want) {
			t.Fatalf("%q: component %s (%v), core %s", in, got, err, want)
		}
	}
	// Config reaches components too.
	cfg := newPlugin(t, component("count_vowels.wasm"), nanoproc.WithConfig("vowels", "lW"))
	if out, err := cfg.Call(bg, "count_vowels", []byte("Hello, World")); err != nil || string(out) != `{"count":4,"total":12,"vowels":"lW"}` {
		t.Fatalf("%s, %v", out, err)
	}
	// An instance of a component.
	inst, err := comp.Instance()
	if err != nil {
		t.Fatal(err)
	}
	defer inst.Close()
	if out, err := inst.Call(bg, "echo", []byte("kept")); err != nil || string(out) != "kept" {
		t.Fatalf("%q, %v", out, err)
	}
	_, err = comp.Call(bg, "fail", nil)
	if e := wantKind(t, err, nanoproc.ErrPlugin); !strings.Contains(e.Message, "failing on purpose") {
		t.Fatalf("%q", e.Message)
	}
}

func TestComponentHostFunction(t *testing.T) {
	grant := nanoproc.WithPolicy(&nanoproc.Policy{AllowHostFns: []string{"host::greet"}})
	p := newPlugin(t, component("count_vowels.wasm"), grant, nanoproc.WithHostFunc("host::greet", greet))
	if out, err := p.Call(bg, "call_host", []byte("dave")); err != nil || string(out) != "plugin got: hello, dave" {
		t.Fatalf("%q, %v", out, err)
	}
	failing := newPlugin(t, component("count_vowels.wasm"), grant,
		nanoproc.WithHostFunc("host::greet", func(*nanoproc.HostCall, []byte) ([]byte, error) {
			return nil, errors.New("no greeting today")
		}))
	// The component passes the host's error on as its own (examples/components/README.md).
	_, err := failing.Call(bg, "call_host", nil)
	if e := wantKind(t, err, nanoproc.ErrPlugin); !strings.Contains(e.Message, "no greeting today") {
		t.Fatalf("%q", e.Message)
	}
	// Not granted: the component loads (host functions are looked up by name at run time) but
	// the call is refused.
	ungranted := newPlugin(t, component("count_vowels.wasm"), nanoproc.WithHostFunc("host::greet", greet))
	_, err = ungranted.Call(bg, "call_host", nil)
	if e := wantKind(t, err, nanoproc.ErrPlugin); !strings.Contains(e.Message, "may not call host function `host::greet`") {
		t.Fatalf("%q", e.Message)
	}
}
