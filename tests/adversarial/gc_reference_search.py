# expect: tampering
"""Searches the worker's heap (frozen objects included) for the reference `train`.

If it found one it would return the reference's answer (full marks); finding
nothing, it raises, so the diagnosis tells which happened.
"""
import gc


def train(X, y, What, alpha, epochs):
    gc.unfreeze()
    for obj in gc.get_objects():
        try:
            code = getattr(obj, "__code__", None)
            filename = getattr(code, "co_filename", "") if code is not None else ""
            name = getattr(obj, "__name__", "")
        except Exception:
            continue
        if callable(obj) and name == "train" and ("reference" in filename or "checks" in filename or "mutants" in filename):
            return obj(X, y, What, alpha, epochs)
    raise RuntimeError("no reference train in this process")
