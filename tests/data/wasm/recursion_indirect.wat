;; Unbounded recursion through call_indirect, each frame carrying locals.
(module
  (type $t (func (param i64) (result i64)))
  (table 1 funcref)
  (elem (i32.const 0) $f)
  (memory (export "memory") 1)
  (func $f (type $t) (param $x i64) (result i64)
    (local $a i64) (local $b i64) (local $c i64)
    (i64.add (local.get $x)
      (call_indirect (type $t) (i64.add (local.get $x) (i64.const 1)) (i32.const 0))))
  (func (export "_start") (drop (call $f (i64.const 0)))))
