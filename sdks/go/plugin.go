package nanoproc

/*
#include "shim.h"
*/
import "C"

import (
	"context"
	"encoding/json"
	"runtime"
	"runtime/cgo"
	"strings"
	"sync/atomic"
	"unsafe"
)

// Plugin is a loaded, checked and compiled plugin: a core module following docs/abi.md or a
// nanoproc:plugin component. It is safe for concurrent use: each [Plugin.Call] runs in a fresh
// sandbox, so calls share nothing. Close it when done.
type Plugin struct {
	ptr     *C.nanoproc_plugin
	ref     ref
	name    string
	dropped atomic.Uint64
	timeout policyTimeout
}

type pluginConfig struct {
	policy    *Policy
	name      string
	config    [][2]string
	hostFns   []hostFn
	auditKeep int
	auditFn   func(AuditEvent)
}

type hostFn struct {
	name string
	fn   HostFunc
}

// PluginOption configures [NewPlugin].
type PluginOption func(*pluginConfig)

// WithPolicy sets what the plugin may do (copied now). Default: deny everything.
func WithPolicy(p *Policy) PluginOption { return func(c *pluginConfig) { c.policy = p } }

// WithName names the plugin in errors and the audit trail (default: the file name).
func WithName(name string) PluginOption { return func(c *pluginConfig) { c.name = name } }

// WithConfig sets a configuration value the plugin reads with config_get (docs/abi.md).
func WithConfig(key, value string) PluginOption {
	return func(c *pluginConfig) { c.config = append(c.config, [2]string{key, value}) }
}

// WithHostFunc provides host function name ("namespace::name", e.g. "host::greet") to the plugin.
// The plugin may use it only if its policy grants it (Policy.AllowHostFns): a plugin importing
// an ungranted one fails to load with ErrDenied.
func WithHostFunc(name string, fn HostFunc) PluginOption {
	return func(c *pluginConfig) { c.hostFns = append(c.hostFns, hostFn{name, fn}) }
}

// WithAuditKeep sets how many audit events the plugin keeps for [Plugin.AuditEvents] (the most
// recent; default 1024; 0 keeps none).
func WithAuditKeep(n int) PluginOption { return func(c *pluginConfig) { c.auditKeep = n } }

// WithAuditFunc also streams every audit event to fn, on the goroutine making the call (so
// possibly concurrently): fn must be safe for concurrent use and quick.
func WithAuditFunc(fn func(AuditEvent)) PluginOption {
	return func(c *pluginConfig) { c.auditFn = fn }
}

// NewPlugin loads, checks and compiles a plugin on engine (nil: [DefaultEngine]). Imports are
// checked against the policy here: an ungranted host function is ErrDenied, bad code
// ErrInvalidModule, a bad policy ErrInvalidPolicy.
func NewPlugin(engine *Engine, wasm Wasm, opts ...PluginOption) (*Plugin, error) {
	cfg := pluginConfig{auditKeep: C.NANOPROC_AUDIT_KEEP_DEFAULT}
	for _, o := range opts {
		o(&cfg)
	}
	e, err := useEngine(engine)
	if err != nil {
		return nil, err
	}
	defer e.done()
	var b *C.nanoproc_plugin_builder
	if err := takeError(C.nanoproc_plugin_builder_new(e.ptr, &b)); err != nil {
		return nil, err
	}
	if err := configure(b, wasm, &cfg); err != nil {
		C.nanoproc_plugin_builder_free(b)
		return nil, err
	}
	p := &Plugin{name: cfg.name, timeout: cfg.policy.timeoutLimit()}
	if err := takeError(C.nanoproc_plugin_builder_build(b, &p.ptr)); err != nil {
		return nil, err
	}
	if p.name == "" {
		p.name = wasm.String()
	}
	runtime.SetFinalizer(p, (*Plugin).Close)
	return p, nil
}

