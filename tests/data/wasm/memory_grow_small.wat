;; Grows linear memory by 4 pages, well inside the limit, and reports the old size.
(module
  (import "wasi_snapshot_preview1" "fd_write" (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (memory (export "memory") 1)
  (data (i32.const 64) "{\"old_pages\":1}")
  (func (export "_start")
    (if (i32.ne (memory.grow (i32.const 4)) (i32.const 1)) (then unreachable))
    (i32.store (i32.const 0) (i32.const 64))
    (i32.store (i32.const 4) (i32.const 15))
    (drop (call $fd_write (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 16)))))
