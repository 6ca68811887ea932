;; Calls proc_exit(7) through call_indirect, then would write output: the exit must stop the guest.
(module
  (import "wasi_snapshot_preview1" "fd_write" (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "proc_exit" (func $proc_exit (param i32)))
  (type $exit_type (func (param i32)))
  (table 1 funcref)
  (elem (i32.const 0) $proc_exit)
  (memory (export "memory") 1)
  (data (i32.const 64) "{\"kept_running\":true}")
  (func (export "_start")
    (call_indirect (type $exit_type) (i32.const 7) (i32.const 0))
    (i32.store (i32.const 0) (i32.const 64))
    (i32.store (i32.const 4) (i32.const 21))
    (drop (call $fd_write (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 16)))))
