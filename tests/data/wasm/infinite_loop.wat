;; Never returns (no host calls, no memory growth): only a wall-clock deadline stops it.
(module
  (memory (export "memory") 1)
  (func (export "_start") (loop $forever (br $forever))))
