"""Naming the mistake behind an exception raised by student code.

Mistakes that produce wrong numbers are named by ``grader.diagnosis.mutants``; this
module handles the ones that raise: the stub's NotImplementedError, the
``NoneType`` gradient after ``What = What - ...``, ``input()``, memory.
"""
from __future__ import annotations

from typing import Optional

from grader.results import Message, StudentError

_MEMORY_MARKERS = ("can't allocate memory", "DefaultCPUAllocator", "out of memory")


def from_error(error: StudentError, function: str) -> tuple[str, Message]:
    """A diagnosis code and its message for an exception raised in ``function``."""
    kind, text = error.type, error.message
    line = error.frames[-1].line if error.frames else ""
    if kind == "NotImplementedError" and ("raise NotImplementedError" in line or not error.frames):
        # the stub's own `raise`; PyTorch raises NotImplementedError too ("max_all not implemented for 'ComplexFloat'")
        return "not-implemented", Message("diagnosis.not-implemented.why", {"function": function})
    if kind == "MemoryError" or (kind == "RuntimeError" and any(m in text for m in _MEMORY_MARKERS)):
        return "memory-limit", Message("diagnosis.memory-limit.why", {"detail": f"{kind}: {text}", "detail_ko": f"{kind}: {text}"})
    device = device_error(text)
    if device is not None:
        where = f"(line {error.line}: `{line.strip()}`)" if line.strip() else ""
        return device, Message(f"diagnosis.{device}.why", {"function": function, "type": kind, "message": text, "line": error.line, "where": where, "detail": "", "detail_ko": ""})
    explanation = explain(error)
    if SECOND_BACKWARD in text:
        return "forward-outside-loop", Message("diagnosis.forward-outside-loop.why", {"function": function})
    if "that is different to the input size" in text:
        return "broadcast-shape", Message("diagnosis.broadcast-shape.why", {"function": function, "n": _size(text), "explanation": "error.target-size", "message": f"{kind}: {text}"})
    if LEAF_IN_PLACE in text:
        return "inplace-on-leaf", Message("diagnosis.inplace-on-leaf.why", {"function": function})
    if kind == "TypeError" and "unsupported operand" in text and "NoneType" in text and ".grad" in line:
        return "parameter-rebound", Message("diagnosis.parameter-rebound.why", {"function": function})
    return "runtime-error", Message(
        "diagnosis.runtime-error.why",
        {"function": function, "type": kind, "message": f"{kind}: {text}", "explanation": explanation or "", "line_code": line.strip()[:200]},
    )


def _size(text: str) -> object:
    import re

    found = re.search(r"torch\.Size\(\[(\d+)", text)
    return int(found.group(1)) if found else "n"


SECOND_BACKWARD = "backward through the graph a second time"
LEAF_IN_PLACE = "a leaf Variable that requires grad is being used in an in-place operation"
# PyTorch's advice on a second backward (keep the graph) is the wrong fix in
# these exercises: the forward pass belongs inside the loop.
_RETAIN_ADVICE = ("Specify retain_graph=True", "Saved intermediate values of the graph are freed")


def scrub(error: StudentError) -> StudentError:
    """The error as shown to a student, without advice that would mislead them."""
    if SECOND_BACKWARD not in error.message:
        return error
    text = error.message
    for marker in _RETAIN_ADVICE:
        if marker in text:
            text = text[: text.index(marker)].rstrip()
    from dataclasses import replace

    return replace(error, message=text)


def explain(error: StudentError) -> Optional[str]:
    """A catalogue key that explains a common exception in the lecture's terms."""
    kind, text = error.type, error.message
    if kind in ("EOFError", "StdinNotImplementedError") or "input(" in (error.frames[-1].line if error.frames else ""):
        return "error.input"
    if kind == "AttributeError" and "NoneType" in text and ".grad" in (error.frames[-1].line if error.frames else ""):
        return "error.grad-before-backward"
    if "NoneType" in text:
        return "error.none-grad"
    if "shapes cannot be multiplied" in text or "size mismatch" in text or "must match the size" in text:
        return "error.shape"
    if kind == "AttributeError" and "'Sequential' object has no attribute" in text:
        return "error.sequential-attribute"
    if "assigned grad expected to be a Tensor or None" in text:
        return "error.grad-assigned"
    if "Complex" in text or "complex" in text:
        return "error.complex"
    return None


def device_error(text: str) -> Optional[str]:
    """Device diagnoses for errors raised under the (real or emulated) accelerator."""
    from grader.worker import virtual_cuda

    found = virtual_cuda.classify_message(text)
    return virtual_cuda.DIAGNOSIS.get(found, found) if found else None
