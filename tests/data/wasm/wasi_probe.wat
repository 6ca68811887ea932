;; Calls every whitelisted WASI preview1 function once and prints the results, in order, as a
;; JSON array of integers:
;;   [0] clock_time_get monotonic rc
;;   [1] clock value is non-zero
;;   [2] clock_time_get bad id rc
;;   [3] clock_res_get realtime rc
;;   [4] random_get rc
;;   [5] args_sizes_get rc
;;   [6] argc
;;   [7] argv buf size
;;   [8] environ_sizes_get rc
;;   [9] environ count
;;   [10] args_get rc
;;   [11] environ_get rc
;;   [12] fd_prestat_get 3 rc
;;   [13] fd_prestat_dir_name 3 rc
;;   [14] fd_seek stdout rc
;;   [15] fd_fdstat_get stdout rc
;;   [16] fd_fdstat_get 7 rc
;;   [17] fd_close 5 rc
;;   [18] sched_yield rc
;;   [19] fd_read fd 5 rc
;;   [20] fd_write out-of-bounds iovec rc
(module
  (import "wasi_snapshot_preview1" "clock_time_get" (func $clock_time_get (param i32 i64 i32) (result i32)))
  (import "wasi_snapshot_preview1" "clock_res_get" (func $clock_res_get (param i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "random_get" (func $random_get (param i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "args_sizes_get" (func $args_sizes_get (param i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "args_get" (func $args_get (param i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "environ_sizes_get" (func $environ_sizes_get (param i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "environ_get" (func $environ_get (param i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_prestat_get" (func $fd_prestat_get (param i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_prestat_dir_name" (func $fd_prestat_dir_name (param i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_seek" (func $fd_seek (param i32 i64 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_fdstat_get" (func $fd_fdstat_get (param i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_close" (func $fd_close (param i32) (result i32)))
  (import "wasi_snapshot_preview1" "sched_yield" (func $sched_yield (result i32)))
  (import "wasi_snapshot_preview1" "fd_read" (func $fd_read (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_write" (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (memory (export "memory") 1)
  ;; 64: one output character; 1024..: the decimal digits of a number
  (func $put (param $ptr i32) (param $len i32)
    (i32.store (i32.const 0) (local.get $ptr))
    (i32.store (i32.const 4) (local.get $len))
    (drop (call $fd_write (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 16))))
  (func $char (param $c i32)
    (i32.store8 (i32.const 64) (local.get $c))
    (call $put (i32.const 64) (i32.const 1)))
  (func $number (param $n i32) (local $p i32)
    (local.set $p (i32.const 1100))
    (loop $digits
      (local.set $p (i32.sub (local.get $p) (i32.const 1)))
      (i32.store8 (local.get $p) (i32.add (i32.const 48) (i32.rem_u (local.get $n) (i32.const 10))))
      (local.set $n (i32.div_u (local.get $n) (i32.const 10)))
      (br_if $digits (i32.ne (local.get $n) (i32.const 0))))
    (call $put (local.get $p) (i32.sub (i32.const 1100) (local.get $p))))
  (func (export "_start")
    (call $char (i32.const 91))
    (call $number (call $clock_time_get (i32.const 1) (i64.const 0) (i32.const 512)))
    (call $char (i32.const 44))
    (call $number (i64.ne (i64.load (i32.const 512)) (i64.const 0)))
    (call $char (i32.const 44))
    (call $number (call $clock_time_get (i32.const 9) (i64.const 0) (i32.const 512)))
    (call $char (i32.const 44))
    (call $number (call $clock_res_get (i32.const 0) (i32.const 520)))
    (call $char (i32.const 44))
    (call $number (call $random_get (i32.const 600) (i32.const 32)))
    (call $char (i32.const 44))
    (call $number (call $args_sizes_get (i32.const 528) (i32.const 532)))
    (call $char (i32.const 44))
    (call $number (i32.load (i32.const 528)))
    (call $char (i32.const 44))
    (call $number (i32.load (i32.const 532)))
    (call $char (i32.const 44))
    (call $number (call $environ_sizes_get (i32.const 536) (i32.const 540)))
    (call $char (i32.const 44))
    (call $number (i32.load (i32.const 536)))
    (call $char (i32.const 44))
    (call $number (call $args_get (i32.const 544) (i32.const 548)))
    (call $char (i32.const 44))
    (call $number (call $environ_get (i32.const 544) (i32.const 548)))
    (call $char (i32.const 44))
    (call $number (call $fd_prestat_get (i32.const 3) (i32.const 552)))
    (call $char (i32.const 44))
    (call $number (call $fd_prestat_dir_name (i32.const 3) (i32.const 552) (i32.const 8)))
    (call $char (i32.const 44))
    (call $number (call $fd_seek (i32.const 1) (i64.const 0) (i32.const 0) (i32.const 560)))
    (call $char (i32.const 44))
    (call $number (call $fd_fdstat_get (i32.const 1) (i32.const 568)))
    (call $char (i32.const 44))
    (call $number (call $fd_fdstat_get (i32.const 7) (i32.const 568)))
    (call $char (i32.const 44))
    (call $number (call $fd_close (i32.const 5)))
    (call $char (i32.const 44))
    (call $number (call $sched_yield))
    (call $char (i32.const 44))
    (call $number (call $fd_read (i32.const 5) (i32.const 0) (i32.const 1) (i32.const 16)))
    (call $char (i32.const 44))
    (call $number (call $fd_write (i32.const 1) (i32.const 65532) (i32.const 1) (i32.const 16)))
    (call $char (i32.const 93))))
