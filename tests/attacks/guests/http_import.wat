;; http_import: a preview 2 command that imports `wasi:http/outgoing-handler` with a made-up
;; `handle` type. The linker's type check must refuse it before it runs, naming the interface.
(component $C
  (type $handler (instance
    (export "handle" (func (param "url" string) (result u32)))))
  (import "wasi:http/outgoing-handler@0.2.0" (instance $http (type $handler)))
  (core module $M (func (export "run") (result i32) (i32.const 0)))
  (core instance $m (instantiate $M))
  (func $run (result (result)) (canon lift (core func $m "run")))
  (instance $run-inst (export "run" (func $run)))
  (export "wasi:cli/run@0.2.0" (instance $run-inst)))
