// Command bench measures the per-call cost of plugin calls from Go through nanoproc's C ABI.
//
//	cd sdks/go && CGO_LDFLAGS=-L/var/tmp/nanoproc-target/release go run ./bench [-quick]
//
// (or: bash sdks/go/bench/run.sh, which builds the C library first). Four cases on
// examples/plugins/bin/echo.wasm with a pooling engine:
//
//	warm_noop       Instance.Call("noop"): empty in, empty out, in a kept sandbox
//	warm_echo_64k   Instance.Call("echo") with 64 KiB (64 KiB back)
//	fresh_noop      Plugin.Call("noop"): a fresh sandbox per call
//	fresh_echo_64k  Plugin.Call("echo") with 64 KiB in a fresh sandbox
//
// and, in the table only, the two echo cases through AppendCall into one reused buffer (no
// allocation per call).
//
// Calls run in batches of a calibrated size (about 2 ms each, -batch); each batch gives a mean
// per call; the table shows the median and the 99th percentile of those means in nanoseconds
// (the garbage collector on, as in any Go program).
// Besides the table it prints one machine line per case, `RESULT go <case> <median_ns> <p99_ns>`,
// and the goal check `goal: warm no-op <= 200 ns: yes|no`.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"time"

	nanoproc "nanoproc.dev/sdk/go"
)

const goalWarmNoopNs = 200

func main() {
	quick := flag.Bool("quick", false, "fewer, shorter batches (a smoke run, not a measurement)")
	batches := flag.Int("batches", 200, "batches per case")
	batch := flag.Duration("batch", 2*time.Millisecond, "target time of one batch")
	echoPath := flag.String("echo", "", "path to echo.wasm (default: the repository's examples/plugins/bin/echo.wasm)")
	flag.Parse()
	if *quick {
		*batches, *batch = 20, time.Millisecond
	}
	if *echoPath == "" {
		*echoPath = filepath.Join(repoRoot(), "examples", "plugins", "bin", "echo.wasm")
	}
	if err := run(*echoPath, *batches, *batch); err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
}

// repoRoot is the repository root, found from this source file or the working directory.
func repoRoot() string {
	if _, file, _, ok := runtime.Caller(0); ok {
		if root := filepath.Join(filepath.Dir(file), "..", "..", ".."); exists(filepath.Join(root, "examples")) {
			return root
		}
	}
	dir, _ := os.Getwd()
	for d := dir; d != filepath.Dir(d); d = filepath.Dir(d) {
		if exists(filepath.Join(d, "examples", "plugins", "bin", "echo.wasm")) {
			return d
		}
	}
	return dir
}

func exists(p string) bool { _, err := os.Stat(p); return err == nil }

type result struct {
	name        string
	median, p99 float64
	extra       bool
}

