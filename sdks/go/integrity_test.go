package nanoproc_test

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	nanoproc "nanoproc.dev/sdk/go"
)

var integrityDir = filepath.Join(repoRoot(), "examples", "integrity")

func integrityFile(name string) string { return filepath.Join(integrityDir, name) }

// trusting is a policy that requires a signature by the examples' publisher key.
func trusting() *nanoproc.Policy {
	return &nanoproc.Policy{Stdout: nanoproc.OutputCapture, TrustKeys: []string{integrityFile("keys/publisher.pub")}}
}

func TestIntegrityUnsignedAndTamperedAreRefused(t *testing.T) {
	_, err := nanoproc.Run(bg, engine, guest("hello.wasm"), trusting())
	var e *nanoproc.Error
	if !errors.As(err, &e) || !errors.Is(err, nanoproc.ErrIntegrity) || e.ExitCode != 126 {
		t.Fatalf("unsigned: %v", err)
	}
	if !strings.HasPrefix(e.Message, "integrity: ") || !strings.Contains(e.Message, "is not signed") {
		t.Fatalf("message: %q", e.Message)
	}
	signed, err := os.ReadFile(integrityFile("bin/hello.signed.wasm"))
	if err != nil {
		t.Fatal(err)
	}
	out, err := nanoproc.Run(bg, engine, nanoproc.WasmBytes(signed), trusting())
	if err != nil {
		t.Fatalf("signed: %v", err)
	}
	if string(out.Stdout) != "hello from a nano-process\n" {
		t.Fatalf("signed: stdout %q", out.Stdout)
	}
	tampered := bytes.Clone(signed)
	tampered[len(tampered)-300] ^= 1
	_, err = nanoproc.Run(bg, engine, nanoproc.WasmBytes(tampered), trusting())
	if !errors.Is(err, nanoproc.ErrIntegrity) || !strings.Contains(err.Error(), "was modified after it was signed") {
		t.Fatalf("tampered: %v", err)
	}
	_, err = nanoproc.Run(bg, engine, guest("hello.wasm"), &nanoproc.Policy{PinSHA256: []string{strings.Repeat("0", 64)}})
	if !errors.Is(err, nanoproc.ErrIntegrity) || !strings.Contains(err.Error(), "does not pin") {
		t.Fatalf("pin: %v", err)
	}
	_, err = nanoproc.Run(bg, engine, guest("hello.wasm"), &nanoproc.Policy{RequireSignature: nanoproc.SignaturesAll})
	if !errors.Is(err, nanoproc.ErrInvalidPolicy) {
		t.Fatalf("requirement without keys: %v", err)
	}
}

func TestIntegrityPlugins(t *testing.T) {
	_, err := nanoproc.NewPlugin(engine, plugin("echo.wasm"), nanoproc.WithPolicy(trusting()))
	if !errors.Is(err, nanoproc.ErrIntegrity) {
		t.Fatalf("unsigned plugin: %v", err)
	}
	p := newPlugin(t, nanoproc.WasmFile(integrityFile("bin/echo.signed.wasm")), nanoproc.WithPolicy(trusting()))
	got, err := p.Call(bg, "echo", []byte("signed"))
	if err != nil || string(got) != "signed" {
		t.Fatalf("signed plugin: %q %v", got, err)
	}
}

func TestIntegrityReceipts(t *testing.T) {
	if _, err := nanoproc.RunWithReceipt(bg, engine, guest("hello.wasm"), nil, ""); !errors.Is(err, nanoproc.ErrInvalidArgument) {
		t.Fatalf("no key: %v", err)
	}
	out, err := nanoproc.RunWithReceipt(bg, engine, nanoproc.WasmFile(integrityFile("bin/hello.signed.wasm")), trusting(), integrityFile("keys/host.key"))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(out.Receipt, []byte(`"format": "nanoproc-receipt/1"`)) {
		t.Fatalf("receipt: %s", out.Receipt)
	}
	if err := nanoproc.VerifyReceipt(out.Receipt, integrityFile("keys/host.pub")); err != nil {
		t.Fatalf("verify: %v", err)
	}
	if err := nanoproc.VerifyReceipt(out.Receipt, integrityFile("keys/publisher.pub")); !errors.Is(err, nanoproc.ErrIntegrity) {
		t.Fatalf("another key: %v", err)
	}
	edited := bytes.Replace(out.Receipt, []byte(`"exit_code": 0`), []byte(`"exit_code": 9`), 1)
	if err := nanoproc.VerifyReceipt(edited, integrityFile("keys/host.pub")); !errors.Is(err, nanoproc.ErrIntegrity) ||
		!strings.Contains(err.Error(), "was modified after it was signed") {
		t.Fatalf("edited: %v", err)
	}
}
