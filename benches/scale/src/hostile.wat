;; hostile: a plugin (ABI version 1, docs/abi.md) that breaks the rules on purpose, for the
;; `flood` scenario of nanoproc-scale. Besides a correct `echo` it has one export per kind
;; of misbehaviour the host must survive:
;;
;; | export      | does |
;; |-------------|------|
;; | echo        | returns its input (correct) |
;; | bad_output  | returns 16 bytes at 0xFFFFFFF8: past the end of memory, and past 4 GiB |
;; | bad_fail    | calls nanoproc::fail with a message pointer past the end of memory |
;; | recurse     | calls itself until the stack overflows |
;; | call_host   | passes its input to the host function host::work and returns its result |
;;
;; and `nanoproc_alloc` answers a request for exactly 7777 bytes with a pointer past the end of
;; memory (any other request gets a bump allocation).
(module
  (import "nanoproc" "fail" (func $fail (param i32 i32)))
  (import "host" "work" (func $work (param i32 i32) (result i64)))
  (memory (export "memory") 1)

  (global $heap_base i32 (i32.const 1024))
  (global $heap (mut i32) (i32.const 1024))

  (func (export "nanoproc_abi_version") (result i32)
    (i32.const 1))

  (func (export "nanoproc_alloc") (param $len i32) (result i32)
    (local $start i64)
    (local $end i64)
    (local $mem_end i64)
    (if (i32.eqz (local.get $len))
      (then (return (i32.const 0))))
    (if (i32.eq (local.get $len) (i32.const 7777))
      (then (return (i32.const 0xFFFFFF00))))
    (local.set $start
      (i64.and
        (i64.add (i64.extend_i32_u (global.get $heap)) (i64.const 7))
        (i64.const -8)))
    (local.set $end (i64.add (local.get $start) (i64.extend_i32_u (local.get $len))))
    (if (i64.gt_u (local.get $end) (i64.const 0xFFFFFFFF))
      (then (return (i32.const 0))))
    (local.set $mem_end (i64.shl (i64.extend_i32_u (memory.size)) (i64.const 16)))
    (if (i64.gt_u (local.get $end) (local.get $mem_end))
      (then
        (if (i32.eq
              (memory.grow
                (i32.wrap_i64
                  (i64.shr_u
                    (i64.add (i64.sub (local.get $end) (local.get $mem_end)) (i64.const 0xFFFF))
                    (i64.const 16))))
              (i32.const -1))
          (then (return (i32.const 0))))))
    (global.set $heap (i32.wrap_i64 (local.get $end)))
    (i32.wrap_i64 (local.get $start)))

  ;; The host copies a call's output before anything else runs in the instance, so each
  ;; function resets the heap on entry: the input block stays intact until it is read.
  (func (export "echo") (param $ptr i32) (param $len i32) (result i64)
    (global.set $heap (global.get $heap_base))
    (i64.or
      (i64.shl (i64.extend_i32_u (local.get $ptr)) (i64.const 32))
      (i64.extend_i32_u (local.get $len))))

  (func (export "bad_output") (param i32 i32) (result i64)
    (global.set $heap (global.get $heap_base))
    (i64.const 0xFFFFFFF800000010))

  (func (export "bad_fail") (param i32 i32) (result i64)
    (global.set $heap (global.get $heap_base))
    (call $fail (i32.const 0x7FFFFFF0) (i32.const 4096))
    (i64.const 0))

  (func $recurse (export "recurse") (param $ptr i32) (param $len i32) (result i64)
    (i64.add
      (call $recurse (local.get $ptr) (i32.add (local.get $len) (i32.const 1)))
      (i64.const 1)))

  (func (export "call_host") (param $ptr i32) (param $len i32) (result i64)
    (global.set $heap (global.get $heap_base))
    (call $work (local.get $ptr) (local.get $len)))
)
