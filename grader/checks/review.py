"""The rules that look at all the checks of a function together, after they ran.

- **No credit for a non-attempt.**  Each function has one *attempt* probe (its
  lecture call).  A function whose lecture call returns None, an empty or a
  constant result, or never changes the parameter it was given to train
  (What, net) while the reference's moves, scores 0 on *every* one of its
  checks: the behaviour checks (in place, inputs unchanged, gradient
  cleared, runs on a GPU, PyTorch API, no Python loop) only say how a function
  did its job, so they count only when it did it.  The diagnosis is the
  mistake that explains it when a check named one (``zero-grad-before-step``,
  ``parameter-rebound``, ...), else ``not-attempted`` saying what happened.
- **One bug, one diagnosis.**  When the lecture check names a mistake that
  also explains another check's case as well as that check's own choice, both
  say the lecture's.
- **uses-global**: a check that failed with an unexplained value or error,
  in a function that reads a module-level (or notebook) variable instead of
  its argument, is explained by that (decided from the source, in the grader).
- **tampering**: code that turns off or edits the worker's instruments
  scores 0 on every check.
"""
from __future__ import annotations

from dataclasses import replace
from typing import Any, Optional, Sequence

import torch

from grader.diagnosis import values
from grader.checks import Check, Context, Verdict, fail, source
from grader.results import Frame, Message

# What each function is asked to return, as the stub's docstring puts it.
RETURNS = {
    "predict": "return yhat",
    "sse_loss": "return loss",
    "gradient_step": "return loss",
    "train": "return loss_history, What_history",
    "mse_loss": "return loss",
    "train_mse": "return loss_history, What_history",
    "closed_form": "return What",
    "make_net": "return net",
    "train_net": "return loss_history",
    "loss_surface": "return LOSS",
}
# The parameter a training function updates in place (its position, its name in the stub).
PARAMETER = {"gradient_step": (2, "What"), "train": (2, "What"), "train_mse": (2, "What"), "train_net": (2, "net")}
# Diagnoses that say only that something differs: a rule below may explain them better.
GENERIC = frozenset({"wrong-value", "wrong-type", "wrong-shape", "history-misaligned"})
# A device problem, or the gate's own code, does not explain why a function did nothing.
NOT_AN_EXPLANATION = frozenset({"not-attempted", "device-mismatch", "requires-cuda", "dtype-changed", "input-mutated"})
# Failures that say what came out, not what the student did: no account of an attempt.
NO_ACCOUNT = frozenset({"wrong-value", "wrong-type", "wrong-shape", "not-attempted"})
UNEXPLAINED = frozenset({"wrong-value", "runtime-error", "wrong-shape", "wrong-type", "history-misaligned", "device-mismatch"})


def returns_hint(function: str) -> str:
    return RETURNS.get(function, "return")


def not_attempted(function: str, detail: str, **params: Any) -> Verdict:
    return fail("not-attempted", function=function, detail={"key": f"attempt.{detail}", "params": {"function": function, **params}})


def none_or_empty(function: str, returned: Any) -> Optional[Verdict]:
    """The verdict for a result with nothing in it, if it has nothing."""
    if returned is None:
        return not_attempted(function, "none", returns=returns_hint(function))
    if isinstance(returned, (list, tuple)):
        found = values.numbers(returned)
        if found is not None and len(found) == 0:
            return not_attempted(function, "empty")
    return None


def _series_move(returned: Any, returns: str) -> bool:
    """Whether some returned history changes from one epoch to the next."""
    parts = list(returned) if returns == "histories" and isinstance(returned, (list, tuple)) else [returned]
    for part in parts:
        found = values.numbers(part)
        if found is not None and len(set(found)) > 1 and returns != "histories":
            return True
        if returns == "histories" and isinstance(part, (list, tuple)) and len(part) > 1:
            rows = [repr(values.numbers(row)) for row in part]
            if len(set(rows)) > 1:
                return True
    return False


def value_attempt(function: str, outcome: Any) -> Optional[Verdict]:
    """A plain value (yhat, a loss, a surface, a number): None, empty, or all one number."""
    if not outcome.ok:
        return None
    empty = none_or_empty(function, outcome.returned)
    if empty is not None:
        return empty
    found = values.numbers(outcome.returned) if not isinstance(outcome.returned, str) else None
    if found is None:
        return None
    if len(found) == 0:
        return not_attempted(function, "empty")
    # On the lecture's data no correct value is all one number, nor a zero loss.
    if len({repr(v) for v in found}) == 1 and (len(found) > 1 or found[0] == 0):  # repr: NaN is one value here
        return not_attempted(function, "constant", found=f"{found[0]:.6g}")
    return None


