;; sockets_p2: a preview 2 command that talks to `wasi:sockets` directly (no libc, no std).
;;
;; The runner replaces two placeholders before assembling it:
;;   OP_NUMBER    1: UDP, bind 0.0.0.0:0, then `send` a datagram to 127.0.0.1:PORT_NUMBER
;;                2: UDP, bind 0.0.0.0:0, then `stream` connected to 127.0.0.1:PORT_NUMBER
;;                3: DNS, `resolve-addresses("localhost")`
;;   PORT_NUMBER  the destination port
;;
;; The first call that fails prints `STEP: error-code N` (N is the position of the code in
;; `wasi:sockets/network`'s `error-code` enum) and `run` returns `err` (exit 1). If every call
;; succeeds it prints `done` and returns `ok` (exit 0): the attack got through.
(component $C
  ;; wasi:io and wasi:cli/stdout, to print the outcome
  (type $error-inst (instance (export "error" (type (sub resource)))))
  (import "wasi:io/error@0.2.0" (instance $io-error (type $error-inst)))
  (alias export $io-error "error" (type $io-err))
  (type $streams-inst (instance
    (alias outer $C $io-err (type $err))
    (export "error" (type $err-e (eq $err)))
    (export "output-stream" (type $os (sub resource)))
    (type $stream-error (variant (case "last-operation-failed" (own $err-e)) (case "closed")))
    (export "stream-error" (type $se (eq $stream-error)))
    (type $bwf (func (param "self" (borrow $os)) (param "contents" (list u8)) (result (result (error $se)))))
    (export "[method]output-stream.blocking-write-and-flush" (func (type $bwf)))))
  (import "wasi:io/streams@0.2.0" (instance $streams (type $streams-inst)))
  (alias export $streams "output-stream" (type $output-stream))
  (type $stdout-inst (instance
    (alias outer $C $output-stream (type $os))
    (export "output-stream" (type $os-e (eq $os)))
    (type $get (func (result (own $os-e))))
    (export "get-stdout" (func (type $get)))))
  (import "wasi:cli/stdout@0.2.0" (instance $stdout (type $stdout-inst)))

  ;; wasi:sockets
  (type $network-inst (instance
    (export "network" (type $net (sub resource)))
    (type $ec (enum "unknown" "access-denied" "not-supported" "invalid-argument" "out-of-memory"
      "timeout" "concurrency-conflict" "not-in-progress" "would-block" "invalid-state"
      "new-socket-limit" "address-not-bindable" "address-in-use" "remote-unreachable"
      "connection-refused" "connection-reset" "connection-aborted" "datagram-too-large"
      "name-unresolvable" "temporary-resolver-failure" "permanent-resolver-failure"))
    (export "error-code" (type $ec-e (eq $ec)))
    (type $ipv4 (tuple u8 u8 u8 u8))
    (export "ipv4-address" (type $ipv4-e (eq $ipv4)))
    (type $ipv6 (tuple u16 u16 u16 u16 u16 u16 u16 u16))
    (export "ipv6-address" (type $ipv6-e (eq $ipv6)))
    (type $v4sa (record (field "port" u16) (field "address" $ipv4-e)))
    (export "ipv4-socket-address" (type $v4sa-e (eq $v4sa)))
    (type $v6sa (record (field "port" u16) (field "flow-info" u32) (field "address" $ipv6-e) (field "scope-id" u32)))
    (export "ipv6-socket-address" (type $v6sa-e (eq $v6sa)))
    (type $isa (variant (case "ipv4" $v4sa-e) (case "ipv6" $v6sa-e)))
    (export "ip-socket-address" (type $isa-e (eq $isa)))
    (type $iaf (enum "ipv4" "ipv6"))
    (export "ip-address-family" (type $iaf-e (eq $iaf)))))
  (import "wasi:sockets/network@0.2.0" (instance $network (type $network-inst)))
  (alias export $network "network" (type $net))
  (alias export $network "error-code" (type $ec))
  (alias export $network "ip-socket-address" (type $isa))
  (alias export $network "ip-address-family" (type $iaf))
  (type $inet-inst (instance
    (alias outer $C $net (type $n))
    (export "network" (type $n-e (eq $n)))
    (type $f (func (result (own $n-e))))
    (export "instance-network" (func (type $f)))))
  (import "wasi:sockets/instance-network@0.2.0" (instance $inet (type $inet-inst)))
  (type $udp-inst (instance
    (alias outer $C $net (type $n0)) (export "network" (type $n (eq $n0)))
    (alias outer $C $ec (type $ec0)) (export "error-code" (type $e (eq $ec0)))
    (alias outer $C $isa (type $isa0)) (export "ip-socket-address" (type $a (eq $isa0)))
    (export "udp-socket" (type $sock (sub resource)))
    (export "incoming-datagram-stream" (type $in (sub resource)))
    (export "outgoing-datagram-stream" (type $out (sub resource)))
    (type $og (record (field "data" (list u8)) (field "remote-address" (option $a))))
    (export "outgoing-datagram" (type $og-e (eq $og)))
    (type $start-bind (func (param "self" (borrow $sock)) (param "network" (borrow $n))
      (param "local-address" $a) (result (result (error $e)))))
    (export "[method]udp-socket.start-bind" (func (type $start-bind)))
    (type $finish-bind (func (param "self" (borrow $sock)) (result (result (error $e)))))
    (export "[method]udp-socket.finish-bind" (func (type $finish-bind)))
    (type $stream (func (param "self" (borrow $sock)) (param "remote-address" (option $a))
      (result (result (tuple (own $in) (own $out)) (error $e)))))
    (export "[method]udp-socket.stream" (func (type $stream)))
    (type $check-send (func (param "self" (borrow $out)) (result (result u64 (error $e)))))
    (export "[method]outgoing-datagram-stream.check-send" (func (type $check-send)))
    (type $send (func (param "self" (borrow $out)) (param "datagrams" (list $og-e))
      (result (result u64 (error $e)))))
    (export "[method]outgoing-datagram-stream.send" (func (type $send)))))
  (import "wasi:sockets/udp@0.2.0" (instance $udp (type $udp-inst)))
  (alias export $udp "udp-socket" (type $udp-socket))
  (type $ucs-inst (instance
    (alias outer $C $ec (type $ec0)) (export "error-code" (type $e (eq $ec0)))
    (alias outer $C $iaf (type $iaf0)) (export "ip-address-family" (type $f (eq $iaf0)))
    (alias outer $C $udp-socket (type $s0)) (export "udp-socket" (type $s (eq $s0)))
    (type $create (func (param "address-family" $f) (result (result (own $s) (error $e)))))
    (export "create-udp-socket" (func (type $create)))))
  (import "wasi:sockets/udp-create-socket@0.2.0" (instance $ucs (type $ucs-inst)))
  (type $dns-inst (instance
    (alias outer $C $net (type $n0)) (export "network" (type $n (eq $n0)))
    (alias outer $C $ec (type $ec0)) (export "error-code" (type $e (eq $ec0)))
    (export "resolve-address-stream" (type $ras (sub resource)))
    (type $resolve (func (param "network" (borrow $n)) (param "name" string)
      (result (result (own $ras) (error $e)))))
    (export "resolve-addresses" (func (type $resolve)))))
  (import "wasi:sockets/ip-name-lookup@0.2.0" (instance $dns (type $dns-inst)))

  (core module $Memory (memory (export "memory") 1))
  (core instance $memory (instantiate $Memory))
  (alias core export $memory "memory" (core memory $mem))

  (core func $get-stdout (canon lower (func $stdout "get-stdout")))
  (core func $write (canon lower (func $streams "[method]output-stream.blocking-write-and-flush") (memory $mem)))
  (core func $instance-network (canon lower (func $inet "instance-network")))
  (core func $create (canon lower (func $ucs "create-udp-socket") (memory $mem)))
  (core func $start-bind (canon lower (func $udp "[method]udp-socket.start-bind") (memory $mem)))
  (core func $finish-bind (canon lower (func $udp "[method]udp-socket.finish-bind") (memory $mem)))
  (core func $stream (canon lower (func $udp "[method]udp-socket.stream") (memory $mem)))
  (core func $check-send (canon lower (func $udp "[method]outgoing-datagram-stream.check-send") (memory $mem)))
  (core func $send (canon lower (func $udp "[method]outgoing-datagram-stream.send") (memory $mem)))
  (core func $resolve (canon lower (func $dns "resolve-addresses") (memory $mem) string-encoding=utf8))

  (core module $Main
    (import "env" "memory" (memory 1))
    (import "io" "get-stdout" (func $get-stdout (result i32)))
    (import "io" "write" (func $write (param i32 i32 i32 i32)))
    (import "net" "instance-network" (func $instance-network (result i32)))
    (import "net" "create" (func $create (param i32 i32)))
    (import "net" "start-bind" (func $start-bind
      (param i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32)))
    (import "net" "finish-bind" (func $finish-bind (param i32 i32)))
    (import "net" "stream" (func $stream
      (param i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32)))
    (import "net" "check-send" (func $check-send (param i32 i32)))
    (import "net" "send" (func $send (param i32 i32 i32 i32)))
    (import "net" "resolve" (func $resolve (param i32 i32 i32 i32)))
    ;; 0: return area (16 bytes), 64: the message being printed, 256: constant strings,
    ;; 1024: the outgoing datagram record, 1100: its payload.
    (data (i32.const 256) "create")
    (data (i32.const 272) "bind")
    (data (i32.const 288) "finish-bind")
    (data (i32.const 304) "stream")
    (data (i32.const 320) "check-send")
    (data (i32.const 336) "send")
    (data (i32.const 352) "resolve")
    (data (i32.const 368) "localhost")
    (data (i32.const 384) ": error-code ")
    (data (i32.const 400) "done\n")
    (data (i32.const 1100) "leaked")

    (func $print (param $ptr i32) (param $len i32)
      (call $write (call $get-stdout) (local.get $ptr) (local.get $len) (i32.const 0)))

    ;; If the return area holds an `err`, prints `STEP: error-code N` and returns 1.
    ;; The error code is a byte at `$at`.
    (func $failed (param $step i32) (param $step_len i32) (param $at i32) (result i32)
      (local $n i32) (local $code i32)
      (if (i32.eqz (i32.load8_u (i32.const 0))) (then (return (i32.const 0))))
      (local.set $code (i32.load8_u (local.get $at)))
      (memory.copy (i32.const 64) (local.get $step) (local.get $step_len))
      (local.set $n (local.get $step_len))
      (memory.copy (i32.add (i32.const 64) (local.get $n)) (i32.const 384) (i32.const 13))
      (local.set $n (i32.add (local.get $n) (i32.const 13)))
      (if (i32.ge_u (local.get $code) (i32.const 10))
        (then
          (i32.store8 (i32.add (i32.const 64) (local.get $n))
            (i32.add (i32.const 48) (i32.div_u (local.get $code) (i32.const 10))))
          (local.set $n (i32.add (local.get $n) (i32.const 1)))))
      (i32.store8 (i32.add (i32.const 64) (local.get $n))
        (i32.add (i32.const 48) (i32.rem_u (local.get $code) (i32.const 10))))
      (i32.store8 (i32.add (i32.const 65) (local.get $n)) (i32.const 10))
      (call $print (i32.const 64) (i32.add (local.get $n) (i32.const 2)))
      (i32.const 1))

    (func (export "run") (result i32)
      (local $net i32) (local $sock i32) (local $out i32)
      (local.set $net (call $instance-network))
      (if (i32.eq (i32.const OP_NUMBER) (i32.const 3))
        (then
          (call $resolve (local.get $net) (i32.const 368) (i32.const 9) (i32.const 0))
          (if (call $failed (i32.const 352) (i32.const 7) (i32.const 4)) (then (return (i32.const 1))))
          (call $print (i32.const 400) (i32.const 5))
          (return (i32.const 0))))
      ;; a UDP socket bound to 0.0.0.0:0
      (call $create (i32.const 0) (i32.const 0))
      (if (call $failed (i32.const 256) (i32.const 6) (i32.const 4)) (then (return (i32.const 1))))
      (local.set $sock (i32.load (i32.const 4)))
      (call $start-bind (local.get $sock) (local.get $net)
        (i32.const 0) (i32.const 0) (i32.const 0) (i32.const 0) (i32.const 0) (i32.const 0)
        (i32.const 0) (i32.const 0) (i32.const 0) (i32.const 0) (i32.const 0) (i32.const 0)
        (i32.const 0))
      (if (call $failed (i32.const 272) (i32.const 4) (i32.const 4)) (then (return (i32.const 1))))
      (call $finish-bind (local.get $sock) (i32.const 0))
      (if (call $failed (i32.const 288) (i32.const 11) (i32.const 4)) (then (return (i32.const 1))))
      (if (i32.eq (i32.const OP_NUMBER) (i32.const 2))
        (then
          ;; stream(some(ipv4 127.0.0.1:PORT))
          (call $stream (local.get $sock)
            (i32.const 1) (i32.const 0) (i32.const PORT_NUMBER)
            (i32.const 127) (i32.const 0) (i32.const 0) (i32.const 1)
            (i32.const 0) (i32.const 0) (i32.const 0) (i32.const 0) (i32.const 0) (i32.const 0)
            (i32.const 0))
          (if (call $failed (i32.const 304) (i32.const 6) (i32.const 4)) (then (return (i32.const 1))))
          (call $print (i32.const 400) (i32.const 5))
          (return (i32.const 0))))
      ;; stream(none), then send one datagram to 127.0.0.1:PORT
      (call $stream (local.get $sock)
        (i32.const 0) (i32.const 0) (i32.const 0) (i32.const 0) (i32.const 0) (i32.const 0)
        (i32.const 0) (i32.const 0) (i32.const 0) (i32.const 0) (i32.const 0) (i32.const 0)
        (i32.const 0) (i32.const 0))
      (if (call $failed (i32.const 304) (i32.const 6) (i32.const 4)) (then (return (i32.const 1))))
      (local.set $out (i32.load (i32.const 8)))
      (call $check-send (local.get $out) (i32.const 0))
      (if (call $failed (i32.const 320) (i32.const 10) (i32.const 8)) (then (return (i32.const 1))))
      ;; outgoing-datagram { data: "leaked", remote-address: some(ipv4(PORT, 127.0.0.1)) }
      (i32.store (i32.const 1024) (i32.const 1100))
      (i32.store (i32.const 1028) (i32.const 6))
      (i32.store8 (i32.const 1032) (i32.const 1))
      (i32.store8 (i32.const 1036) (i32.const 0))
      (i32.store16 (i32.const 1040) (i32.const PORT_NUMBER))
      (i32.store8 (i32.const 1042) (i32.const 127))
      (i32.store8 (i32.const 1043) (i32.const 0))
      (i32.store8 (i32.const 1044) (i32.const 0))
      (i32.store8 (i32.const 1045) (i32.const 1))
      (call $send (local.get $out) (i32.const 1024) (i32.const 1) (i32.const 0))
      (if (call $failed (i32.const 336) (i32.const 4) (i32.const 8)) (then (return (i32.const 1))))
      (call $print (i32.const 400) (i32.const 5))
      (i32.const 0)))

  (core instance $main (instantiate $Main
    (with "env" (instance (export "memory" (memory $mem))))
    (with "io" (instance
      (export "get-stdout" (func $get-stdout))
      (export "write" (func $write))))
    (with "net" (instance
      (export "instance-network" (func $instance-network))
      (export "create" (func $create))
      (export "start-bind" (func $start-bind))
      (export "finish-bind" (func $finish-bind))
      (export "stream" (func $stream))
      (export "check-send" (func $check-send))
      (export "send" (func $send))
      (export "resolve" (func $resolve))))))

  (type $run-type (func (result (result))))
  (func $run (type $run-type) (canon lift (core func $main "run")))
  (instance $run-inst (export "run" (func $run)))
  (export "wasi:cli/run@0.2.0" (instance $run-inst)))
