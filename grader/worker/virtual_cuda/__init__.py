"""An emulated ``cuda`` device, so that device bugs show up on CPU-only machines.

Student code that silently creates tensors on the CPU (``torch.ones(n, 1)``),
calls ``.numpy()`` on a result, or never moves its ``nn.Linear`` works on a
laptop and breaks on a GPU.  ``VirtualCuda`` makes those bugs fail on any
machine, the way they fail on a GPU:

    with VirtualCuda():
        X = place(X, "cuda")            # X now claims to live on cuda:0
        student.predict(X, What)        # torch.ones(n, 1) mixed with X raises

Every tensor still really lives on the CPU, so every number comes out exactly
as without the emulation.  What changes is a *virtual device tag* carried by
each tensor (see ``device_of``): factories take the device they are given,
``.to`` / ``.cuda`` / ``.cpu`` move the tag, results of operations inherit it,
and an operation that mixes a tagged tensor with a CPU tensor raises PyTorch's
own "Expected all tensors to be on the same device" error.  ``.device``,
``.is_cuda`` and ``torch.cuda.is_available()`` answer as on a one-GPU machine.

``VirtualCuda(available=False)`` emulates the opposite machine, one without a
GPU: ``torch.cuda.is_available()`` is False and every attempt to reach cuda
raises ``AssertionError("Torch not compiled with CUDA enabled")``, whatever
the machine really has.  That is how hard-coded ``.cuda()`` is detected.

Errors raised by the emulation carry a marker; ``classify_error`` reads it
(and falls back on the message, so that errors from a real GPU classify the
same way).  See ``DIAGNOSIS`` for the grader's diagnosis codes.

Import the submission with the emulation already active: the common
``device = "cuda" if torch.cuda.is_available() else "cpu"`` runs at import.

Not emulated: device checks inside code that runs without the mode (backward
hooks, custom autograd Functions' backward), indexing a CPU tensor with cuda
indices (allowed here, an error on a GPU), CUDA random numbers (cuda factories
draw from the CPU generator), pinned memory, streams, ``torch.Generator("cuda")``
and memory statistics.  Real CUDA kernels word some mismatches differently
("but got mat2 is on cpu, different from other tensors on cuda:0"); match on
the common prefix, as ``classify_message`` does.

Modules: ``devices`` (the tags and the errors a real device raises), ``mode`` (the
``TorchFunctionMode``) and ``handlers`` (its special cases).
"""
from __future__ import annotations
from grader.worker.virtual_cuda.devices import CUDA, DEVICE_MISMATCH, DIAGNOSIS, NUMPY_ON_CUDA, REQUIRES_CUDA, classify_error, classify_message, device_of, place, tag_gradients
from grader.worker.virtual_cuda.mode import VirtualCuda


__all__ = [
    "CUDA",
    "DEVICE_MISMATCH",
    "DIAGNOSIS",
    "NUMPY_ON_CUDA",
    "REQUIRES_CUDA",
    "VirtualCuda",
    "classify_error",
    "classify_message",
    "device_of",
    "place",
    "tag_gradients",
]
