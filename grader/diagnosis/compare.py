"""Comparing a student's numbers with the reference's, step by step.

Tolerances depend on the dtype and scale with the magnitudes of the series, so
that a correct solution written another way (``mean`` or ``sum()/n``,
``(y-yhat)**2`` or ``(yhat-y)**2``) always passes, in float32 too.  Divergent
runs (inf and nan on both sides) compare equal without crashing.
"""
from __future__ import annotations

import math
from typing import Optional, Sequence

import torch

from grader.results import Divergence, StepRow

RTOL = {"float32": 1e-3, "float64": 1e-6}
CONTEXT = 2


def rtol_for(dtype: str) -> float:
    return RTOL.get(dtype, RTOL["float32"])


def scale(reference: torch.Tensor) -> float:
    """The typical magnitude of a series: the largest finite absolute value."""
    finite = reference[torch.isfinite(reference)]
    return float(finite.abs().max()) if finite.numel() else 1.0


def close_mask(student: torch.Tensor, reference: torch.Tensor, rtol: float, atol: Optional[float] = None) -> torch.Tensor:
    """Element-wise agreement; nan matches nan and inf matches inf of the same sign."""
    if atol is None:
        atol = rtol * scale(reference)
    both_nan = torch.isnan(student) & torch.isnan(reference)
    same_inf = torch.isinf(student) & torch.isinf(reference) & (torch.sign(student) == torch.sign(reference))
    diff = (student - reference).abs()
    near = diff <= atol + rtol * reference.abs()
    return both_nan | same_inf | (near & torch.isfinite(student) & torch.isfinite(reference))


def all_close(student: torch.Tensor, reference: torch.Tensor, rtol: float, atol: Optional[float] = None) -> bool:
    if student.shape != reference.shape:
        return False
    return bool(close_mask(student, reference, rtol, atol).all())


def mismatch(student: torch.Tensor, reference: torch.Tensor, rtol: float) -> float:
    """How far apart two series are, in units of the tolerance (0 = identical)."""
    if student.shape != reference.shape:
        return math.inf
    atol = rtol * scale(reference)
    ok = close_mask(student, reference, rtol, atol)
    diff = (student - reference).abs() / (atol + rtol * reference.abs())
    diff = torch.where(ok, torch.zeros_like(diff), diff)
    diff = torch.nan_to_num(diff, nan=math.inf, posinf=math.inf)
    return float(diff.max()) if diff.numel() else 0.0


def first_divergence(
    student: torch.Tensor,
    reference: torch.Tensor,
    labels: Sequence[str],
    rtol: float,
    series: str,
    step_offset: int = 0,
) -> Optional[Divergence]:
    """The first (step, column) where a (k, m) series leaves the reference, with context."""
    k = min(student.shape[0], reference.shape[0])
    if k == 0:
        return None
    s, r = student[:k], reference[:k]
    ok = close_mask(s, r, rtol, rtol * scale(reference))
    bad = (~ok).nonzero()
    if bad.numel() == 0:
        return None
    step, column = int(bad[0][0]), int(bad[0][1])
    rows = []
    for i in range(max(0, step - CONTEXT), min(k, step + CONTEXT + 1)):
        rows.append(
            StepRow(
                step=i + step_offset,
                label=labels[column],
                student=_plain(s[i, column]),
                reference=_plain(r[i, column]),
                divergent=i == step,
            )
        )
    return Divergence(
        series=series,
        step=step + step_offset,
        label=labels[column],
        student=_plain(s[step, column]),
        reference=_plain(r[step, column]),
        rows=tuple(rows),
    )


def _plain(value: torch.Tensor) -> Optional[float]:
    v = float(value)
    return v if math.isfinite(v) else None
