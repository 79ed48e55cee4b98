;; The guest of the `plugin_abi` fuzz target: a plugin whose every ABI value is chosen by the
;; fuzzer. Compiled once per process.
;;
;; `nanoproc_alloc` returns, in this order of precedence: the pointer set by a `set-alloc`
;; operation; the decimal number in the plugin config key "alloc" (read once per instance);
;; else a bump pointer from 0x1000 (unchecked: it may run past the end of memory).
;;
;; `run` reads its input as a program: one opcode byte (taken modulo 16), then its 32-bit
;; little-endian arguments (missing bytes end the program):
;;   0 log(level, ptr, len)            6 set the return value to (ptr << 32) | len
;;   1 fail(ptr, len)                  7 trap (unreachable)
;;   2 config_get(kp, kl, bp, bcap)    8 i32.store(addr, value)
;;   3 memory.grow(pages % 16)         9 set the return value to the last host call's result
;;   4 set-alloc(ptr)                 10 clear set-alloc
;;   5 host::echo(ptr, len)           11 host::boom(ptr, len) (a host function that fails)
;;  12-15 nothing
;; and returns the return value (0 unless set). `echo` returns its input; `peek` returns
;; 0x20..0x10000, which in a fresh instance must be all zeros; `wrong_type` has a type the
;; ABI cannot call.
(module
  (import "nanoproc" "fail" (func $fail (param i32 i32)))
  (import "nanoproc" "log" (func $log (param i32 i32 i32)))
  (import "nanoproc" "config_get" (func $config_get (param i32 i32 i32 i32) (result i64)))
  (import "host" "echo" (func $host_echo (param i32 i32) (result i64)))
  (import "host" "boom" (func $host_boom (param i32 i32) (result i64)))
  (memory (export "memory") 1 16)
  (global $bump (mut i32) (i32.const 0x1000))
  (global $forced (mut i32) (i32.const 0))
  (global $alloc_ret (mut i32) (i32.const 0))
  (global $checked (mut i32) (i32.const 0))
  (global $pc (mut i32) (i32.const 0))
  (global $end (mut i32) (i32.const 0))
  (data (i32.const 16) "alloc")

  (func (export "nanoproc_abi_version") (result i32) (i32.const 1))

  ;; The decimal number in the `len` bytes at 32 (up to the first non-digit), wrapping.
  (func $parse (param $len i32) (result i32)
    (local $i i32) (local $acc i32) (local $c i32)
    (block $done
      (loop $next
        (br_if $done (i32.ge_u (local.get $i) (local.get $len)))
        (local.set $c (i32.sub (i32.load8_u offset=32 (local.get $i)) (i32.const 48)))
        (br_if $done (i32.gt_u (local.get $c) (i32.const 9)))
        (local.set $acc (i32.add (i32.mul (local.get $acc) (i32.const 10)) (local.get $c)))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $next)))
    (local.get $acc))

  (func (export "nanoproc_alloc") (param $len i32) (result i32)
    (local $n i64) (local $p i32)
    (if (i32.eqz (global.get $checked))
      (then
        (global.set $checked (i32.const 1))
        (local.set $n (call $config_get (i32.const 16) (i32.const 5) (i32.const 32) (i32.const 16)))
        (if (i64.ge_s (local.get $n) (i64.const 0))
          (then
            (global.set $alloc_ret
              (call $parse
                (select (i32.wrap_i64 (local.get $n)) (i32.const 16)
                  (i64.lt_s (local.get $n) (i64.const 16)))))
            (global.set $forced (i32.const 1))))))
    (if (global.get $forced) (then (return (global.get $alloc_ret))))
    (local.set $p (global.get $bump))
    (global.set $bump
      (i32.and (i32.add (i32.add (local.get $p) (local.get $len)) (i32.const 7)) (i32.const -8)))
    (local.get $p))

  ;; The next 4 program bytes as an i32; 0 (and the end of the program) when fewer are left.
  (func $arg (result i32)
    (local $v i32)
    (if (i32.le_u (i32.add (global.get $pc) (i32.const 4)) (global.get $end))
      (then
        (local.set $v (i32.load (global.get $pc)))
        (global.set $pc (i32.add (global.get $pc) (i32.const 4))))
      (else (global.set $pc (global.get $end))))
    (local.get $v))

  (func $packed (param $ptr i32) (param $len i32) (result i64)
    (i64.or
      (i64.shl (i64.extend_i32_u (local.get $ptr)) (i64.const 32))
      (i64.extend_i32_u (local.get $len))))

  (func (export "run") (param $ptr i32) (param $len i32) (result i64)
    (local $ret i64) (local $last i64)
    (global.set $pc (local.get $ptr))
    (global.set $end (i32.add (local.get $ptr) (local.get $len)))
    (block $stop
      (loop $step
        (br_if $stop (i32.ge_u (global.get $pc) (global.get $end)))
        (block $nothing
         (block $op11 (block $op10 (block $op9 (block $op8 (block $op7 (block $op6
         (block $op5 (block $op4 (block $op3 (block $op2 (block $op1 (block $op0
           (br_table $op0 $op1 $op2 $op3 $op4 $op5 $op6 $op7 $op8 $op9 $op10 $op11 $nothing
             (i32.rem_u (i32.load8_u (global.get $pc)) (i32.const 16))
             (global.set $pc (i32.add (global.get $pc) (i32.const 1)))))
          (call $log (call $arg) (call $arg) (call $arg))
          (br $step))
          (call $fail (call $arg) (call $arg))
          (br $step))
          (drop (call $config_get (call $arg) (call $arg) (call $arg) (call $arg)))
          (br $step))
          (drop (memory.grow (i32.rem_u (call $arg) (i32.const 16))))
          (br $step))
          (global.set $alloc_ret (call $arg))
          (global.set $forced (i32.const 1))
          (global.set $checked (i32.const 1))
          (br $step))
          (local.set $last (call $host_echo (call $arg) (call $arg)))
          (br $step))
          (local.set $ret (call $packed (call $arg) (call $arg)))
          (br $step))
          (unreachable))
          (i32.store (call $arg) (call $arg))
          (br $step))
          (local.set $ret (local.get $last))
          (br $step))
          (global.set $forced (i32.const 0))
          (br $step))
          (local.set $last (call $host_boom (call $arg) (call $arg)))
          (br $step))
        (br $step)))
    (local.get $ret))

  (func (export "echo") (param $ptr i32) (param $len i32) (result i64)
    (call $packed (local.get $ptr) (local.get $len)))

  (func (export "peek") (param i32 i32) (result i64)
    (call $packed (i32.const 0x20) (i32.const 0xffe0)))

  (func (export "wrong_type") (param i32) (result i32) (local.get 0))
)