func configure(b *C.nanoproc_plugin_builder, wasm Wasm, cfg *pluginConfig) error {
	var cs cstrings
	defer func() { cs.free() }()
	if wasm.bytes != nil {
		ptr, n := cInput(wasm.bytes)
		if err := takeError(C.nanoproc_plugin_builder_wasm_bytes(b, ptr, n)); err != nil {
			return err
		}
		if cfg.name == "" {
			cfg.name = wasm.name
		}
	} else if err := takeError(C.nanoproc_plugin_builder_wasm_file(b, cs.str(wasm.path))); err != nil {
		return err
	}
	if cfg.name != "" {
		if err := takeError(C.nanoproc_plugin_builder_name(b, cs.str(cfg.name))); err != nil {
			return err
		}
	}
	pb, err := cfg.policy.build(0)
	if err != nil {
		return err
	}
	err = takeError(C.nanoproc_plugin_builder_policy(b, pb))
	C.nanoproc_policy_builder_free(pb)
	if err != nil {
		return err
	}
	for _, kv := range cfg.config {
		if err := takeError(C.nanoproc_plugin_builder_config(b, cs.str(kv[0]), cs.str(kv[1]))); err != nil {
			return err
		}
	}
	for _, h := range cfg.hostFns {
		ns, name, ok := strings.Cut(h.name, "::")
		if !ok || ns == "" || name == "" || h.fn == nil {
			return argumentError("host function `" + h.name + "`: give it as \"namespace::name\" with a non-nil function")
		}
		// The handle is deleted by nanoproc's free callback once nothing can call it (also if
		// this registration fails).
		handle := cgo.NewHandle(h.fn)
		if err := takeError(C.np_builder_host_fn(b, cs.str(ns), cs.str(name), C.uintptr_t(handle))); err != nil {
			return err
		}
	}
	if cfg.auditKeep < 0 {
		cfg.auditKeep = 0
	}
	if err := takeError(C.nanoproc_plugin_builder_audit_keep(b, C.size_t(cfg.auditKeep))); err != nil {
		return err
	}
	if cfg.auditFn != nil {
		handle := cgo.NewHandle(cfg.auditFn)
		if err := takeError(C.np_builder_audit_fn(b, C.uintptr_t(handle))); err != nil {
			return err
		}
	}
	return nil
}

// Name is the plugin's name in errors and the audit trail.
func (p *Plugin) Name() string { return p.name }

func (p *Plugin) use() error {
	if !p.ref.acquire() {
		return closedError("plugin")
	}
	return nil
}

func (p *Plugin) done() {
	if p.ref.release() {
		C.nanoproc_plugin_free(p.ptr)
	}
	runtime.KeepAlive(p)
}

// Close frees the plugin. Calls running on other goroutines finish first (Close does not wait
// for them); instances made from it stay usable until closed. Using the plugin afterwards fails
// with ErrClosed; closing twice is fine.
func (p *Plugin) Close() error {
	if p == nil {
		return nil
	}
	if p.ref.close() {
		C.nanoproc_plugin_free(p.ptr)
	}
	runtime.SetFinalizer(p, nil)
	return nil
}

// Call calls function name with input in a fresh sandbox (nothing is shared with other calls)
// and returns its output. Cancelling ctx interrupts the guest (the error then matches
// ErrCancelled and ctx.Err()); a ctx deadline bounds the call like a timeout.
func (p *Plugin) Call(ctx context.Context, name string, input []byte) ([]byte, error) {
	return p.call(ctx, nil, false, name, input, &CallOptions{})
}

// CallWith is [Plugin.Call] with per-call limits.
func (p *Plugin) CallWith(ctx context.Context, name string, input []byte, o CallOptions) ([]byte, error) {
	return p.call(ctx, nil, false, name, input, &o)
}

// AppendCall is [Plugin.CallWith] appending the output to dst (which may be nil) and returning
// the extended slice, like strconv.AppendInt: reusing one buffer across calls saves an
// allocation per call, which matters for large outputs. On error it returns dst unchanged.
func (p *Plugin) AppendCall(ctx context.Context, dst []byte, name string, input []byte, o CallOptions) ([]byte, error) {
	return p.call(ctx, dst, true, name, input, &o)
}

