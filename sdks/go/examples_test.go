package nanoproc_test

import (
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// goRun runs `go run ./examples/NAME` from this module (with this process's environment, so
// CGO_LDFLAGS finds libnanoproc_capi as for the tests) and returns its stdout.
func goRun(t *testing.T, name string) string {
	t.Helper()
	if testing.Short() {
		t.Skip("builds and runs an example program")
	}
	gobin, err := exec.LookPath("go")
	if err != nil {
		t.Skip("no go command in PATH")
	}
	cmd := exec.Command(gobin, "run", "./"+filepath.Join("examples", name))
	cmd.Dir = filepath.Join(root, "sdks", "go")
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go run ./examples/%s: %v\nstdout:\n%s\nstderr:\n%s", name, err, out, stderr.String())
	}
	return string(out)
}

// wantLines checks that each pattern matches some line of out, in order.
func wantLines(t *testing.T, out string, patterns ...string) {
	t.Helper()
	lines := strings.Split(out, "\n")
	i := 0
	for _, p := range patterns {
		re := regexp.MustCompile(p)
		for i < len(lines) && !re.MatchString(lines[i]) {
			i++
		}
		if i == len(lines) {
			t.Fatalf("no line matching %q (in order) in:\n%s", p, out)
		}
		i++
	}
}

func TestExampleExtend(t *testing.T) {
	out := goRun(t, "extend")
	wantLines(t, out,
		`^copied 920 bytes with a budget of 30000 fuel; identical: true$`,
		`^write into the read-only dir refused: plugin error: /in/c\.txt: `,
		`^file created in the input dir: false$`,
		`^read outside the grants refused: plugin error: /etc/passwd: No such file or directory`,
		`^audit trail \(\d+ fs\.mount events`,
		`^  allowed fs\.open +/in/a\.txt$`,
		`^  allowed fs\.open +/out/b\.txt$`,
		`^  denied +fs\.open +/in/c\.txt$`,
		`^with a budget of 5000 fuel: fuel limit: the guest used all 5000 units of fuel`,
	)
}

func TestExampleIsolate(t *testing.T) {
	out := goRun(t, "isolate")
	wantLines(t, out,
		`^call_host\(alice\) +-> "plugin got: hello, alice"$`,
		`^call_host\(mallory\) +-> ErrHostFunction: host function error: .*mallory is not welcome$`,
		`^call_host\(bob\) +-> "plugin got: hello, bob"$`,
		`^audit trail of call_host:$`,
		`^  allowed host_fn +host::greet: `,
		`^echo\(before\) +-> "before"$`,
		`^trap\(\) +-> ErrTrap: guest trap: `,
		`^spin\(\) with a 200 ms timeout -> ErrTimeLimit: time limit: `,
		`^spin\(\) until ctx is cancelled -> ErrCancelled \+ context\.Canceled: cancelled: `,
		`^grow\(\) within 16 MiB +-> ErrMemoryLimit: memory limit: `,
		`^echo\(after\) +-> "after"$`,
		`^audit trail of echo:$`,
		`^  denied +limit\.timeout`,
		`^  denied +limit\.memory`,
		`^ungranted_host\.wasm refused at load: denied: .*host::launch_missiles`,
	)
}