def training_attempt(function: str, returns: str, start: torch.Tensor, reference_final: torch.Tensor, outcome: Any) -> Optional[Verdict]:
    """A training call: None, empty histories, or the parameter left where it started.

    ``start`` and ``reference_final`` are the parameter's two weights before
    the call and after the reference's training.
    """
    if not outcome.ok:
        return None
    from grader.checks.training import _final

    returned = outcome.returned
    empty = none_or_empty(function, returned)
    if empty is not None:
        return empty
    if returns == "histories" and isinstance(returned, (list, tuple)) and len(returned) == 2:
        for part in returned:
            empty = none_or_empty(function, part)
            if empty is not None:
                return empty
    final = _final(outcome)
    start64 = start.reshape(-1).to(torch.float64)
    moved_reference = not torch.equal(reference_final.reshape(-1).to(torch.float64), start64)
    if final is not None and moved_reference and torch.equal(final.reshape(-1), start64):
        _, name = PARAMETER.get(function, (2, "What"))
        verdict = not_attempted(function, "untouched", parameter=name)
        if _series_move(returned, returns):
            # it trained something (a copy, a new tensor): the rebinding's account fits better
            verdict = replace(verdict, candidates=(("parameter-rebound", {}),))
        return verdict
    if final is None:
        found = values.numbers(returned)
        if found is not None and len(found) > 1 and len({repr(v) for v in found}) == 1:  # repr: NaN is one value here
            return not_attempted(function, "constant", found=f"{found[0]:.6g}")
    return None


# --------------------------------------------------------------------------


def review(checks: Sequence[Check], verdicts: Sequence[Verdict], ctx: Context, text: str, notebook: bool = False) -> list[Verdict]:
    """The verdicts after the rules above; ``text`` is the submission's source (see grader.checks.source)."""
    out = list(verdicts)
    tampered = _tampering(out, text)
    if tampered is not None:
        return [tampered for _ in out]
    functions = list(dict.fromkeys(check.function for check in checks))
    for function in functions:
        indices = [i for i, check in enumerate(checks) if check.function == function]
        _agree(checks, out, indices)
        _rebinding(out, indices, function, text, notebook)
        _uses_global(out, indices, function, text, notebook)
        _gate(checks, out, indices, ctx, function, text)
        _behaviour_needs_an_attempt(checks, out, indices)
    return out


def _behaviour_needs_an_attempt(checks: Sequence[Check], out: list[Verdict], indices: list[int]) -> None:
    """Points for how a training function behaves (in place, inputs unchanged, on a GPU) need a real attempt.

    Where every value check of the function fails and none names a mistake
    (only "different", "not attempted", a wrong type or shape), the function
    did not do the thing those checks are about: they fail with the value
    check's account.  A function with a named mistake keeps them.
    """
    values_at = [i for i in indices if checks[i].name.endswith((".lecture", ".generated"))]
    if not values_at or any(out[i].passed for i in values_at):
        return
    # Only for functions that update a parameter: there "updated in place" means moved as the
    # reference's moved, and garbage that moves it is no attempt.  A value function of the
    # right form keeps its behaviour points, as the grading rules say.
    if not any(checks[i].name.endswith(".in-place") for i in indices):
        return
    account = out[min(values_at, key=lambda i: not _is_lecture(checks[i]))]
    if account.diagnosis not in NO_ACCOUNT:
        return
    for i in indices:
        if i not in values_at and out[i].passed:
            out[i] = replace(account, example=None, divergence=None, trajectory=None)


def _tampering(verdicts: list[Verdict], text: str) -> Optional[Verdict]:
    at_run = next((v for v in verdicts if v.diagnosis == "tampering"), None)
    if at_run is not None:
        return at_run
    finding = source.tampering(text)
    if finding is None:
        return None
    return fail("tampering", detail={"key": "tampering.source", "params": {"line": finding.line, "what": finding.what}})


def _is_lecture(check: Check) -> bool:
    return check.name.endswith(".lecture") or check.name == check.function


def _agree(checks: Sequence[Check], out: list[Verdict], indices: list[int]) -> None:
    lecture = next((out[i] for i in indices if _is_lecture(checks[i]) and not out[i].passed and out[i].candidates), None)
    if lecture is None or lecture.diagnosis is None:
        return
    for i in indices:
        verdict = out[i]
        if verdict.passed or verdict.diagnosis == lecture.diagnosis or not verdict.candidates:
            continue
        for code, params in verdict.candidates:
            if code == lecture.diagnosis:
                message_params = {**(verdict.message.params if verdict.message else {}), **params}
                out[i] = replace(verdict, diagnosis=code, message=Message(f"diagnosis.{code}.why", message_params))
                break


