package nanoproc

// Wasm is the code of a plugin or program: a .wasm file or bytes in memory (a core module or
// a component).
type Wasm struct {
	path  string
	bytes []byte
	name  string
}

// WasmFile is the .wasm file at path, read when the plugin is built or the program runs.
func WasmFile(path string) Wasm { return Wasm{path: path} }

// WasmBytes is Wasm code in memory (copied by nanoproc), named "program" in messages unless
// given a name with [Wasm.Named].
func WasmBytes(wasm []byte) Wasm {
	if wasm == nil {
		wasm = []byte{}
	}
	return Wasm{bytes: wasm}
}

// Named names the code in messages and the audit trail (for plugins, [WithName] does the same).
func (w Wasm) Named(name string) Wasm {
	w.name = name
	return w
}

// String is the file's path, or the name of code in memory.
func (w Wasm) String() string {
	if w.bytes == nil {
		return w.path
	}
	if w.name != "" {
		return w.name
	}
	return "program"
}
