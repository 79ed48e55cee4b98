;; fsprobe: a filesystem attacker that calls WASI preview 1 directly, with no libc in the way.
;;
;;   fsprobe OP PATH [PATH2]
;;
;; OP is a letter followed by one or two directory fds (digits), e.g. `r3` or `m34`:
;;
;;   rN  PATH        open PATH under fd N for reading (following symlinks), copy it to stdout
;;   wN  PATH        create/truncate PATH under fd N and write `pwned`
;;   aN  PATH        open an existing PATH under fd N for appending and write `pwned`
;;   dN  PATH        create directory PATH under fd N
;;   uN  PATH        unlink file PATH under fd N
;;   mNM OLD NEW     rename OLD (under fd N) to NEW (under fd M)
;;   lNM OLD NEW     hard-link OLD (under fd N) as NEW (under fd M)
;;   LN  PATH        20,000 times: open PATH under fd N, copy it to stdout; on failure write
;;                   one byte, the errno, to stderr (used to race a host thread swapping links)
;;
;; The exit status is the WASI errno of the first failing call (0: everything succeeded);
;; 100 means bad arguments.
(module
  (import "wasi_snapshot_preview1" "args_sizes_get" (func $args_sizes_get (param i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "args_get" (func $args_get (param i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "path_open"
    (func $path_open (param i32 i32 i32 i32 i32 i64 i64 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_read" (func $fd_read (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_write" (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_close" (func $fd_close (param i32) (result i32)))
  (import "wasi_snapshot_preview1" "path_create_directory" (func $mkdir (param i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "path_unlink_file" (func $unlink (param i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "path_rename" (func $rename (param i32 i32 i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "path_link" (func $link (param i32 i32 i32 i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "proc_exit" (func $exit (param i32)))
  (memory (export "memory") 1)
  ;; 0: argc, 4: argv buffer size, 8: bytes read/written, 12: the opened fd,
  ;; 16: an iovec, 24: one errno byte, 256: argv pointers, 1024: argv strings,
  ;; 8192: the read buffer (4096 bytes), 12288: what gets written.
  (data (i32.const 12288) "pwned")

  (func $arg (param $i i32) (result i32)
    (i32.load (i32.add (i32.const 256) (i32.mul (local.get $i) (i32.const 4)))))

  (func $strlen (param $p i32) (result i32)
    (local $n i32)
    (block $done
      (loop $next
        (br_if $done (i32.eqz (i32.load8_u (i32.add (local.get $p) (local.get $n)))))
        (local.set $n (i32.add (local.get $n) (i32.const 1)))
        (br $next)))
    (local.get $n))

  ;; The fd named by digit `$k` (1 or 2) of the op.
  (func $fd (param $k i32) (result i32)
    (i32.sub (i32.load8_u (i32.add (call $arg (i32.const 1)) (local.get $k))) (i32.const 48)))

  (func $check (param $errno i32)
    (if (local.get $errno) (then (call $exit (local.get $errno)))))

  (func $write (param $fd i32) (param $ptr i32) (param $len i32) (result i32)
    (i32.store (i32.const 16) (local.get $ptr))
    (i32.store (i32.const 20) (local.get $len))
    (call $fd_write (local.get $fd) (i32.const 16) (i32.const 1) (i32.const 8)))

  ;; Opens arg 2 under fd 1 of the op with these rights and flags; returns the errno.
  (func $open (param $oflags i32) (param $rights i64) (param $fdflags i32) (result i32)
    (call $path_open (call $fd (i32.const 1)) (i32.const 1)
      (call $arg (i32.const 2)) (call $strlen (call $arg (i32.const 2)))
      (local.get $oflags) (local.get $rights) (i64.const 0) (local.get $fdflags) (i32.const 12)))

  ;; Copies the opened fd to stdout; returns the errno.
  (func $copy_out (result i32)
    (local $e i32)
    (block $done
      (loop $more
        (i32.store (i32.const 16) (i32.const 8192))
        (i32.store (i32.const 20) (i32.const 4096))
        (local.set $e (call $fd_read (i32.load (i32.const 12)) (i32.const 16) (i32.const 1) (i32.const 8)))
        (br_if $done (local.get $e))
        (br_if $done (i32.eqz (i32.load (i32.const 8))))
        (local.set $e (call $write (i32.const 1) (i32.const 8192) (i32.load (i32.const 8))))
        (br_if $done (local.get $e))
        (br $more)))
    (drop (call $fd_close (i32.load (i32.const 12))))
    (local.get $e))

  (func (export "_start")
    (local $op i32) (local $i i32) (local $e i32)
    (call $check (call $args_sizes_get (i32.const 0) (i32.const 4)))
    (if (i32.or (i32.lt_u (i32.load (i32.const 0)) (i32.const 3))
                (i32.or (i32.gt_u (i32.load (i32.const 0)) (i32.const 190))
                        (i32.gt_u (i32.load (i32.const 4)) (i32.const 7000))))
      (then (call $exit (i32.const 100))))
    (call $check (call $args_get (i32.const 256) (i32.const 1024)))
    (local.set $op (i32.load8_u (call $arg (i32.const 1))))
    ;; r: read
    (if (i32.eq (local.get $op) (i32.const 114))
      (then
        (call $check (call $open (i32.const 0) (i64.const 2) (i32.const 0)))
        (call $exit (call $copy_out))))
    ;; w: create or truncate, then write
    (if (i32.eq (local.get $op) (i32.const 119))
      (then
        (call $check (call $open (i32.const 9) (i64.const 64) (i32.const 0)))
        (call $exit (call $write (i32.load (i32.const 12)) (i32.const 12288) (i32.const 5)))))
    ;; a: append to an existing file
    (if (i32.eq (local.get $op) (i32.const 97))
      (then
        (call $check (call $open (i32.const 0) (i64.const 64) (i32.const 1)))
        (call $exit (call $write (i32.load (i32.const 12)) (i32.const 12288) (i32.const 5)))))
    ;; d: mkdir
    (if (i32.eq (local.get $op) (i32.const 100))
      (then (call $exit (call $mkdir (call $fd (i32.const 1))
        (call $arg (i32.const 2)) (call $strlen (call $arg (i32.const 2)))))))
    ;; u: unlink
    (if (i32.eq (local.get $op) (i32.const 117))
      (then (call $exit (call $unlink (call $fd (i32.const 1))
        (call $arg (i32.const 2)) (call $strlen (call $arg (i32.const 2)))))))
    (if (i32.lt_u (i32.load (i32.const 0)) (i32.const 4))
      (then
        ;; L: open and read in a loop
        (if (i32.eq (local.get $op) (i32.const 76))
          (then
            (loop $again
              (local.set $e (call $open (i32.const 0) (i64.const 2) (i32.const 0)))
              (if (local.get $e)
                (then
                  (i32.store8 (i32.const 24) (local.get $e))
                  (drop (call $write (i32.const 2) (i32.const 24) (i32.const 1))))
                (else (drop (call $copy_out))))
              (local.set $i (i32.add (local.get $i) (i32.const 1)))
              (br_if $again (i32.lt_u (local.get $i) (i32.const 20000))))
            (call $exit (i32.const 0))))
        (call $exit (i32.const 100))))
    ;; m: rename
    (if (i32.eq (local.get $op) (i32.const 109))
      (then (call $exit (call $rename
        (call $fd (i32.const 1)) (call $arg (i32.const 2)) (call $strlen (call $arg (i32.const 2)))
        (call $fd (i32.const 2)) (call $arg (i32.const 3)) (call $strlen (call $arg (i32.const 3)))))))
    ;; l: hard link
    (if (i32.eq (local.get $op) (i32.const 108))
      (then (call $exit (call $link
        (call $fd (i32.const 1)) (i32.const 0) (call $arg (i32.const 2)) (call $strlen (call $arg (i32.const 2)))
        (call $fd (i32.const 2)) (call $arg (i32.const 3)) (call $strlen (call $arg (i32.const 3)))))))
    (call $exit (i32.const 100))))