def _rebinding(out: list[Verdict], indices: list[int], function: str, text: str, notebook: bool) -> None:
    """A rebound parameter is pointed at where it was rebound, not where PyTorch noticed."""
    if function not in PARAMETER:
        return
    position, stub_name = PARAMETER[function]
    names = source.parameters(text, function)
    name = names[position] if len(names) > position else stub_name
    finding = source.rebinding(text, function, name)
    for i in indices:
        verdict = out[i]
        raised_no_grad = verdict.diagnosis == "runtime-error" and verdict.error is not None and "does not require grad" in verdict.error.message
        if finding is None:
            continue
        if verdict.diagnosis == "parameter-rebound" or raised_no_grad:
            params = {
                **(verdict.message.params if verdict.message else {}),
                "function": function,
                "explanation": "diagnosis.parameter-rebound.at",
                "line": _line_text(text, finding.line, notebook),
                "code": _short(finding.what),
                "parameter": name,
            }
            error = verdict.error
            if error is not None:
                # Point at the assignment, where the mistake is, not at the backward() that noticed it.
                last = error.frames[-1] if error.frames else None
                cell_line = source.cell_line(text, finding.line)[1] if notebook else finding.line
                at = Frame(last.filename if last else "", cell_line, function, _short(finding.what))
                error = replace(error, frames=(at,))
            out[i] = replace(verdict, passed=False, diagnosis="parameter-rebound", message=Message("diagnosis.parameter-rebound.why", params), error=error)


def _uses_global(out: list[Verdict], indices: list[int], function: str, text: str, notebook: bool) -> None:
    findings = source.globals_read(text, function)
    if not findings:
        return
    first = findings[0]
    parameters = ", ".join(source.parameters(text, function))
    for i in indices:
        verdict = out[i]
        if not verdict.passed and verdict.diagnosis in UNEXPLAINED:
            params = {"function": function, "name": first.what, "line": _line_text(text, first.line, notebook), "parameters": parameters}
            out[i] = replace(verdict, diagnosis="uses-global", message=Message("diagnosis.uses-global.why", params))


def _gate(checks: Sequence[Check], out: list[Verdict], indices: list[int], ctx: Context, function: str, text: str) -> None:
    from grader.execution.session import WorkerLost

    probe = next((checks[i] for i in indices if checks[i].attempt is not None), None)
    if probe is None or probe.attempt is None:
        return
    try:
        gate = probe.attempt(ctx)
    except WorkerLost:
        return
    if gate is None:
        return
    named = _named(checks, out, indices, function, text)
    if named is None and gate.candidates:
        named = next((out[i] for i in indices if out[i].diagnosis in {code for code, _ in gate.candidates}), None)
    chosen = named or gate
    for i in indices:
        verdict = out[i]
        # A check that already failed keeps its own account (a wrong type says
        # "returned None" in its words), unless it could only say "different".
        if verdict.passed or verdict.diagnosis == "wrong-value" or (named is None and verdict.diagnosis == "parameter-rebound"):
            # the mistake's words, with this check's own evidence (none, for a check that passed)
            out[i] = replace(chosen, example=verdict.example or chosen.example, divergence=verdict.divergence, trajectory=verdict.trajectory)


def _named(checks: Sequence[Check], out: list[Verdict], indices: list[int], function: str, text: str) -> Optional[Verdict]:
    """The failed verdict of this function that names a mistake, the lecture check's first."""
    ordered = sorted(indices, key=lambda i: not _is_lecture(checks[i]))
    for i in ordered:
        verdict = out[i]
        if verdict.passed or verdict.diagnosis is None or verdict.diagnosis in GENERIC or verdict.diagnosis in NOT_AN_EXPLANATION:
            continue
        if verdict.diagnosis == "parameter-rebound" and function in PARAMETER:
            # "never moved" is a rebinding only where the source rebinds it.
            message = verdict.message.params if verdict.message else {}
            if "explanation" not in message and verdict.error is None:
                continue
        return verdict
    return None


def _line_text(text: str, line: int, notebook: bool) -> str:
    if not notebook:
        return str(line)
    cell, within = source.cell_line(text, line)
    return f"{within} (cell {cell})"


def _short(code: str) -> str:
    first = code.strip().splitlines()[0] if code.strip() else code
    return first[:120]
