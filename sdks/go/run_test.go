package nanoproc_test

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	nanoproc "nanoproc.dev/sdk/go"
)

var bg = context.Background()

func TestRunHelloCapturesStdout(t *testing.T) {
	out, err := nanoproc.Run(bg, engine, guest("hello.wasm"), &nanoproc.Policy{Stdout: nanoproc.OutputCapture})
	if err != nil {
		t.Fatal(err)
	}
	if got := string(out.Stdout); got != "hello from a nano-process\n" {
		t.Fatalf("stdout %q", got)
	}
	if out.ExitCode != 0 || out.Err() != nil {
		t.Fatalf("exit %d, err %v", out.ExitCode, out.Err())
	}
	if out.Usage.StdoutBytes != uint64(len(out.Stdout)) || out.Usage.WallTime <= 0 {
		t.Fatalf("usage %+v", out.Usage)
	}
	var j map[string]any
	if err := json.Unmarshal(out.JSON, &j); err != nil || j["status"] != "exited" {
		t.Fatalf("json %s: %v", out.JSON, err)
	}
}

func TestRunNotCapturedLeavesStdoutEmpty(t *testing.T) {
	out, err := nanoproc.Run(bg, engine, guest("hello.wasm"), &nanoproc.Policy{Stdout: nanoproc.OutputDiscard})
	if err != nil {
		t.Fatal(err)
	}
	if len(out.Stdout) != 0 || out.Usage.StdoutBytes == 0 {
		t.Fatalf("stdout %q, usage %+v", out.Stdout, out.Usage)
	}
}

func TestRunNilEngineAndPolicy(t *testing.T) {
	out, err := nanoproc.Run(bg, nil, guest("exit.wasm"), nil)
	if err != nil {
		t.Fatal(err)
	}
	if out.ExitCode != 0 {
		t.Fatalf("exit %d", out.ExitCode)
	}
}

func TestRunArgsAndExitStatus(t *testing.T) {
	out, err := nanoproc.Run(bg, engine, guest("exit.wasm"), &nanoproc.Policy{Args: []string{"7"}})
	if err != nil {
		t.Fatal(err)
	}
	if out.ExitCode != 7 || out.Err() != nil {
		t.Fatalf("exit %d, err %v", out.ExitCode, out.Err())
	}
}

func TestRunStdinReachesTheGuest(t *testing.T) {
	in := []byte("piped in\x00\xff")
	out, err := nanoproc.Run(bg, engine, nanoproc.WasmBytes([]byte(catStdinWat)).Named("cat_stdin"),
		&nanoproc.Policy{Stdin: in, Stdout: nanoproc.OutputCapture})
	if err != nil {
		t.Fatal(err)
	}
	if string(out.Stdout) != string(in) {
		t.Fatalf("stdout %q", out.Stdout)
	}
	// Without Stdin the guest reads end of file at once.
	out, err = nanoproc.Run(bg, engine, nanoproc.WasmBytes([]byte(catStdinWat)), &nanoproc.Policy{Stdout: nanoproc.OutputCapture})
	if err != nil || len(out.Stdout) != 0 {
		t.Fatalf("stdout %q, err %v", out.Stdout, err)
	}
}

func TestRunCatNeedsADirGrant(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "a.txt"), []byte("granted text\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	granted, err := nanoproc.Run(bg, engine, guest("cat.wasm"), &nanoproc.Policy{
		Dirs: []nanoproc.Dir{{Host: dir, Guest: "/in"}}, Args: []string{"/in/a.txt"},
		Stdout: nanoproc.OutputCapture, Stderr: nanoproc.OutputCapture,
	})
	if err != nil {
		t.Fatal(err)
	}
	if granted.ExitCode != 0 || string(granted.Stdout) != "granted text\n" {
		t.Fatalf("exit %d, stdout %q, stderr %q", granted.ExitCode, granted.Stdout, granted.Stderr)
	}
	// The same read without the grant: the file does not exist for the guest.
	denied, err := nanoproc.Run(bg, engine, guest("cat.wasm"), &nanoproc.Policy{
		Args: []string{filepath.Join(dir, "a.txt")}, Stdout: nanoproc.OutputCapture, Stderr: nanoproc.OutputCapture,
	})
	if err != nil {
		t.Fatal(err)
	}
	if denied.ExitCode != 1 || len(denied.Stdout) != 0 || !strings.Contains(string(denied.Stderr), "cat: ") {
		t.Fatalf("exit %d, stdout %q, stderr %q", denied.ExitCode, denied.Stdout, denied.Stderr)
	}
}

