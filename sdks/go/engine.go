package nanoproc

/*
#include "shim.h"
*/
import "C"

import (
	"runtime"
	"sync"
	"unsafe"
)

// Engine compiles and runs guests. It is safe for concurrent use: make one per process (or per
// configuration) and share it across plugins, runs and goroutines.
type Engine struct {
	ptr     *C.nanoproc_engine
	ref     ref
	fuel    bool
	pooling bool
}

type engineConfig struct {
	fuel     bool
	pooling  bool
	noCache  bool
	cacheDir string
}

// EngineOption configures [NewEngine].
type EngineOption func(*engineConfig)

// WithFuel meters fuel (roughly, Wasm instructions), so policies and calls can set fuel budgets
// ([Policy].Fuel, [CallOptions].Fuel). Metering costs some speed; without it a fuel budget is an
// invalid policy.
func WithFuel() EngineOption { return func(c *engineConfig) { c.fuel = true } }

// WithPooling chooses the allocator: true (the default) pre-reserves 1,000 sandboxes of up to
// 1 GiB of address space each, which makes a fresh sandbox per plugin call cost a few
// microseconds; false allocates each sandbox on demand (for a few long runs, or to save address
// space).
func WithPooling(on bool) EngineOption { return func(c *engineConfig) { c.pooling = on } }

// WithCacheDir keeps compiled code in dir (default: $NANOPROC_CACHE_DIR, else the user's cache
// directory).
func WithCacheDir(dir string) EngineOption { return func(c *engineConfig) { c.cacheDir = dir } }

// WithoutCache turns the on-disk compile cache off.
func WithoutCache() EngineOption { return func(c *engineConfig) { c.noCache = true } }

// NewEngine makes an engine. Defaults: no fuel metering, the pooling allocator, the compile cache
// on. Close it when done (plugins made from it keep what they need alive).
func NewEngine(opts ...EngineOption) (*Engine, error) {
	cfg := engineConfig{pooling: true}
	for _, o := range opts {
		o(&cfg)
	}
	var flags C.uint32_t
	if cfg.fuel {
		flags |= C.NANOPROC_ENGINE_FUEL
	}
	if cfg.pooling {
		flags |= C.NANOPROC_ENGINE_POOLING
	}
	if cfg.noCache {
		flags |= C.NANOPROC_ENGINE_NO_CACHE
	}
	var dir *C.char
	if cfg.cacheDir != "" {
		dir = C.CString(cfg.cacheDir)
		defer C.free(unsafe.Pointer(dir))
	}
	e := &Engine{fuel: cfg.fuel, pooling: cfg.pooling}
	if err := takeError(C.nanoproc_engine_new(flags, dir, &e.ptr)); err != nil {
		return nil, err
	}
	runtime.SetFinalizer(e, (*Engine).Close)
	return e, nil
}

var defaultEngine struct {
	once sync.Once
	e    *Engine
	err  error
}

// DefaultEngine is the engine used where a nil *Engine is passed: pooling, no fuel, compile cache
// on; made on first use and never closed.
func DefaultEngine() (*Engine, error) {
	defaultEngine.once.Do(func() {
		defaultEngine.e, defaultEngine.err = NewEngine()
		if defaultEngine.e != nil {
			runtime.SetFinalizer(defaultEngine.e, nil)
		}
	})
	return defaultEngine.e, defaultEngine.err
}

// Fuel reports whether the engine meters fuel.
func (e *Engine) Fuel() bool { return e.fuel }

// Pooling reports whether the engine uses the pooling allocator.
func (e *Engine) Pooling() bool { return e.pooling }

// use resolves nil to the default engine and takes a use of it.
func useEngine(e *Engine) (*Engine, error) {
	if e == nil {
		var err error
		if e, err = DefaultEngine(); err != nil {
			return nil, err
		}
	}
	if !e.ref.acquire() {
		return nil, closedError("engine")
	}
	return e, nil
}

func (e *Engine) done() {
	if e.ref.release() {
		C.nanoproc_engine_free(e.ptr)
	}
	runtime.KeepAlive(e)
}

// Close frees the engine. Plugins made from it stay usable; making new ones from it fails with
// ErrClosed. Closing twice is fine; closing the DefaultEngine does nothing.
func (e *Engine) Close() error {
	if e == nil || e == defaultEngine.e {
		return nil
	}
	if e.ref.close() {
		C.nanoproc_engine_free(e.ptr)
	}
	runtime.SetFinalizer(e, nil)
	return nil
}
