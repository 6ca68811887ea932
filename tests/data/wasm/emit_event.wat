;; emit_event cases, chosen by the first letter of the input JSON string (stdin `"x..."`):
;;   a: one declared event with a payload          t: two declared events (the second without payload)
;;   u: an undeclared event (-2)                    o: an out-of-bounds pointer (-1)
;;   n: a negative length (-1)                      b: bytes that are not JSON (-1)
;;   m: no "version" (-1)                           z: 300 declared events (past max_events)
;; Prints {"neg_rc":N} where N is minus the last return code.
(module
  (import "wasi_snapshot_preview1" "fd_read" (func $fd_read (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_write" (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (import "traverse_host" "emit_event" (func $emit (param i32 i32) (result i32)))
  (memory (export "memory") 1)
  (data (i32.const 64) "{\"neg_rc\":0}")
  (data (i32.const 200) "{\"event_id\":\"test.thing-happened\",\"version\":\"1.0.0\",\"payload\":{\"n\":1,\"label\":\"first\"}}")
  (data (i32.const 400) "{\"event_id\":\"test.thing-happened\",\"version\":\"1.0.0\"}")
  (data (i32.const 600) "{\"event_id\":\"test.other\",\"version\":\"1.0.0\"}")
  (data (i32.const 800) "{\"event_id\":\"test.thing-happened\"}")
  (data (i32.const 900) "not json")
  (func (export "_start")
    (local $case i32) (local $rc i32) (local $i i32)
    (i32.store (i32.const 0) (i32.const 1024))
    (i32.store (i32.const 4) (i32.const 100))
    (drop (call $fd_read (i32.const 0) (i32.const 0) (i32.const 1) (i32.const 16)))
    (local.set $case (i32.load8_u (i32.const 1025)))
    (if (i32.eq (local.get $case) (i32.const 97))  ;; a
      (then (local.set $rc (call $emit (i32.const 200) (i32.const 86)))))
    (if (i32.eq (local.get $case) (i32.const 116))  ;; t
      (then
        (drop (call $emit (i32.const 200) (i32.const 86)))
        (local.set $rc (call $emit (i32.const 400) (i32.const 52)))))
    (if (i32.eq (local.get $case) (i32.const 117))  ;; u
      (then (local.set $rc (call $emit (i32.const 600) (i32.const 43)))))
    (if (i32.eq (local.get $case) (i32.const 111))  ;; o
      (then (local.set $rc (call $emit (i32.const 65530) (i32.const 100)))))
    (if (i32.eq (local.get $case) (i32.const 110))  ;; n
      (then (local.set $rc (call $emit (i32.const 200) (i32.const -1)))))
    (if (i32.eq (local.get $case) (i32.const 98))  ;; b
      (then (local.set $rc (call $emit (i32.const 900) (i32.const 8)))))
    (if (i32.eq (local.get $case) (i32.const 109))  ;; m
      (then (local.set $rc (call $emit (i32.const 800) (i32.const 34)))))
    (if (i32.eq (local.get $case) (i32.const 122))  ;; z
      (then
        (loop $more
          (local.set $rc (call $emit (i32.const 400) (i32.const 52)))
          (local.set $i (i32.add (local.get $i) (i32.const 1)))
          (br_if $more (i32.lt_u (local.get $i) (i32.const 300))))))
    (i32.store8 (i32.const 74) (i32.sub (i32.const 48) (local.get $rc)))
    (i32.store (i32.const 0) (i32.const 64))
    (i32.store (i32.const 4) (i32.const 12))
    (drop (call $fd_write (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 16)))))