func (p *Plugin) call(ctx context.Context, dst []byte, appending bool, name string, input []byte, o *CallOptions) ([]byte, error) {
	if err := p.use(); err != nil {
		return dst, err
	}
	defer p.done()
	var opts C.nanoproc_call_options
	w, has, err := setup(ctx, o, p.timeout, &opts)
	if err != nil {
		return dst, err
	}
	var optsPtr *C.nanoproc_call_options
	if has {
		optsPtr = &opts
	}
	var out C.nanoproc_buf
	fn, fnLen := cName(name)
	in, inLen := cInput(input)
	cerr := C.nanoproc_plugin_call(p.ptr, fn, fnLen, in, inLen, optsPtr, &out)
	if w != nil {
		w.end()
	}
	if cerr != nil {
		return dst, finishError(ctx, takeError(cerr))
	}
	return takeOutput(&out, dst, appending), nil
}

// Cancel stops every call running on the plugin now (its fresh calls and its instances'),
// from any goroutine; they fail with ErrCancelled. Later calls run normally.
func (p *Plugin) Cancel() error {
	if err := p.use(); err != nil {
		return err
	}
	defer p.done()
	return takeError(C.nanoproc_plugin_cancel(p.ptr))
}

// Functions lists the functions the plugin exports.
func (p *Plugin) Functions() ([]string, error) {
	if err := p.use(); err != nil {
		return nil, err
	}
	defer p.done()
	var n C.size_t
	if err := takeError(C.nanoproc_plugin_function_count(p.ptr, &n)); err != nil {
		return nil, err
	}
	names := make([]string, 0, int(n))
	for i := C.size_t(0); i < n; i++ {
		var name *C.char
		var l C.size_t
		if err := takeError(C.nanoproc_plugin_function(p.ptr, i, &name, &l)); err != nil {
			return nil, err
		}
		names = append(names, C.GoStringN(name, C.int(l)))
	}
	return names, nil
}

// IsComponent reports whether the plugin is a nanoproc:plugin component (else a core module).
func (p *Plugin) IsComponent() (bool, error) {
	if err := p.use(); err != nil {
		return false, err
	}
	defer p.done()
	var c C.bool
	if err := takeError(C.nanoproc_plugin_is_component(p.ptr, &c)); err != nil {
		return false, err
	}
	return bool(c), nil
}

// AuditEvents returns the audit events the plugin kept since the last time (host functions
// used, capabilities allowed and denied, limits hit), oldest first, and forgets them. If more
// happened than it keeps (WithAuditKeep), the oldest were dropped: see [Plugin.AuditDropped].
func (p *Plugin) AuditEvents() ([]AuditEvent, error) {
	if err := p.use(); err != nil {
		return nil, err
	}
	defer p.done()
	var buf C.nanoproc_buf
	if err := takeError(C.nanoproc_plugin_audit_take(p.ptr, &buf)); err != nil {
		return nil, err
	}
	text := takeOutput(&buf, nil, false)
	var trail struct {
		Events  []AuditEvent `json:"events"`
		Dropped uint64       `json:"dropped"`
	}
	if err := json.Unmarshal(text, &trail); err != nil {
		detail := "nanoproc_plugin_audit_take gave JSON this SDK cannot read: " + err.Error()
		return nil, &Error{Kind: KindInternal, Message: "internal error: " + detail, Detail: detail, ExitCode: 127}
	}
	p.dropped.Add(trail.Dropped)
	if trail.Events == nil {
		trail.Events = []AuditEvent{}
	}
	return trail.Events, nil
}

// AuditDropped is how many audit events were dropped so far because more happened between two
// AuditEvents calls than the plugin keeps.
func (p *Plugin) AuditDropped() uint64 { return p.dropped.Load() }