func run(echoPath string, batches int, batch time.Duration) error {
	engine, err := nanoproc.NewEngine(nanoproc.WithPooling(true))
	if err != nil {
		return err
	}
	defer engine.Close()
	plugin, err := nanoproc.NewPlugin(engine, nanoproc.WasmFile(echoPath))
	if err != nil {
		return err
	}
	defer plugin.Close()
	inst, err := plugin.Instance()
	if err != nil {
		return err
	}
	defer inst.Close()

	ctx := context.Background()
	payload := make([]byte, 64<<10)
	for i := range payload {
		payload[i] = byte(i)
	}
	// Check once that the calls do what they should before timing them.
	if out, err := inst.Call(ctx, "echo", payload); err != nil || len(out) != len(payload) {
		return fmt.Errorf("echo check failed: %d bytes, %v", len(out), err)
	}

	var failure error
	must := func(_ []byte, err error) {
		if err != nil && failure == nil {
			failure = err
		}
	}
	buf := make([]byte, 0, len(payload))
	cases := []struct {
		name  string
		loop  func(n int)
		extra bool // in the table only, not a RESULT line
	}{
		{"warm_noop", func(n int) {
			for i := 0; i < n; i++ {
				must(inst.Call(ctx, "noop", nil))
			}
		}, false},
		{"warm_echo_64k", func(n int) {
			for i := 0; i < n; i++ {
				must(inst.Call(ctx, "echo", payload))
			}
		}, false},
		{"fresh_noop", func(n int) {
			for i := 0; i < n; i++ {
				must(plugin.Call(ctx, "noop", nil))
			}
		}, false},
		{"fresh_echo_64k", func(n int) {
			for i := 0; i < n; i++ {
				must(plugin.Call(ctx, "echo", payload))
			}
		}, false},
		{"warm_echo_64k_append", func(n int) {
			for i := 0; i < n; i++ {
				var err error
				buf, err = inst.AppendCall(ctx, buf[:0], "echo", payload, nanoproc.CallOptions{})
				must(buf, err)
			}
		}, true},
		{"fresh_echo_64k_append", func(n int) {
			for i := 0; i < n; i++ {
				var err error
				buf, err = plugin.AppendCall(ctx, buf[:0], "echo", payload, nanoproc.CallOptions{})
				must(buf, err)
			}
		}, true},
	}
	var results []result
	for _, c := range cases {
		median, p99 := measure(c.loop, batches, batch)
		if failure != nil {
			return fmt.Errorf("%s: %w", c.name, failure)
		}
		results = append(results, result{c.name, median, p99, c.extra})
	}

	fmt.Printf("nanoproc %s from Go %s (%s/%s, GOMAXPROCS=%d), echo.wasm, pooling engine\n",
		nanoproc.Version(), runtime.Version(), runtime.GOOS, runtime.GOARCH, runtime.GOMAXPROCS(0))
	fmt.Printf("%d batches of ~%s per case\n\n", batches, batch)
	fmt.Printf("%-22s %14s %14s\n", "case", "median ns/call", "p99 ns/call")
	for _, r := range results {
		fmt.Printf("%-22s %14.0f %14.0f\n", r.name, r.median, r.p99)
	}
	fmt.Println("(*_append: AppendCall into one reused buffer instead of a new slice per call)")
	fmt.Println()
	for _, r := range results {
		if !r.extra {
			fmt.Printf("RESULT go %s %.0f %.0f\n", r.name, r.median, r.p99)
		}
	}
	yes := "no"
	if results[0].median <= goalWarmNoopNs {
		yes = "yes"
	}
	fmt.Printf("goal: warm no-op <= %d ns: %s\n", goalWarmNoopNs, yes)
	return nil
}

// measure calibrates a batch size so a batch takes about target, then times batches and returns
// the median and p99 of the per-call means, in ns. The garbage collector runs as in any Go
// program (the outputs are Go byte slices; their collection is part of the cost per call).
func measure(loop func(int), batches int, target time.Duration) (median, p99 float64) {
	loop(1)
	n := 1
	var elapsed time.Duration
	for {
		t := time.Now()
		loop(n)
		elapsed = time.Since(t)
		if elapsed >= target/4 || n >= 1<<24 {
			break
		}
		n *= 2
	}
	perCall := float64(elapsed) / float64(n)
	if perCall < 1 {
		perCall = 1
	}
	size := int(float64(target) / perCall)
	if size < 1 {
		size = 1
	}
	runtime.GC()
	loop(size) // warm-up batch
	means := make([]float64, 0, batches)
	for b := 0; b < batches; b++ {
		t := time.Now()
		loop(size)
		means = append(means, float64(time.Since(t))/float64(size))
	}
	sort.Float64s(means)
	median = means[len(means)/2]
	if len(means)%2 == 0 {
		median = (means[len(means)/2-1] + means[len(means)/2]) / 2
	}
	idx := int(0.99*float64(len(means)-1) + 0.5)
	return median, means[idx]
}
