;; Declares 256 pages (16 MiB) of initial memory: rejected before any guest code runs.
(module
  (memory (export "memory") 256)
  (func (export "_start")))
