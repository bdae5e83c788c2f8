"""`mytorch.compile`: trace a training step once, replay its NumPy work flat.

The pieces, in the order a call meets them:

- `guards`: the signature of a call (the cache key) and the generated check that what a
  trace depended on still holds;
- `capture` and `tracing`: the first call per signature runs eagerly while a tracer
  records every NumPy call it makes, on `TracedArray`s, and the Python effects that
  outlive it (`.grad`s, version counters);
- `program`: the recorded calls become a generated Python function with planned
  buffers, hoisted views and constants, and value guards;
- `state`: the second call replays and is compared bit for bit with eager from the same
  state, before the program is trusted;
- `compiled`: `CompiledFunction` holds it all together; `explain()` says what happened.
"""
from mytorch.jit.compiled import CompiledFunction, CompileWarning, Explanation, compile

__all__ = ["compile", "CompiledFunction", "CompileWarning", "Explanation"]
