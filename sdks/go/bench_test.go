package nanoproc_test

import (
	"testing"

	nanoproc "nanoproc.dev/sdk/go"
)

// Benchmarks of the call paths (go test -bench .); bench/main.go is the full measurement.

func benchPlugin(b *testing.B) (*nanoproc.Plugin, *nanoproc.Instance) {
	p, err := nanoproc.NewPlugin(engine, plugin("echo.wasm"))
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { p.Close() })
	inst, err := p.Instance()
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { inst.Close() })
	return p, inst
}

func BenchmarkWarmNoop(b *testing.B) {
	_, inst := benchPlugin(b)
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		if _, err := inst.Call(bg, "noop", nil); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkFreshNoop(b *testing.B) {
	p, _ := benchPlugin(b)
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		if _, err := p.Call(bg, "noop", nil); err != nil {
			b.Fatal(err)
		}
	}
}
