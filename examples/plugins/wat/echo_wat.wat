;; echo_wat: a hand-written echo plugin for the nanoproc plugin ABI version 1 (docs/abi.md).
;;
;; Exports memory, nanoproc_abi_version, nanoproc_alloc and `echo`, which returns its input.
;; No imports.
;;
;; nanoproc_alloc is a bump allocator over the heap (everything from $heap_base on), growing the
;; memory when needed. The only thing the host allocates is a call's input, and the host copies
;; a function's output before anything else runs in the instance, so `echo` resets the heap
;; before returning (its output, the input block, stays intact until the host has copied it):
;; memory never grows past the largest input.
(module
  (memory (export "memory") 1)

  ;; Start of the heap: the first 1 KiB is left unused, so no allocation is ever at 0.
  (global $heap_base i32 (i32.const 1024))
  (global $heap (mut i32) (i32.const 1024))

  (func (export "nanoproc_abi_version") (result i32)
    (i32.const 1))

  ;; (len: i32) -> i32: `len` fresh bytes, 8-byte aligned; 0 when len is 0 or memory is full.
  (func (export "nanoproc_alloc") (param $len i32) (result i32)
    (local $start i64)
    (local $end i64)
    (local $mem_end i64)
    (if (i32.eqz (local.get $len))
      (then (return (i32.const 0))))
    ;; start = align8(heap); end = start + len, in i64 so nothing overflows
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
        ;; grow by ceil((end - mem_end) / 64 KiB) pages
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

  ;; (ptr: i32, len: i32) -> i64: the input itself, as (ptr << 32) | len.
  (func (export "echo") (param $ptr i32) (param $len i32) (result i64)
    (global.set $heap (global.get $heap_base))
    (i64.or
      (i64.shl (i64.extend_i32_u (local.get $ptr)) (i64.const 32))
      (i64.extend_i32_u (local.get $len))))
)