func TestRunCopyBetweenReadOnlyAndWritableDirs(t *testing.T) {
	in, out := t.TempDir(), t.TempDir()
	data := strings.Repeat("copied by a sandboxed program\n", 100)
	if err := os.WriteFile(filepath.Join(in, "src.txt"), []byte(data), 0o644); err != nil {
		t.Fatal(err)
	}
	dirs := []nanoproc.Dir{{Host: in, Guest: "/in"}, {Host: out, Guest: "/out", Writable: true}}
	o, err := nanoproc.Run(bg, engine, guest("copy.wasm"), &nanoproc.Policy{
		Dirs: dirs, Args: []string{"/in/src.txt", "/out/dst.txt"}, Stderr: nanoproc.OutputCapture,
	})
	if err != nil {
		t.Fatal(err)
	}
	got, rerr := os.ReadFile(filepath.Join(out, "dst.txt"))
	if o.ExitCode != 0 || rerr != nil || string(got) != data {
		t.Fatalf("exit %d, stderr %q, read %v", o.ExitCode, o.Stderr, rerr)
	}
	// The read-only dir refuses the write; nothing appears on the host.
	o, err = nanoproc.Run(bg, engine, guest("copy.wasm"), &nanoproc.Policy{
		Dirs: dirs, Args: []string{"/in/src.txt", "/in/dst.txt"}, Stderr: nanoproc.OutputCapture,
	})
	if err != nil {
		t.Fatal(err)
	}
	if o.ExitCode != 1 || !strings.Contains(string(o.Stderr), "copy: /in/dst.txt") {
		t.Fatalf("exit %d, stderr %q", o.ExitCode, o.Stderr)
	}
	if _, err := os.Stat(filepath.Join(in, "dst.txt")); !os.IsNotExist(err) {
		t.Fatalf("the guest wrote into the read-only dir: %v", err)
	}
}

func TestRunReadOnlyDirDeniesWrites(t *testing.T) {
	dir := t.TempDir()
	for _, writable := range []bool{false, true} {
		o, err := nanoproc.Run(bg, engine, guest("fs.wasm"), &nanoproc.Policy{
			Dirs: []nanoproc.Dir{{Host: dir, Guest: "/sb", Writable: writable}},
			Args: []string{"write", "/sb/new.txt", "text"}, Stdout: nanoproc.OutputCapture, Stderr: nanoproc.OutputDiscard,
		})
		if err != nil {
			t.Fatal(err)
		}
		lines := strings.Split(strings.TrimSpace(string(o.Stdout)), "\n")
		verdict := lines[len(lines)-1]
		_, statErr := os.Stat(filepath.Join(dir, "new.txt"))
		if writable {
			if verdict != "ok" || o.ExitCode != 0 || statErr != nil {
				t.Fatalf("writable: verdict %q, exit %d, stat %v", verdict, o.ExitCode, statErr)
			}
		} else if !strings.HasPrefix(verdict, "error: ") || o.ExitCode != 1 || !os.IsNotExist(statErr) {
			t.Fatalf("read-only: verdict %q, exit %d, stat %v", verdict, o.ExitCode, statErr)
		}
	}
}

func TestRunEnvDeniedByDefault(t *testing.T) {
	t.Setenv("NANOPROC_GO_SECRET", "host-only")
	run := func(p *nanoproc.Policy) string {
		t.Helper()
		p.Stdout = nanoproc.OutputCapture
		o, err := nanoproc.Run(bg, engine, guest("env.wasm"), p)
		if err != nil || o.ExitCode != 0 {
			t.Fatalf("err %v, outcome %+v", err, o)
		}
		return string(o.Stdout)
	}
	if got := run(&nanoproc.Policy{}); got != "" {
		t.Fatalf("default policy leaked environment variables: %q", got)
	}
	if got := run(&nanoproc.Policy{Env: map[string]string{"B": "2", "A": "1"}}); got != "A=1\nB=2\n" {
		t.Fatalf("env: %q", got)
	}
	if got := run(&nanoproc.Policy{InheritEnv: []string{"NANOPROC_GO_SECRET", "NANOPROC_GO_UNSET"}}); got != "NANOPROC_GO_SECRET=host-only\n" {
		t.Fatalf("inherited: %q", got)
	}
}

