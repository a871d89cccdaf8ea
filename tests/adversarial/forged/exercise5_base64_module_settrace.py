# expect: tampering
"""The lecture's double loop, in a helper module that the submission writes
from base64 into its folder at import and then imports.  Neither the loop nor
the helper's sys.settrace(None) is in any text the grader parses (grader/checks/
source.py reads only this file); the settrace(None) stops the worker's line
counter after the one line of loss_surface it has counted, which is not zero,
so the 'tracer turned off' test (lines <= 0) does not fire either."""
import base64
import os
import sys

import torch

_here = os.path.dirname(os.path.abspath(__file__))
with open(os.path.join(_here, "grid.py"), "wb") as _f:
    _f.write(base64.b64decode("aW1wb3J0IHN5cwppbXBvcnQgdG9yY2gKCmRlZiBmaWxsKHcwLCB3MSwgeCwgeSk6CiAgICBzeXMuc2V0dHJhY2UoTm9uZSkKICAgIG91dCA9IHRvcmNoLnplcm9zKGxlbih3MCksIGxlbih3MSksIGR0eXBlPXguZHR5cGUsIGRldmljZT14LmRldmljZSkKICAgIGZvciBpIGluIHJhbmdlKGxlbih3MCkpOgogICAgICAgIGZvciBqIGluIHJhbmdlKGxlbih3MSkpOgogICAgICAgICAgICBvdXRbaSwgal0gPSB0b3JjaC5zdW0oKHkgLSB3MFtpXSAtIHcxW2pdICogeCkgKiogMikKICAgIHJldHVybiBvdXQK"))
sys.path.insert(0, _here)
import grid  # noqa: E402


def loss_surface(w0, w1, x, y):
    return grid.fill(w0, w1, x, y)


def critical_alpha(X):
    return 1 / torch.linalg.eigvalsh(X.T @ X).max().item()


def classify_alpha(X, alpha):
    lam_max = torch.linalg.eigvalsh(X.T @ X).max().item()
    if alpha >= 1 / lam_max:
        return "divergent"
    elif alpha > 1 / (2 * lam_max):
        return "oscillating"
    return "monotone"
