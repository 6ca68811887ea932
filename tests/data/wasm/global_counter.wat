;; Increments a mutable global and prints it: fresh guest state prints {"count":1} every time.
(module
  (import "wasi_snapshot_preview1" "fd_write" (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (memory (export "memory") 1)
  (global $count (mut i32) (i32.const 0))
  (data (i32.const 64) "{\"count\":0}")
  (func (export "_start")
    (global.set $count (i32.add (global.get $count) (i32.const 1)))
    ;; also bump a memory cell: memory must be fresh too
    (i32.store8 (i32.const 200) (i32.add (i32.load8_u (i32.const 200)) (i32.const 1)))
    (i32.store8 (i32.const 73)
      (i32.add (i32.const 48) (i32.add (global.get $count) (i32.sub (i32.load8_u (i32.const 200)) (i32.const 1)))))
    (i32.store (i32.const 0) (i32.const 64))
    (i32.store (i32.const 4) (i32.const 11))
    (drop (call $fd_write (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 16)))))
