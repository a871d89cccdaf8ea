"""The rules that look at all the checks of a function together, after they ran.

- **No credit for a non-attempt.**  A function whose lecture call returns
  None, an empty result, or one number everywhere scores 0 on *every* one of
  its checks: the behaviour checks (in place, inputs unchanged, gradient
  cleared, runs on a GPU, PyTorch API, no Python loop) only say how a
  function did its job, so they count only when it did it.  The diagnosis
  is the mistake that explains it when a check named one, else
  ``not-attempted`` saying what happened.  A function whose values are right
  but which misses one behaviour (a parameter rebound instead of updated in
  place) loses that behaviour's points only.
- **Behaviour needs values.**  Where every value check of a function that
  updates a parameter fails and none names a mistake, its behaviour checks
  fail with them: what the worker reports about itself never earns a point
  on its own.
- **One bug, one diagnosis.**  When the lecture check names a mistake that
  also explains another check's case, both say the lecture's.
- **The source, read here**, points at lines: a rebinding, a global read
  instead of an argument (and the later notebook cell that rebinds it), a
  mutable default that keeps state between calls, a ``.item()`` where a
  tensor was promised, a cast that changed the dtype, the forward pass under
  ``torch.no_grad()``, an optimizer other than the one required.
- **tampering**: code that turns off or edits the worker's instruments
  scores 0 on every check.
"""
from __future__ import annotations

from dataclasses import replace
from typing import Any, Optional, Sequence

from grader.checks import Check, Context, Verdict, fail, source
from grader.diagnosis import values
from grader.results import Frame, Message
from grader.vocabulary import CheckKind, Code, Role

# Diagnoses that say only that something differs: a rule below may explain them better.
GENERIC = frozenset({Code.WRONG_VALUE, Code.WRONG_TYPE, Code.WRONG_SHAPE, Code.HISTORY_MISALIGNED, Code.CONSTANT_FACTOR})
# A device problem, or the gate's own code, does not explain why a function did nothing.
NOT_AN_EXPLANATION = frozenset({Code.NOT_ATTEMPTED, Code.DEVICE_MISMATCH, Code.REQUIRES_CUDA, Code.DTYPE_CHANGED, Code.INPUT_MUTATED})
# Failures that say what came out, not what the student did: no account of an attempt.
NO_ACCOUNT = frozenset({Code.WRONG_VALUE, Code.WRONG_TYPE, Code.WRONG_SHAPE, Code.NOT_ATTEMPTED})
UNEXPLAINED = frozenset({Code.WRONG_VALUE, Code.RUNTIME_ERROR, Code.WRONG_SHAPE, Code.WRONG_TYPE, Code.HISTORY_MISALIGNED, Code.DEVICE_MISMATCH, Code.CONSTANT_FACTOR})
VALUE_KINDS = frozenset({CheckKind.LECTURE, CheckKind.GENERATED})


def not_attempted(function: str, detail: str, **params: Any) -> Verdict:
    return fail(Code.NOT_ATTEMPTED, function=function, detail={"key": f"attempt.{detail}", "params": {"function": function, **params}})


def attempt(judge: Any, outcome: Any, run_more: Any = None) -> Optional[Verdict]:
    """Whether the lecture call did the function's job at all.

    A non-attempt is a function whose returned values do not move: None, an
    empty result, or each returned value one number everywhere (a history
    that never changes from epoch to epoch, a loss of 0) where the
    reference's move.  A parameter left where it started is no non-attempt:
    the in-place check takes its point.
    """
    if not outcome.ok:
        return None
    returned = outcome.returned
    returns = judge.spec.returns or "..."
    if returned is None:
        return not_attempted(judge.name, "none", returns=returns if returns.startswith("return") else f"return {returns}")
    several = len(judge.spec.result) > 1 and isinstance(returned, (list, tuple)) and len(returned) == len(judge.spec.result)
    parts = list(returned) if several else [returned]
    for part in parts:
        if isinstance(part, (list, tuple)):
            found = values.numbers(part)
            if found is not None and len(found) == 0:
                return not_attempted(judge.name, "empty")
    if any(isinstance(part, str) for part in parts):
        return _one_answer(judge, outcome, run_more)
    expected = judge.reference(judge.lecture).returned
    expected_parts = list(expected) if several and isinstance(expected, (list, tuple)) else [expected]
    if not any(_moves(e) for e in expected_parts):
        return None
    if any(_moves(p) for p in parts):
        return None
    first = values.numbers(parts[0])
    return not_attempted(judge.name, "constant", found=f"{first[0]:.6g}" if first else "?")


