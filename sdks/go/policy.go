package nanoproc

/*
#include "shim.h"
*/
import "C"

import (
	"os"
	"path/filepath"
	"sort"
	"time"
	"unsafe"
)

// Dir grants the guest a host directory.
type Dir struct {
	// Host is the directory on the host.
	Host string
	// Guest is where the guest sees it (e.g. "/data").
	Guest string
	// Writable allows creating, writing and removing files in it; read-only otherwise.
	Writable bool
}

// Output says where a guest's stdout or stderr goes.
type Output int

// Where a guest's output goes.
const (
	// OutputInherit writes to the host process's own stream (the default).
	OutputInherit Output = C.NANOPROC_OUTPUT_INHERIT
	// OutputCapture keeps it in memory: Outcome.Stdout / Outcome.Stderr.
	OutputCapture Output = C.NANOPROC_OUTPUT_CAPTURE
	// OutputDiscard drops it (still counted against MaxOutput).
	OutputDiscard Output = C.NANOPROC_OUTPUT_DISCARD
)

// SignatureRequirement says how many trusted keys must have signed a binary.
type SignatureRequirement int

// How many trusted keys must have signed (Policy.RequireSignature).
const (
	// SignaturesDefault requires a signature by any trusted key when there are TrustKeys,
	// none otherwise.
	SignaturesDefault SignatureRequirement = iota
	// SignaturesNone requires no signature, even with TrustKeys.
	SignaturesNone
	// SignaturesAny requires a valid signature by at least one trusted key.
	SignaturesAny
	// SignaturesAll requires a valid signature by every trusted key.
	SignaturesAll
)

// Policy says what a guest may do. The zero value is nanoproc's default: deny everything (no
// directories, no environment variables, no network, no host functions), 1 GiB of memory, no
// fuel or time limit, empty stdin, stdout and stderr inherited. Zero fields keep the default.
//
// A policy file (File or TOML) is applied first; the fields set here apply on top of it.
type Policy struct {
	// Dirs are the host directories the guest sees, read-only unless Writable.
	Dirs []Dir
	// Env sets environment variables for the guest.
	Env map[string]string
	// InheritEnv passes these host environment variables through (those that are set).
	InheritEnv []string
	// Args are the program's arguments after its name (Run only).
	Args []string
	// Stdin is what the guest reads on stdin, then end of file (Run only).
	Stdin []byte
	// Stdout and Stderr say where the guest's output goes (Run only).
	Stdout, Stderr Output

	// AllowNet allows outgoing connections matching these patterns: "host:port", "*:443",
	// "10.0.0.0/8:*" (docs/policy.md).
	AllowNet []string
	// AllowHTTP allows outgoing HTTP requests (components' wasi:http) to these origins:
	// "https://api.example.com", "https://*.example.com".
	AllowHTTP []string
	// AllowHostFns grants host functions to plugins: "namespace::name" or "namespace::*".
	AllowHostFns []string
	// WASI switches WASI preview 2 interface groups on (true) or off (false): "environment",
	// "exit", "stdio", "clocks", "random", "filesystem", "tcp", "udp", "ip-name-lookup",
	// "http", "sockets".
	WASI map[string]bool

	// MaxMemory is the budget for all linear memories and tables together, in bytes
	// (0: the default, 1 GiB).
	MaxMemory uint64
	// Fuel is the fuel budget per run or call; needs an engine made WithFuel (0: none).
	Fuel uint64
	// Timeout is the wall-clock limit per run or call, at millisecond granularity (0: none).
	Timeout time.Duration
	// MaxOutput caps the bytes written to stdout, and separately to stderr (0: no cap).
	MaxOutput uint64
	// DiskQuota is how many bytes the guest may grow files in writable directories by
	// (0: no quota).
	DiskQuota uint64

	// TrustKeys are Ed25519 public key files (PEM, from `nanoproc keygen`) whose signatures
	// count: with any, the binary must carry a valid signature by one of them (or all, see
	// RequireSignature), else it does not run (ErrIntegrity, exit code 126).
	TrustKeys []string
	// RequireSignature says how many TrustKeys must have signed (default: any one of them).
	RequireSignature SignatureRequirement
	// PinSHA256 lists the sha256 digests (hex) the binary may have; any other is refused.
	PinSHA256 []string

	// File is a policy file (TOML, docs/policy.md) applied first; its relative paths are
	// resolved against its own directory.
	File string
	// TOML is policy-file text applied after File; its relative paths are resolved against the
	// current directory.
	TOML string
}

// build makes a C policy builder from p (nil: the default policy). timeout, when positive (a
// context's deadline), tightens the policy's wall-clock limit. Free the result with
// nanoproc_policy_builder_free.
func (p *Policy) build(timeout time.Duration) (*C.nanoproc_policy_builder, error) {
	b := C.nanoproc_policy_builder_new()
	if b == nil {
		return nil, &Error{Kind: KindInternal, Message: "internal error: nanoproc_policy_builder_new returned NULL", Detail: "nanoproc_policy_builder_new returned NULL", ExitCode: 127}
	}
	if err := p.apply(b, timeout); err != nil {
		C.nanoproc_policy_builder_free(b)
		return nil, err
	}
	return b, nil
}

// cstrings frees the C strings made during one build.
type cstrings []*C.char

func (c *cstrings) str(s string) *C.char {
	p := C.CString(s)
	*c = append(*c, p)
	return p
}

func (c cstrings) free() {
	for _, p := range c {
		C.free(unsafe.Pointer(p))
	}
}