func TestRunFloodHitsOutputLimit(t *testing.T) {
	o, err := nanoproc.Run(bg, engine, guest("flood.wasm"), &nanoproc.Policy{
		MaxOutput: 64 << 10, Stdout: nanoproc.OutputCapture, Timeout: 60 * time.Second,
	})
	if err != nil {
		t.Fatal(err)
	}
	e := wantKind(t, o.Err(), nanoproc.ErrOutputLimit)
	if !errors.Is(o.Err(), nanoproc.ErrLimitExceeded) || errors.Is(o.Err(), nanoproc.ErrTimeLimit) {
		t.Fatalf("%v: limit matching wrong", o.Err())
	}
	if o.ExitCode != 122 || e.ExitCode != 122 || len(o.Stdout) > 64<<10 {
		t.Fatalf("exit %d / %d, %d bytes captured", o.ExitCode, e.ExitCode, len(o.Stdout))
	}
	if !strings.Contains(string(o.JSON), `"status":"stopped"`) {
		t.Fatalf("json: %s", o.JSON)
	}
}

func TestRunSpinHitsTimeLimit(t *testing.T) {
	o, err := nanoproc.Run(bg, engine, guest("spin.wasm"), &nanoproc.Policy{Timeout: 100 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	wantKind(t, o.Err(), nanoproc.ErrTimeLimit)
	if o.ExitCode != 124 || errors.Is(o.Err(), context.DeadlineExceeded) {
		t.Fatalf("exit %d, err %v", o.ExitCode, o.Err())
	}
}

func TestRunContextDeadlineIsATimeout(t *testing.T) {
	ctx, cancel := context.WithTimeout(bg, 100*time.Millisecond)
	defer cancel()
	o, err := nanoproc.Run(ctx, engine, guest("spin.wasm"), nil)
	if err != nil {
		t.Fatal(err)
	}
	wantKind(t, o.Err(), nanoproc.ErrTimeLimit)
	if !errors.Is(o.Err(), context.DeadlineExceeded) {
		t.Fatalf("%v does not match context.DeadlineExceeded", o.Err())
	}
	// A context that ended already keeps the program from starting.
	_, err = nanoproc.Run(ctx, engine, guest("hello.wasm"), nil)
	wantKind(t, err, nanoproc.ErrTimeLimit)
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("%v", err)
	}
	cctx, ccancel := context.WithCancel(bg)
	ccancel()
	_, err = nanoproc.Run(cctx, engine, guest("hello.wasm"), nil)
	wantKind(t, err, nanoproc.ErrCancelled)
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("%v", err)
	}
}

func TestRunFuelLimit(t *testing.T) {
	o, err := nanoproc.Run(bg, fuelEngine, guest("spin.wasm"), &nanoproc.Policy{Fuel: 1_000_000})
	if err != nil {
		t.Fatal(err)
	}
	wantKind(t, o.Err(), nanoproc.ErrFuelLimit)
	if !o.Usage.FuelMetered || o.ExitCode != 124 {
		t.Fatalf("usage %+v, exit %d", o.Usage, o.ExitCode)
	}
	// A fuel budget needs an engine that meters fuel.
	_, err = nanoproc.Run(bg, engine, guest("spin.wasm"), &nanoproc.Policy{Fuel: 1_000_000})
	if e := wantKind(t, err, nanoproc.ErrInvalidPolicy); !strings.Contains(e.Message, "fuel") {
		t.Fatalf("%q", e.Message)
	}
}

func TestRunMemoryLimit(t *testing.T) {
	o, err := nanoproc.Run(bg, engine, guest("memhog.wasm"), &nanoproc.Policy{MaxMemory: 16 << 20, Stderr: nanoproc.OutputDiscard})
	if err != nil {
		t.Fatal(err)
	}
	wantKind(t, o.Err(), nanoproc.ErrMemoryLimit)
	if o.ExitCode != 121 || o.Usage.PeakMemory > 16<<20 {
		t.Fatalf("exit %d, usage %+v", o.ExitCode, o.Usage)
	}
}

func TestRunInvalidModule(t *testing.T) {
	_, err := nanoproc.Run(bg, engine, nanoproc.WasmBytes([]byte("\x00asm\x01\x00\x00\x00garbage")), nil)
	wantKind(t, err, nanoproc.ErrInvalidModule)
	_, err = nanoproc.Run(bg, engine, nanoproc.WasmFile(filepath.Join(t.TempDir(), "missing.wasm")), nil)
	wantKind(t, err, nanoproc.ErrIO)
}