def _one_answer(judge: Any, outcome: Any, run_more: Any) -> Optional[Verdict]:
    """A function answering with one of a few strings: the same answer to every call of the lecture's
    (its lecture call and its divergent ones), where the reference's answers differ, is no attempt."""
    from grader.pack import calls as calls_

    others = calls_.divergent(judge.pack, judge.name)
    if run_more is None or not others:
        return None
    mine = {repr(outcome.returned)} | {repr(run_more(call).returned) for call in others}
    theirs = {repr(judge.reference(judge.lecture).returned)} | {repr(judge.reference(call).returned) for call in others}
    if len(mine) == 1 and len(theirs) > 1:
        return not_attempted(judge.name, "constant", found=str(outcome.returned)[:40])
    return None


def _moves(value: Any) -> bool:
    """Whether a returned value changes: a history from entry to entry, a single number unless it is 0."""
    from grader.worker.protocol import TensorValue

    if isinstance(value, (list, tuple)) and value and all(isinstance(item, (list, tuple, TensorValue)) for item in value):
        rows = [repr(values.numbers(item)) for item in value]  # one entry per epoch: [w0, w1], a tensor
        return len(set(rows)) > 1
    if isinstance(value, TensorValue) and len(value.shape) >= 2 and value.shape[0] > 1:
        width = len(value.data) // value.shape[0]
        return len({repr(value.data[i * width : (i + 1) * width]) for i in range(value.shape[0])}) > 1
    found = values.numbers(value) if not isinstance(value, str) else None
    if found is None:
        return True  # not numbers: its checks say what it is
    if len(found) == 1:
        return found[0] != 0
    return len({repr(v) for v in found}) > 1  # repr: NaN is one value here


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
        judge = ctx.judges.get(function)
        _agree(checks, out, indices)
        if judge is not None:
            _rebinding(out, indices, judge, text, notebook)
            _uses_global(out, indices, judge, text, notebook, ctx.data_names)
            _state_between_calls(checks, out, indices, judge, text, notebook)
            _source_lines(out, indices, judge, text, notebook)
        _gate(checks, out, indices, ctx, function, text)
        _unmoved_by_the_named_mistake(checks, out, indices)
        _behaviour_needs_an_attempt(checks, out, indices)
    return out


def _kind(check: Check) -> Optional[CheckKind]:
    return check.kind


def _is_lecture(check: Check) -> bool:
    return check.kind == CheckKind.LECTURE


def _behaviour_needs_an_attempt(checks: Sequence[Check], out: list[Verdict], indices: list[int]) -> None:
    """Points for how a training function behaves need values the grader checked.

    Where every value check of the function fails and none names a mistake
    (only "different", "not attempted", a wrong type or shape), the function
    did not do the thing those checks are about: they fail with the value
    check's account.  A function with a named mistake keeps them.
    """
    values_at = [i for i in indices if checks[i].kind in VALUE_KINDS]
    if not values_at or any(out[i].passed for i in values_at):
        return
    # Only for functions that update a parameter: there "updated in place" means moved as the
    # reference's moved, and garbage that moves it is no attempt.  A value function of the
    # right form keeps its behaviour points, as the grading rules say.
    if not any(checks[i].kind in (CheckKind.IN_PLACE, CheckKind.API) for i in indices):
        return
    account = out[min(values_at, key=lambda i: not _is_lecture(checks[i]))]
    if account.diagnosis not in NO_ACCOUNT:
        return
    for i in indices:
        if i not in values_at and out[i].passed:
            out[i] = replace(account, example=None, divergence=None, trajectory=None)


def _unmoved_by_the_named_mistake(checks: Sequence[Check], out: list[Verdict], indices: list[int]) -> None:
    """A parameter that never moved, where no line rebinds it, moved not because of the mistake the
    value checks named (the gradient cleared before the step): one bug, one diagnosis."""
    named = _named(out, indices, checks)
    if named is None:
        return
    for i in indices:
        verdict = out[i]
        evidence = verdict.error is not None or "explanation" in (verdict.message.params if verdict.message else {})
        if checks[i].kind == CheckKind.IN_PLACE and verdict.diagnosis == Code.PARAMETER_REBOUND and not evidence:
            out[i] = replace(named, example=verdict.example, divergence=None, trajectory=None)


