;; spin_wat: a WASI preview 1 command module whose `_start` loops forever without ever calling
;; the host. Only a CPU limit (--timeout via epoch interruption, or --fuel) can stop it.
;; Built by ../build.sh with wat2wasm into ../bin/spin_wat.wasm.
(module
  (memory (export "memory") 1)
  (func (export "_start")
    (loop $forever
      br $forever)))
