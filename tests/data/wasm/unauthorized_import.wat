;; Imports two functions outside the ABI 1.0.0 whitelist; env::getenv sorts first.
(module
  (import "wasi_snapshot_preview1" "path_open"
    (func $path_open (param i32 i32 i32 i32 i32 i64 i64 i32 i32) (result i32)))
  (import "env" "getenv" (func $getenv (param i32) (result i32)))
  (memory (export "memory") 1)
  (func (export "_start")))