def _tampering(verdicts: list[Verdict], text: str) -> Optional[Verdict]:
    at_run = next((v for v in verdicts if v.diagnosis == Code.TAMPERING), None)
    if at_run is not None:
        return at_run
    finding = source.tampering(text)
    if finding is None:
        return None
    return fail(Code.TAMPERING, detail={"key": "tampering.source", "params": {"line": finding.line, "what": finding.what}})


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


def _parameter_name(judge: Any, text: str) -> Optional[str]:
    position = judge.parameter
    if position is None:
        return None
    names = source.parameters(text, judge.name)
    return names[position] if len(names) > position else judge.spec.args[position].name


def _rebinding(out: list[Verdict], indices: list[int], judge: Any, text: str, notebook: bool) -> None:
    """A rebound parameter is pointed at where it was rebound, not where PyTorch noticed."""
    name = _parameter_name(judge, text)
    if name is None:
        return
    function = judge.name
    finding = source.rebinding(text, function, name)
    if finding is None:
        return
    for i in indices:
        verdict = out[i]
        raised_no_grad = verdict.diagnosis == Code.RUNTIME_ERROR and verdict.error is not None and "does not require grad" in verdict.error.message
        if verdict.diagnosis == Code.PARAMETER_REBOUND or raised_no_grad:
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
            out[i] = replace(verdict, passed=False, diagnosis=Code.PARAMETER_REBOUND, message=Message("diagnosis.parameter-rebound.why", params), error=error)


def _uses_global(out: list[Verdict], indices: list[int], judge: Any, text: str, notebook: bool, data_names: frozenset[str]) -> None:
    function = judge.name
    findings = source.globals_read(text, function, data_names)
    if notebook:
        # any global a later cell binds again counts, whatever its name: the function sees the later value
        findings += [f for f in source.globals_read(text, function, frozenset(source.module_names(text))) if f not in findings and source.rebound_later(text, function, f.what)]
    if not findings:
        return
    first = next((f for f in findings if notebook and source.rebound_later(text, function, f.what)), findings[0])
    parameters = ", ".join(source.parameters(text, function))
    later = source.rebound_later(text, function, first.what) if notebook else None
    for i in indices:
        verdict = out[i]
        if not verdict.passed and verdict.diagnosis in UNEXPLAINED:
            params: dict[str, Any] = {"function": function, "name": first.what, "line": _line_text(text, first.line, notebook), "parameters": parameters}
            if later is not None:
                params["explanation"] = "diagnosis.uses-global.later"
                params["later"] = _line_text(text, later.line, notebook)
                params["code"] = _short(later.what)
            out[i] = replace(verdict, diagnosis=Code.USES_GLOBAL, message=Message("diagnosis.uses-global.why", params))


def _state_between_calls(checks: Sequence[Check], out: list[Verdict], indices: list[int], judge: Any, text: str, notebook: bool) -> None:
    """Right on the first call, wrong on later ones: state kept between calls (a mutable default)."""
    lecture = next((i for i in indices if _is_lecture(checks[i])), None)
    generated = [i for i in indices if checks[i].kind == CheckKind.GENERATED and not out[i].passed]
    if lecture is None or not out[lecture].passed or not generated:
        return
    defaults = source.mutable_defaults(text, judge.name)
    if not defaults:
        return
    first = defaults[0]
    for i in generated:
        verdict = out[i]
        params = {"function": judge.name, "line": _line_text(text, first.line, notebook), "code": _short(_code_at(text, first)), "name": first.what}
        out[i] = replace(verdict, diagnosis=Code.MUTABLE_DEFAULT, message=Message("diagnosis.mutable-default.why", params), candidates=())