// Instance makes a sandbox of the plugin that is kept between calls, so the plugin's state
// persists and a call skips the sandbox set-up. Close it when done.
func (p *Plugin) Instance() (*Instance, error) {
	if err := p.use(); err != nil {
		return nil, err
	}
	defer p.done()
	i := &Instance{timeout: p.timeout}
	if err := takeError(C.nanoproc_plugin_instance(p.ptr, &i.ptr)); err != nil {
		return nil, err
	}
	i.scratch = (*C.np_scratch)(C.calloc(1, C.size_t(unsafe.Sizeof(C.np_scratch{}))))
	if i.scratch == nil {
		C.nanoproc_instance_free(i.ptr)
		detail := "no memory for the instance's call buffer (calloc failed)"
		return nil, &Error{Kind: KindHostExhausted, Message: "host resources exhausted: " + detail, Detail: detail, ExitCode: 120}
	}
	runtime.SetFinalizer(i, (*Instance).Close)
	return i, nil
}

// Instance is one sandbox of a plugin kept between calls: the plugin's memory and globals
// persist from call to call. After a trap or a limit the sandbox is replaced by a fresh one on
// the next call. It runs one call at a time: a call made while another runs (from another
// goroutine, or from a host function) fails with ErrInvalidArgument; use one Instance per
// goroutine, or Plugin.Call.
type Instance struct {
	ptr *C.nanoproc_instance
	ref ref
	// scratch holds the output buffer and options in C memory: a warm call allocates nothing.
	scratch *C.np_scratch
	timeout policyTimeout
}

// Call calls function name with input in the instance's sandbox; see [Plugin.Call].
func (i *Instance) Call(ctx context.Context, name string, input []byte) ([]byte, error) {
	return i.call(ctx, nil, false, name, input, nil)
}

// CallWith is [Instance.Call] with per-call limits.
func (i *Instance) CallWith(ctx context.Context, name string, input []byte, o CallOptions) ([]byte, error) {
	return i.call(ctx, nil, false, name, input, &o)
}

// AppendCall is [Instance.CallWith] appending the output to dst; see [Plugin.AppendCall].
func (i *Instance) AppendCall(ctx context.Context, dst []byte, name string, input []byte, o CallOptions) ([]byte, error) {
	return i.call(ctx, dst, true, name, input, &o)
}

// call runs one call; o == nil means no options. The fast path (a context that cannot end, no
// options) costs two atomic operations and one cgo call.
func (i *Instance) call(ctx context.Context, dst []byte, appending bool, name string, input []byte, o *CallOptions) ([]byte, error) {
	switch i.ref.acquireOnly() {
	case 1:
		return dst, closedError("instance")
	case 2:
		return dst, argumentError("the instance is busy with another call (an instance runs one call at a time; use one per goroutine, or Plugin.Call for a fresh sandbox per call)")
	}
	s := i.scratch
	var w *watch
	var useOptions C.int
	if ctx.Done() != nil || (o != nil && *o != CallOptions{}) {
		if o == nil {
			o = &CallOptions{}
		}
		var has bool
		var err error
		if w, has, err = setup(ctx, o, i.timeout, &s.options); err != nil {
			i.done()
			return dst, err
		}
		if has {
			useOptions = 1
		}
	}
	fn, fnLen := cName(name)
	in, inLen := cInput(input)
	cerr := C.np_instance_call(i.ptr, fn, fnLen, in, inLen, useOptions, C.uintptr_t(uintptr(unsafe.Pointer(s))))
	if w != nil {
		w.end()
	}
	var out []byte
	var err error
	if cerr != nil {
		out, err = dst, finishError(ctx, takeError(cerr))
	} else {
		out = takeOutput(&s.out, dst, appending)
	}
	i.done()
	return out, err
}

func (i *Instance) done() {
	if i.ref.release() {
		i.free()
	}
	runtime.KeepAlive(i)
}

func (i *Instance) free() {
	C.nanoproc_instance_free(i.ptr)
	C.free(unsafe.Pointer(i.scratch))
}

// Close frees the instance (a call running on it finishes first). Using it afterwards fails
// with ErrClosed; closing twice is fine.
func (i *Instance) Close() error {
	if i == nil {
		return nil
	}
	if i.ref.close() {
		i.free()
	}
	runtime.SetFinalizer(i, nil)
	return nil
}
