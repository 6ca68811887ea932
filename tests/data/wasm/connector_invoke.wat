;; Calls traverse_host.connector_invoke with a well-formed request (no connector is bound on the
;; execute path: -2) and with a malformed one (-1); prints {"well_formed":2,"malformed":1}.
(module
  (import "wasi_snapshot_preview1" "fd_write" (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (import "traverse_host" "connector_invoke" (func $invoke (param i32 i32 i32 i32) (result i32)))
  (memory (export "memory") 1)
  (data (i32.const 64) "{\"malformed\":0,\"well_formed\":0}")
  (data (i32.const 200) "{\"abi_version\":\"1.0.0\",\"connector_id\":\"weather\",\"operation\":\"forecast\",\"payload\":{}}")
  (func (export "_start")
    (i32.store8 (i32.const 93)
      (i32.sub (i32.const 48) (call $invoke (i32.const 200) (i32.const 84) (i32.const 1024) (i32.const 1024))))
    (i32.store8 (i32.const 77)
      (i32.sub (i32.const 48) (call $invoke (i32.const 200) (i32.const 10) (i32.const 1024) (i32.const 1024))))
    (i32.store (i32.const 0) (i32.const 64))
    (i32.store (i32.const 4) (i32.const 31))
    (drop (call $fd_write (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 16)))))