def _source_lines(out: list[Verdict], indices: list[int], judge: Any, text: str, notebook: bool) -> None:
    """Point a failure at the line that causes it, where the source shows one."""
    function = judge.name
    for i in indices:
        verdict = out[i]
        if verdict.passed or verdict.message is None:
            continue
        params = dict(verdict.message.params)
        finding = None
        explanation = None
        if verdict.diagnosis == Code.WRONG_TYPE and "a number" not in str(params.get("expected", "")) and "float" in str(params.get("found", "")):
            found = source.conversions(text, function)
            finding, explanation = (found[0], "diagnosis.wrong-type.converted") if found else (None, None)
        elif verdict.diagnosis == Code.DTYPE_CHANGED or (verdict.diagnosis == Code.RUNTIME_ERROR and verdict.error is not None and "dtype" in verdict.error.message):
            found = source.casts(text, function)
            if found:
                finding, explanation = found[0], "diagnosis.dtype-changed.at"
                if verdict.diagnosis == Code.RUNTIME_ERROR:
                    verdict = replace(verdict, diagnosis=Code.DTYPE_CHANGED)
                    params.setdefault("where", "")
                    params.setdefault("found", "another dtype")
        elif verdict.diagnosis == Code.RUNTIME_ERROR and verdict.error is not None and "does not require grad" in verdict.error.message:
            name = _parameter_name(judge, text)
            found_no_grad = source.no_grad_forward(text, function, name) if name else None
            if found_no_grad is not None:
                finding, explanation = found_no_grad, "diagnosis.forward-in-no-grad.at"
                verdict = replace(verdict, diagnosis=Code.FORWARD_IN_NO_GRAD)
        elif verdict.diagnosis == Code.WRONG_VALUE and judge.spec.requires.optimizer:
            extra = _extra_options(text, judge)
            if extra is not None:
                finding, explanation = extra[0], "diagnosis.wrong-value.optimizer-options"
                params["options"] = extra[1]
        elif verdict.diagnosis == Code.NOT_USING_TORCH_API and judge.spec.requires.optimizer:
            wanted = judge.spec.requires.optimizer.rsplit(".", 1)[-1]
            other = next((f for f in source.optimizers(text, function) if f.what != wanted), None)
            if other is not None:
                finding, explanation = other, "diagnosis.not-using-torch-api.other"
                params["other"] = f"torch.optim.{other.what}"
                params["wanted"] = judge.spec.requires.optimizer
        if finding is None or explanation is None:
            continue
        params.update({"explanation": explanation, "line": _line_text(text, finding.line, notebook), "code": _short(_code_at(text, finding))})
        key = verdict.message.key if verdict.message is not None and str(verdict.diagnosis) in verdict.message.key else f"diagnosis.{verdict.diagnosis}.why"
        out[i] = replace(verdict, message=Message(key, params))


def _extra_options(text: str, judge: Any) -> Optional[tuple[Any, str]]:
    """The student's optimizer call with options (momentum, weight_decay, ...) the reference's does not give."""
    theirs = {k for _, options in source.optimizer_options(judge.pack.reference_text, judge.name) for k in options}
    for finding, options in source.optimizer_options(text, judge.name):
        extra = {k: v for k, v in options.items() if k not in theirs and v not in ("0", "0.0", "False", "None")}
        if extra:
            return finding, ", ".join(f"{k}={v}" for k, v in extra.items())
    return None


def _code_at(text: str, finding: Any) -> str:
    lines = text.splitlines()
    return lines[finding.line - 1].strip() if 0 < finding.line <= len(lines) else str(finding.what)


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
    named = _named(out, indices, checks)
    chosen = named or gate
    for i in indices:
        verdict = out[i]
        # A check that already failed keeps its own account (a wrong type says
        # "returned None" in its words), unless it could only say "different".
        if verdict.passed or verdict.diagnosis == Code.WRONG_VALUE:
            # the mistake's words, with this check's own evidence (none, for a check that passed)
            out[i] = replace(chosen, example=verdict.example or chosen.example, divergence=verdict.divergence, trajectory=verdict.trajectory)


def _named(out: list[Verdict], indices: list[int], checks: Sequence[Check]) -> Optional[Verdict]:
    """The failed verdict of this function that names a mistake, the lecture check's first."""
    ordered = sorted(indices, key=lambda i: not _is_lecture(checks[i]))
    for i in ordered:
        verdict = out[i]
        if verdict.passed or verdict.diagnosis is None or verdict.diagnosis in GENERIC or verdict.diagnosis in NOT_AN_EXPLANATION:
            continue
        if verdict.diagnosis == Code.PARAMETER_REBOUND and verdict.error is None and "explanation" not in (verdict.message.params if verdict.message else {}):
            continue  # "never moved" is a rebinding only where the source rebinds it
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


__all__ = ["attempt", "not_attempted", "review", "Role"]
