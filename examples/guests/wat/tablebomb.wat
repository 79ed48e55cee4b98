;; tablebomb: a WASI preview 1 command module that grows a funcref table by 1,000,000 elements
;; at a time, forever. Tables count against nanoproc's memory budget (--max-memory) just like
;; linear memories, so the sandbox must refuse the growth.
;;
;; If `table.grow` ever reports failure (-1) instead of trapping, the guest exits with status 3
;; via `proc_exit(3)`; a sandbox that traps on grow failure stops it with a trap instead.
;; Built by ../build.sh with wat2wasm into ../bin/tablebomb.wasm.
(module
  (import "wasi_snapshot_preview1" "proc_exit" (func $proc_exit (param i32)))
  (memory (export "memory") 1)
  (table $bomb 0 funcref)
  (func (export "_start")
    (loop $grow
      (if (i32.eq
            (table.grow $bomb (ref.null func) (i32.const 1000000))
            (i32.const -1))
        (then (call $proc_exit (i32.const 3))))
      br $grow)))