func TestRunInvalidPolicy(t *testing.T) {
	bad := &nanoproc.Policy{AllowNet: []string{"nonsense"}}
	_, err := nanoproc.Run(bg, engine, guest("hello.wasm"), bad)
	e := wantKind(t, err, nanoproc.ErrInvalidPolicy)
	if !strings.Contains(e.Message, "nonsense") || e.ExitCode != 125 {
		t.Fatalf("%q (exit %d) does not name the bad value", e.Message, e.ExitCode)
	}
	wantKind(t, bad.Validate(), nanoproc.ErrInvalidPolicy)
	if err := (&nanoproc.Policy{AllowNet: []string{"127.0.0.1:8080"}}).Validate(); err != nil {
		t.Fatalf("a good pattern: %v", err)
	}
	_, err = nanoproc.Run(bg, engine, guest("hello.wasm"), &nanoproc.Policy{WASI: map[string]bool{"teleport": true}})
	wantKind(t, err, nanoproc.ErrInvalidPolicy)
	_, err = nanoproc.Run(bg, engine, guest("hello.wasm"), &nanoproc.Policy{TOML: "limits = 3"})
	wantKind(t, err, nanoproc.ErrInvalidPolicy)
}

func TestRunPolicyFile(t *testing.T) {
	dir := t.TempDir()
	if err := os.Mkdir(filepath.Join(dir, "data"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "data", "note.txt"), []byte("from the file's dir\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	policyFile := filepath.Join(dir, "policy.toml")
	text := `dirs = [{ host = "data", guest = "/data" }]
environment = { MODE = "file" }
[stdio]
stdout = "capture"
`
	if err := os.WriteFile(policyFile, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	o, err := nanoproc.Run(bg, engine, guest("cat.wasm"), &nanoproc.Policy{File: policyFile, Args: []string{"/data/note.txt"}})
	if err != nil {
		t.Fatal(err)
	}
	if o.ExitCode != 0 || string(o.Stdout) != "from the file's dir\n" {
		t.Fatalf("exit %d, stdout %q", o.ExitCode, o.Stdout)
	}
	// Fields apply on top of the file.
	o, err = nanoproc.Run(bg, engine, guest("env.wasm"), &nanoproc.Policy{File: policyFile, Env: map[string]string{"MODE": "field"}})
	if err != nil || string(o.Stdout) != "MODE=field\n" {
		t.Fatalf("stdout %q, err %v", o.Stdout, err)
	}
	_, err = nanoproc.Run(bg, engine, guest("env.wasm"), &nanoproc.Policy{File: filepath.Join(dir, "missing.toml")})
	wantKind(t, err, nanoproc.ErrIO)
}

func TestRunAuditTrailRecordsGrants(t *testing.T) {
	dir := t.TempDir()
	o, err := nanoproc.Run(bg, engine, guest("env.wasm"), &nanoproc.Policy{
		Dirs: []nanoproc.Dir{{Host: dir, Guest: "/d"}}, Env: map[string]string{"A": "1"}, Stdout: nanoproc.OutputDiscard,
	})
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	for _, e := range o.Events {
		seen[e.What+" "+e.Decision] = true
		if e.Time.IsZero() || e.Rule == "" {
			t.Fatalf("event %+v", e)
		}
	}
	if !seen["env allowed"] || !seen["fs.mount allowed"] || !seen["exit allowed"] {
		t.Fatalf("events %+v", o.Events)
	}
	if len(o.Denials) != 0 {
		t.Fatalf("denials %+v", o.Denials)
	}
}

func TestRunDeadlineNeverLoosensAPolicyFileTimeout(t *testing.T) {
	ctx, cancel := context.WithTimeout(bg, time.Hour)
	defer cancel()
	errs := make(chan error, 1)
	go func() {
		o, err := nanoproc.Run(ctx, engine, guest("spin.wasm"), &nanoproc.Policy{TOML: "[limits]\ntimeout = \"50ms\""})
		if err == nil {
			err = o.Err()
		}
		errs <- err
	}()
	select {
	case err := <-errs:
		wantKind(t, err, nanoproc.ErrTimeLimit)
	case <-time.After(time.Minute): // a hang guard: the file's 50 ms was replaced by the hour
		t.Fatal("the context's deadline replaced the policy file's timeout")
	}
	// And a sooner deadline with a file that sets no timeout still bounds the run.
	short, cancelShort := context.WithTimeout(bg, 50*time.Millisecond)
	defer cancelShort()
	o, err := nanoproc.Run(short, engine, guest("spin.wasm"), &nanoproc.Policy{TOML: "[limits]\nmax_fds = 64"})
	if err != nil {
		t.Fatal(err)
	}
	wantKind(t, o.Err(), nanoproc.ErrTimeLimit)
}
