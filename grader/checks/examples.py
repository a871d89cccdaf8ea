"""The minimal example of a failure: the call to paste, ending with the comparison that shows it.

The student's value is printed beside the expected one (a literal: the
student never has the reference) at the first divergent step; a wrong
type or shape prints what came back beside what the contract asks for.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Optional

from grader.checks import Verdict
from grader.pack.calls import Call

if TYPE_CHECKING:
    from grader.checks.judge import Judge

KIND_CODES = ("wrong-type", "wrong-shape", "result-too-large")


def _number(value: Optional[float]) -> str:
    return 'float("nan")' if value is None else repr(float(f"{value:.6g}"))


def _split(code: str) -> tuple[list[str], str, str]:
    """The setup lines, the call (the last line), and a comment after it."""
    lines = code.rstrip("\n").split("\n")
    call, _, comment = lines[-1].partition("  # ")
    return lines[:-1], call, f"  # {comment}" if comment else ""


def showing(call: Call, verdict: Verdict, judge: "Judge") -> str:
    """``call``'s code ending with the comparison that shows ``verdict``."""
    code = call.code
    if verdict.error is not None:
        return code
    setup, expression, comment = _split(code)
    if verdict.diagnosis in KIND_CODES:
        expected = verdict.message.params.get("expected") if verdict.message is not None else None
        return "\n".join(
            setup
            + [
                f"result = {expression}{comment}",
                f'print("yours:", type(result).__name__, getattr(result, "shape", ""), "expected", {str(expected or "?")!r})',
            ]
        )
    returned = judge.spec.returns.strip() or "result"
    names = [n.strip() for n in returned.split(",")]
    lines = setup + [f"{returned} = {expression}{comment}"]
    d = verdict.divergence
    if d is not None and d.series.endswith(" after the call"):
        owner = d.series[: -len(" after the call")]
        lines.append(f'print("{owner} after the call: yours", {_values(owner, judge)}, "expected {d.label} =", {_number(d.reference)})')
    elif d is not None and d.series in names:
        spec = next((v for v in judge.spec.result if v.name == d.series), None)
        offset = 1 if spec is not None and spec.length.strip() == "epochs" else 0
        if spec is not None and spec.kind == "series":
            index = d.step - offset
            owner = next((a.name for a in judge.spec.args if a.role == "parameter"), "")
            where = f"the loss of epoch {d.step}" if d.label == "loss" else (f"the initial {owner}".rstrip() if d.step == 0 else f"{owner} after epoch {d.step}".strip())
            row = _expected_row(call, judge, d.series, index)
            expected = f"{row!r}" if row is not None and len(row) > 1 else _number(d.reference)
            lines.append(f'print("{d.series}[{index}], {where}: yours", {d.series}[{index}], "expected", {expected})')
        elif d.label.startswith("["):
            lines.append(f'print("{d.series}{d.label}: yours", {d.series}{d.label}, "expected", {_number(d.reference)})')
        else:
            lines.append(f'print("{d.series}: yours", {d.series}, "expected", {_number(d.reference)})')
    elif d is not None:
        target = names[0]
        at = d.label if d.label.startswith("[") else ""
        lines.append(f'print("{target}{at}: yours", {target}{at}, "expected", {_number(d.reference)})')
    elif verdict.diagnosis in ("wrong-epochs", "history-misaligned"):
        lengths = ", ".join(f"len({n})" for n in names)
        expected = _expected_lengths(call, judge)
        lines.append(f'print("lengths: yours", {lengths}, "expected", {expected})' if expected else f'print("lengths: yours", {lengths})')
    elif judge.spec.result and judge.spec.result[0].kind == "module":
        state = f"{{k: v.tolist() for k, v in {names[0]}.state_dict().items()}}"
        lines.append(f'print("yours:", {state}, "expected", {_expected_state(call, judge)!r})')
    else:
        lines.append(f'print("yours:", {names[0]})')
    return "\n".join(lines)


def _expected_state(call: Call, judge: "Judge") -> dict[str, object]:
    """The reference module's parameters for ``call``, as nested lists (6 significant digits)."""
    from grader.worker.protocol import ModuleValue

    module = judge.reference(call).returned
    if not isinstance(module, ModuleValue):
        return {}
    out: dict[str, object] = {}
    for name, param in module.params.items():
        flat = [float(f"{v:.6g}") for v in param.data]
        out[name] = _nest(flat, list(param.shape))
    return out


def _nest(flat: list[float], shape: list[int]) -> object:
    if len(shape) <= 1:
        return flat if shape else flat[0]
    step = len(flat) // shape[0]
    return [_nest(flat[i * step : (i + 1) * step], shape[1:]) for i in range(shape[0])]


def _expected_row(call: Call, judge: "Judge", series: str, index: int) -> Optional[list[float]]:
    """The reference's entry ``index`` of the history ``series`` (a vector: [w0, w1])."""
    try:
        found = judge.read_reference(call).named(series)
    except RuntimeError:
        return None
    if found is None or not 0 <= index < found.values.shape[0]:
        return None
    return [float(f"{v:.6g}") for v in found.values[index].tolist()]


def _expected_lengths(call: Call, judge: "Judge") -> str:
    """The reference's history lengths for ``call`` (``30, 31``), as literals the example prints."""
    try:
        reading = judge.read_reference(call)
    except RuntimeError:
        return ""
    return ", ".join(str(s.values.shape[0]) for s in reading.series if s.stepped)


def _values(owner: str, judge: "Judge") -> str:
    """Python that reads a parameter's numbers after the call: ``What`` or ``net[0].bias``."""
    base = owner.split("[")[0].split(".")[0]
    position = judge.parameter
    if position is not None and judge.spec.args[position].name == base and owner == base and judge.spec.args[position].role:
        call_arg = judge.lecture.args[position]
        import torch

        if isinstance(call_arg, torch.nn.Module):
            return f"[p.data.reshape(-1).tolist() for p in {base}.parameters()]"
    return f"{owner}.data.reshape(-1).tolist()"


def showing_unchanged(call: Call, argument: str) -> str:
    """The in-place example: the caller's parameter printed after the call, beside where it started."""
    setup, expression, comment = _split(call.code)
    numbers = f"[p.data.reshape(-1).tolist() for p in {argument}.parameters()]" if _is_module(call, argument) else f"{argument}.data.reshape(-1).tolist()"
    return "\n".join(setup + [f"before = {numbers}", f"{expression}{comment}", f'print("{argument} after the call: yours", {numbers}, "expected: moved away from", before)'])


def showing_grad(call: Call, argument: str) -> str:
    setup, expression, comment = _split(call.code)
    grads = f"[p.grad for p in {argument}.parameters()]" if _is_module(call, argument) else f"{argument}.grad"
    return "\n".join(setup + [f"{expression}{comment}", f'print("{argument}\'s gradient after the call:", {grads}, "(expected None or zeros)")'])


def _is_module(call: Call, argument: str) -> bool:
    import torch

    return argument in call.names and isinstance(call.arg(argument), torch.nn.Module)
