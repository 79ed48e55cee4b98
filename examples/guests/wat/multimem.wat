;; multimem: uses the multi-memory proposal to declare 8 linear memories of 64 pages (4 MiB)
;; each. Every memory alone fits a 16 MiB budget, but together they need 32 MiB, so a sandbox
;; that budgets per memory instead of across all memories would wrongly admit it.
;; `_start` just returns.
;; Built by ../build.sh with wat2wasm --enable-multi-memory into ../bin/multimem.wasm.
(module
  (memory $m0 (export "memory") 64)
  (memory $m1 64)
  (memory $m2 64)
  (memory $m3 64)
  (memory $m4 64)
  (memory $m5 64)
  (memory $m6 64)
  (memory $m7 64)
  (func (export "_start")))