func (p *Policy) apply(b *C.nanoproc_policy_builder, timeout time.Duration) (err error) {
	var cs cstrings
	defer func() { cs.free() }()
	if p == nil {
		p = &Policy{}
	}
	// set applies one setter unless an earlier one failed.
	set := func(f func() *C.nanoproc_error) {
		if err == nil {
			err = takeError(f())
		}
	}
	// A deadline (timeout) tightens the policy's time limit, never loosens it. The C builder
	// cannot tell what a policy file set, so with a file and no Timeout field the deadline goes
	// in first, and a timeout in the file takes its place.
	toMs := func(t time.Duration) C.uint64_t {
		return C.uint64_t((t + time.Millisecond - 1) / time.Millisecond) // rounded up: never 0 (none)
	}
	deadlineFirst := timeout > 0 && p.Timeout <= 0 && (p.File != "" || p.TOML != "")
	if deadlineFirst {
		set(func() *C.nanoproc_error { return C.nanoproc_policy_builder_timeout_ms(b, toMs(timeout)) })
	}
	if p.File != "" {
		text, rerr := os.ReadFile(p.File)
		if rerr != nil {
			detail := "reading policy file `" + p.File + "`: " + rerr.Error()
			return &Error{Kind: KindIO, Message: "io error: " + detail, Detail: detail, ExitCode: 125}
		}
		set(func() *C.nanoproc_error {
			return C.nanoproc_policy_builder_apply_toml(b, cs.str(string(text)), cs.str(filepath.Dir(p.File)))
		})
	}
	if p.TOML != "" {
		set(func() *C.nanoproc_error { return C.nanoproc_policy_builder_apply_toml(b, cs.str(p.TOML), nil) })
	}
	for _, d := range p.Dirs {
		set(func() *C.nanoproc_error {
			return C.nanoproc_policy_builder_dir(b, cs.str(d.Host), cs.str(d.Guest), C.bool(d.Writable))
		})
	}
	for _, name := range sortedKeys(p.Env) {
		set(func() *C.nanoproc_error { return C.nanoproc_policy_builder_env(b, cs.str(name), cs.str(p.Env[name])) })
	}
	for _, name := range p.InheritEnv {
		set(func() *C.nanoproc_error { return C.nanoproc_policy_builder_inherit_env(b, cs.str(name)) })
	}
	for _, arg := range p.Args {
		set(func() *C.nanoproc_error { return C.nanoproc_policy_builder_arg(b, cs.str(arg)) })
	}
	if len(p.Stdin) > 0 {
		set(func() *C.nanoproc_error {
			return C.nanoproc_policy_builder_stdin(b, (*C.uint8_t)(unsafe.Pointer(unsafe.SliceData(p.Stdin))), C.size_t(len(p.Stdin)))
		})
	}
	if p.Stdout != OutputInherit {
		set(func() *C.nanoproc_error { return C.nanoproc_policy_builder_stdout(b, C.int32_t(p.Stdout)) })
	}
	if p.Stderr != OutputInherit {
		set(func() *C.nanoproc_error { return C.nanoproc_policy_builder_stderr(b, C.int32_t(p.Stderr)) })
	}
	for _, pat := range p.AllowNet {
		set(func() *C.nanoproc_error { return C.nanoproc_policy_builder_allow_net(b, cs.str(pat)) })
	}
	for _, origin := range p.AllowHTTP {
		set(func() *C.nanoproc_error { return C.nanoproc_policy_builder_allow_http(b, cs.str(origin)) })
	}
	for _, grant := range p.AllowHostFns {
		set(func() *C.nanoproc_error { return C.nanoproc_policy_builder_allow_host_fn(b, cs.str(grant)) })
	}
	for _, name := range sortedKeys(p.WASI) {
		set(func() *C.nanoproc_error {
			return C.nanoproc_policy_builder_wasi_interface(b, cs.str(name), C.bool(p.WASI[name]))
		})
	}
	for _, key := range p.TrustKeys {
		set(func() *C.nanoproc_error { return C.nanoproc_policy_builder_trust_key(b, cs.str(key)) })
	}
	if p.RequireSignature != SignaturesDefault {
		set(func() *C.nanoproc_error {
			return C.nanoproc_policy_builder_require_signature(b, C.int32_t(p.RequireSignature-SignaturesNone))
		})
	}
	for _, digest := range p.PinSHA256 {
		set(func() *C.nanoproc_error { return C.nanoproc_policy_builder_pin_sha256(b, cs.str(digest)) })
	}
	if p.MaxMemory > 0 {
		set(func() *C.nanoproc_error { return C.nanoproc_policy_builder_max_memory(b, C.uint64_t(p.MaxMemory)) })
	}
	if p.Fuel > 0 {
		set(func() *C.nanoproc_error { return C.nanoproc_policy_builder_fuel(b, C.uint64_t(p.Fuel)) })
	}
	t := p.Timeout
	if !deadlineFirst && timeout > 0 && (t <= 0 || timeout < t) {
		t = timeout
	}
	if t > 0 {
		set(func() *C.nanoproc_error { return C.nanoproc_policy_builder_timeout_ms(b, toMs(t)) })
	}
	if p.MaxOutput > 0 {
		set(func() *C.nanoproc_error { return C.nanoproc_policy_builder_max_output(b, C.uint64_t(p.MaxOutput)) })
	}
	if p.DiskQuota > 0 {
		set(func() *C.nanoproc_error { return C.nanoproc_policy_builder_disk_quota(b, C.uint64_t(p.DiskQuota)) })
	}
	return err
}

// Validate checks the policy the way plugins and runs will (an invalid value is ErrInvalidPolicy),
// without running anything.
func (p *Policy) Validate() error {
	b, err := p.build(0)
	if err != nil {
		return err
	}
	defer C.nanoproc_policy_builder_free(b)
	return takeError(C.nanoproc_policy_builder_validate(b))
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
