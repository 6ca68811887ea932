;; Imports a whitelisted function with the wrong type: the link fails before guest code runs.
(module
  (import "wasi_snapshot_preview1" "fd_write" (func $fd_write (param i32 i32) (result i32)))
  (memory (export "memory") 1)
  (func (export "_start")))
