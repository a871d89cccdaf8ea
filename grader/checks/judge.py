"""Judging one call of a graded function against the reference, and naming what differs.

The order of questions is a teaching assistant's: did it run, did it return
the kind of thing the stub promised, are its histories as long as asked,
and where do its values first leave the reference's?  A difference is then
explained, most specific first: by how the student's values relate to the
reference's (a history aliased, a shift by one epoch, a module's
parameters swapped, an exact factor), by the variant of the reference that
reproduces them (a pack's named misconception, or one the mutation
operators derive), or, when nothing does, in the function's own terms.
Nothing here renders text: verdicts carry catalogue keys and parameters.
"""
from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any, Callable, Optional, Sequence, Union

import torch

from grader.checks import PASS, Verdict, fail, outcome_problem, problem_verdict
from grader.checks import contract
from grader.checks.contract import Reading, Series
from grader.diagnosis import compare, relations, values
from grader.diagnosis import variants as variant_search
from grader.execution.session import CallOutcome
from grader.pack import run, spec as specs
from grader.pack.calls import Call
from grader.pack.load import Pack
from grader.results import Divergence, Message, Trajectory
from grader.vocabulary import Code, Role
from grader.worker.protocol import ModuleValue, TensorValue

BROADCAST_WARNING = "that is different to the input size"


@dataclass(frozen=True)
class Judge:
    """How calls of one function are judged: its pack, its spec, its lecture call."""

    pack: Pack
    spec: specs.Function
    lecture: Call

    @property
    def name(self) -> str:
        return self.spec.name

    def positions(self, role: Role) -> list[int]:
        return [i for i, a in enumerate(self.spec.args) if a.role == role]

    @property
    def parameter(self) -> Optional[int]:
        found = self.positions(Role.PARAMETER)
        return found[0] if found else None

    @property
    def includes_parameter(self) -> bool:
        """Whether the parameter's final state is judged with the returned values.

        By default it is, unless a returned history already holds its path
        (``train`` returns What_history: a rebinding then costs only the in-place check).
        """
        if self.parameter is None:
            return False
        if self.spec.values_include_parameter is not None:
            return self.spec.values_include_parameter
        return not any(v.kind == "series" and v.item == "vector" for v in self.spec.result)

    # -- the reference -------------------------------------------------------

    def reference(self, call: Call) -> CallOutcome:
        return run.outcome(self.pack.reference_function(self.name), call, key=(self.pack.digest, f"reference:{self.name}"))

    def rerun(self, call: Call, **changes: Any) -> Optional[CallOutcome]:
        """The reference on ``call`` with some arguments changed (``epochs=31``)."""
        args = list(call.args)
        for name, value in changes.items():
            if name not in call.names:
                return None
            args[call.names.index(name)] = value
        found = self.reference(call.with_args(args))
        return found if found.ok else None

    def rtol(self, call: Call) -> float:
        if self.spec.tolerance is not None:
            return float(self.pack.helper(self.spec.tolerance)(*call.args))
        for value in call.args:
            if isinstance(value, torch.Tensor) and value.is_floating_point():
                return compare.rtol_for(str(value.dtype).replace("torch.", ""))
            if isinstance(value, torch.nn.Module):
                p = next(value.parameters(), None)
                if p is not None:
                    return compare.rtol_for(str(p.dtype).replace("torch.", ""))
        return compare.rtol_for("float64")

    # -- reading ---------------------------------------------------------------

    def read(self, outcome: CallOutcome, expected: Optional[Reading] = None, call: Optional[Call] = None) -> Union[Reading, values.Problem]:
        """``outcome`` read through the contract (with the parameter's final state where it is judged;
        ``call`` gives where the parameter started)."""
        found = contract.read(self.spec.result, outcome.returned, expected)
        if isinstance(found, values.Problem) or not self.includes_parameter:
            return found
        position = self.parameter
        assert position is not None
        observed = outcome.after[position] if position < len(outcome.after) else None
        arg = self.spec.args[position]
        before = call.args[position] if call is not None else None
        return replace(found, series=found.series + tuple(contract.parameter_series(observed or {}, arg.name, arg.labels, before)))

    def read_reference(self, call: Call) -> Reading:
        expected = self.reference(call)
        if not expected.ok:
            raise RuntimeError(f"the reference of {self.name} raised {expected.error.type if expected.error else '?'} on {call.code!r}")
        found = self.read(expected, call=call)
        if isinstance(found, values.Problem):
            raise RuntimeError(f"the reference of {self.name} returned {found.found}, which its own contract refuses ({found.expected})")
        return found

    # -- judging ---------------------------------------------------------------

    def judge(self, call: Call, outcome: CallOutcome, diagnose: bool = True, source: str = "") -> Verdict:
        """The verdict on one call; with ``diagnose=False`` only whether it passed (cheap).

        ``source``: the student's code as the grader read it, which breaks ties
        between variants that explain the values alike."""
        problem = outcome_problem(outcome, self.name)
        if problem is not None:
            return problem
        expected = self.read_reference(call)
        found = self.read(outcome, expected, call)
        if isinstance(found, values.Problem):
            return problem_verdict(found, self.name)
        structural = relations.structure(found, expected)
        if structural is not None:
            return _verdict(structural[0], structural[1], self.name, None)
        found = _renamed(found, expected)
        rtol = self.rtol(call)
        if not diagnose:
            return PASS if _same_shapes(found, expected) and _close(found, expected, rtol) else Verdict(False)
        trajectory = self.trajectory(call, found, expected)
        if not _same_shapes(found, expected):
            return _with(self._lengths(call, found, expected, rtol), trajectory)
        if _close(found, expected, rtol):
            return PASS
        return _with(self._explain(call, outcome, found, expected, rtol, source), trajectory)

    def _named_variant(self, match: Any, divergence: Any, epoch: Optional[int] = None) -> Verdict:
        """The verdict naming the variant of the reference the submission behaves like;
        ``epoch``: the first epoch a per-epoch series leaves the reference's."""
        params: dict[str, Any] = {**match.params, "change": _change(match.variant), "detail": ""}
        if match.variant.code == Code.WRONG_LOSS and match.variant.site.before:
            params.setdefault("expected", f"`{match.variant.site.before}`")
            params.setdefault("found", f"`{match.variant.site.after or match.variant.site.changed}`")
        params.setdefault("epoch", epoch if epoch is not None else divergence.step if divergence is not None and divergence.stepped else 1)
        verdict = _verdict(match.variant.code, params, self.name, divergence)
        return replace(verdict, candidates=match.candidates)

    def _explain(self, call: Call, outcome: CallOutcome, found: Reading, expected: Reading, rtol: float, source: str = "") -> Verdict:
        divergence = first_divergence(found, expected, rtol)
        unmoved = relations.unmoved(found, expected, rtol)
        if unmoved is not None:
            # A parameter left where it started is a rebinding, unless a variant of the
            # reference leaves it there too (the gradient cleared before the step).
            match = variant_search.nearest(self.pack, self.name, call, found, expected, rtol, self._reader(expected, call), self.lecture, source)
            if match is None:
                return _verdict(unmoved[0], unmoved[1], self.name, divergence)
            return self._named_variant(match, divergence, first_epoch(found, expected, rtol))
        related = relations.before_variants(found, expected, rtol)
        if related is not None:
            return _verdict(related[0], related[1], self.name, divergence)
        shifted = self._shifted(call, found, expected, rtol)
        if shifted is not None:
            return replace(shifted, divergence=divergence)
        if any(BROADCAST_WARNING in w for w in outcome.warnings) or self._broadcast(call, found, rtol):
            n = next((int(a.shape[0]) for a in call.args if isinstance(a, torch.Tensor) and a.dim() == 2), 0)
            shape: dict[str, Any] = {"n": n}
            return replace(_verdict(Code.BROADCAST_SHAPE, shape, self.name, divergence), candidates=((Code.BROADCAST_SHAPE.value, shape),))
        match = variant_search.nearest(self.pack, self.name, call, found, expected, rtol, self._reader(expected, call), self.lecture, source)
        if match is not None:
            return self._named_variant(match, divergence, first_epoch(found, expected, rtol))
        fitted = self._fitted_rate(call, found, expected, rtol) or self._varying_rate(call, found, expected, rtol)
        if fitted is not None:
            return replace(fitted, divergence=divergence)
        related = relations.after_variants(found, expected, rtol, variant_search.rows(call))
        if related is not None:
            return _verdict(related[0], related[1], self.name, divergence)
        if self.spec.mismatch is not None:
            params = self.pack.helper(self.spec.mismatch.params)(*call.args) if self.spec.mismatch.params else {}
            return _verdict(self.spec.mismatch.code, {**params, **_choice_params(found, expected)}, self.name, divergence)
        return Verdict(False, Code.WRONG_VALUE, wrong_value(self, divergence, found, expected), divergence)

    def _reader(self, expected: Reading, call: Optional[Call] = None) -> Callable[[CallOutcome], Optional[Reading]]:
        def read(outcome: CallOutcome) -> Optional[Reading]:
            found = self.read(outcome, expected, call)
            return None if isinstance(found, values.Problem) else found

        return read

    # -- histories of the wrong length -----------------------------------------

    def _lengths(self, call: Call, found: Reading, expected: Reading, rtol: float) -> Verdict:
        epochs_at = self.positions(Role.EPOCHS)
        epochs = int(call.args[epochs_at[0]]) if epochs_at else None
        stepped = [(f, e) for f, e in zip(found.series, expected.series) if f.stepped]
        # the initial value missing: a history one short, equal to the reference's from its second entry
        for f, e in stepped:
            if f.offset == 0 and f.values.shape[0] == e.values.shape[0] - 1 and compare.all_close(f.values, e.values[1:], rtol):
                return _misaligned("misaligned.missing-initial", {"name": f.name, "found": f.values.shape[0], "expected": e.values.shape[0]})
        if epochs is not None and stepped:
            ran = _epochs_run(stepped)
            if ran is not None and ran != epochs and ran >= 0:
                other = self.rerun(call, **{self.spec.args[epochs_at[0]].name: ran})
                if other is not None:
                    longer = self.read(other)
                    if isinstance(longer, Reading) and _same_shapes(found, longer) and _close(found, longer, rtol):
                        return fail(Code.WRONG_EPOCHS, epochs=epochs, found=ran, name=self.spec.args[epochs_at[0]].name)
        lengths = ", ".join(f"{f.name}: {f.values.shape[0]}" for f, _ in stepped)
        wanted = ", ".join(f"{e.name}: {e.values.shape[0]}" for _, e in stepped)
        return _misaligned("misaligned.lengths", {"found": lengths, "expected": wanted, "epochs": epochs if epochs is not None else "?"})

    def _shifted(self, call: Call, found: Reading, expected: Reading, rtol: float) -> Optional[Verdict]:
        """Losses recorded after the update: the reference's of epochs + 1, from the second on."""
        epochs_at = self.positions(Role.EPOCHS)
        if not epochs_at:
            return None
        name = self.spec.args[epochs_at[0]].name
        other = self.rerun(call, **{name: int(call.args[epochs_at[0]]) + 1})
        if other is None:
            return None
        longer = self.read(other)
        if not isinstance(longer, Reading):
            return None
        shifted_any = False
        for f, e, long in zip(found.series, expected.series, longer.series):
            if f.stepped and f.offset == 1 and compare.all_close(f.values, long.values[1:], rtol) and not compare.all_close(f.values, e.values, rtol):
                shifted_any = True
            elif not compare.all_close(f.values, e.values, rtol):
                return None
        return _misaligned("misaligned.loss-after-update", {}) if shifted_any else None

    def _fitted_rate(self, call: Call, found: Reading, expected: Reading, rtol: float) -> Optional[Verdict]:
        """A learning rate other than the argument, fitted from the first update (and confirmed on the whole run)."""
        lr_at = self.positions(Role.LEARNING_RATE)
        path = next((i for i, s in enumerate(expected.series) if s.stepped and s.values.shape[1] > 1 and s.values.shape[0] > 1), None)
        if not lr_at or path is None:
            return None
        name = self.spec.args[lr_at[0]].name
        unit = self.rerun(call, **{name: 1.0})
        if unit is None:
            return None
        unit_read = self.read(unit)
        if not isinstance(unit_read, Reading):
            return None
        step_unit = unit_read.series[path].values[1] - unit_read.series[path].values[0]
        step_found = found.series[path].values[1] - found.series[path].values[0]
        denominator = float(step_unit @ step_unit)
        if denominator == 0 or not bool(torch.isfinite(step_found).all()):
            return None
        fitted = float(step_found @ step_unit) / denominator
        lr = float(call.args[lr_at[0]])
        if fitted <= 0 or abs(fitted / lr - 1) < 1e-3:
            return None
        fitted = float(f"{fitted:.4g}")
        other = self.rerun(call, **{name: fitted})
        if other is None:
            return None
        again = self.read(other)
        if isinstance(again, Reading) and variant_search.distance(found, again, rtol * variant_search.MATCH_FACTOR) <= 1.0:
            return fail(Code.WRONG_LEARNING_RATE, name=name, expected=lr, found=fitted)
        return None

    def _varying_rate(self, call: Call, found: Reading, expected: Reading, rtol: float) -> Optional[Verdict]:
        """Every update a gradient step, but with a learning rate that changes from epoch to epoch.

        For each epoch the reference makes one step of rate 1 from where the
        student's path is; the student's step must be a positive multiple of it.
        """
        lr_at, epochs_at, position = self.positions(Role.LEARNING_RATE), self.positions(Role.EPOCHS), self.parameter
        path = next((i for i, s in enumerate(expected.series) if s.stepped and s.values.shape[1] > 1 and s.values.shape[0] > 2), None)
        if not lr_at or not epochs_at or position is None or path is None or not isinstance(call.args[position], torch.Tensor):
            return None
        weights = found.series[path].values
        start = call.args[position]
        if weights.shape[1] != start.numel() or not bool(torch.isfinite(weights).all()):
            return None
        rates = []
        scale = float(weights.abs().max()) or 1.0
        tolerance = rtol * variant_search.MATCH_FACTOR
        for t in range(weights.shape[0] - 1):
            if float((weights[t + 1] - weights[t]).abs().max()) <= tolerance * scale:
                continue  # converged: a step this small says nothing of the rate
            args = list(call.args)
            args[position] = weights[t].reshape(start.shape).to(start.dtype).requires_grad_(start.requires_grad)
            args[lr_at[0]] = 1.0
            args[epochs_at[0]] = 1
            unit = self.reference(call.with_args(args))
            read = self.read(unit) if unit.ok else None
            if not isinstance(read, Reading):
                return None
            direction = read.series[path].values[1] - read.series[path].values[0]
            step = weights[t + 1] - weights[t]
            norm = float(direction @ direction)
            if norm == 0:
                return None
            rate = float(step @ direction) / norm
            if rate <= 0 or not compare.all_close(step.reshape(1, -1), (rate * direction).reshape(1, -1), tolerance, atol=tolerance * scale):
                return None
            rates.append(rate)
        lr = float(call.args[lr_at[0]])
        if not rates or all(abs(r / lr - 1) < 1e-3 for r in rates):
            return None
        changed = next((i + 1 for i, r in enumerate(rates) if abs(r / rates[0] - 1) > 1e-3), None)
        name = self.spec.args[lr_at[0]].name
        found_text = f"{min(rates):.4g} to {max(rates):.4g}" if changed else f"{rates[0]:.4g}"
        verdict = fail(Code.WRONG_LEARNING_RATE, name=name, expected=lr, found=rates[0], rates=found_text)
        if changed is not None:
            verdict = fail(Code.WRONG_LEARNING_RATE, name=name, expected=lr, found=rates[0], rates=found_text, explanation="diagnosis.wrong-learning-rate.varies", epoch=changed + 1)
        return verdict

    def _broadcast(self, call: Call, found: Reading, rtol: float) -> bool:
        """The values of the reference given a (n,) data tensor where it has (n, 1): the (n, n) broadcast."""
        for position in self.positions(Role.DATA):
            value = call.args[position]
            if isinstance(value, torch.Tensor) and value.dim() == 2 and value.shape[1] == 1 and value.shape[0] > 1:
                args = list(call.args)
                args[position] = value.reshape(-1)
                other = self.reference(call.with_args(args))
                if other.ok:
                    again = self.read(other)
                    if isinstance(again, Reading) and variant_search.distance(found, again, rtol * variant_search.MATCH_FACTOR) <= 1.0:
                        return True
        return False

    # -- divergent learning rates ----------------------------------------------

    def judge_divergent(self, call: Call, outcome: CallOutcome, source: str = "") -> Verdict:
        """A run whose learning rate diverges: every epoch still recorded, values diverging as the reference's."""
        problem = outcome_problem(outcome, self.name)
        if problem is not None:
            return problem
        expected = self.read_reference(call)
        found = self.read(outcome, expected, call)
        if isinstance(found, values.Problem):
            return problem_verdict(found, self.name)
        epochs_at = self.positions(Role.EPOCHS)
        if epochs_at and not _same_shapes(found, expected):
            losses = next((f for f in found.series if f.stepped and f.offset == 1), None)
            if losses is not None and losses.values.shape[0] < int(call.args[epochs_at[0]]):
                # e.g. `if torch.isnan(loss): break`: the loop must still run every epoch
                return fail(Code.WRONG_EPOCHS, epochs=int(call.args[epochs_at[0]]), found=int(losses.values.shape[0]), name=self.spec.args[epochs_at[0]].name)
        rtol = self.rtol(call)
        if _same_shapes(found, expected) and all(diverged_close(f.values, e.values, rtol) for f, e in zip(found.series, expected.series)):
            return PASS
        verdict = self.judge(call, outcome, source=source)
        if not verdict.passed:
            return verdict
        divergence = first_divergence(found, expected, rtol)
        return Verdict(False, Code.WRONG_VALUE, wrong_value(self, divergence, found, expected), divergence)

    # -- figures -----------------------------------------------------------------

    def trajectory(self, call: Call, found: Reading, expected: Reading) -> Optional[Trajectory]:
        """What the report draws: the loss per epoch and the path of a 2-number parameter, student beside reference."""
        losses = next(((f, e) for f, e in zip(found.series, expected.series) if f.stepped and f.values.shape[1] == 1), None)
        path = next(((f, e) for f, e in zip(found.series, expected.series) if f.stepped and f.values.shape[1] == 2), None)
        if losses is None and path is None:
            return None
        figure = self.pack.helpers.get("figure_data")
        data = figure(*call.args) if callable(figure) else {}
        return Trajectory(
            x=tuple(float(v) for v in data.get("x", ())),
            y=tuple(float(v) for v in data.get("y", ())),
            loss_student=values.finite_or_none(losses[0].values.reshape(-1)) if losses else (),
            loss_reference=values.finite_or_none(losses[1].values.reshape(-1)) if losses else (),
            w_student=_pairs(path[0].values) if path else (),
            w_reference=_pairs(path[1].values) if path else (),
            true_w=data.get("true_w"),
            loss_kind=str(data.get("loss", "sse")),
        )


def _pairs(t: torch.Tensor) -> tuple[tuple[Optional[float], Optional[float]], ...]:
    return tuple(zip(values.finite_or_none(t[:, 0]), values.finite_or_none(t[:, 1])))


# --------------------------------------------------------------------------
# comparing readings


def _renamed(found: Reading, expected: Reading) -> Reading:
    """A returned module read with the reference's parameter names (layers named in an OrderedDict)."""
    if found.module is None or expected.module is None:
        return found
    module = relations.aligned(found.module, expected.module)
    if module is found.module:
        return found
    prefix = found.series[0].name.split(".")[0].split("[")[0] if found.series else "net"
    others = tuple(s for s in found.series if not s.name.startswith(prefix))
    return replace(found, series=tuple(contract.module_series(module, prefix)) + others, module=module)


def _same_shapes(a: Reading, b: Reading) -> bool:
    return len(a.series) == len(b.series) and all(x.values.shape == y.values.shape for x, y in zip(a.series, b.series))


def _close(a: Reading, b: Reading, rtol: float) -> bool:
    if a.choice is not None or b.choice is not None:
        return a.choice == b.choice
    return all(compare.all_close(x.values, y.values, rtol) for x, y in zip(a.series, b.series))


def _epochs_run(stepped: Sequence[tuple[Series, Series]]) -> Optional[int]:
    """How many epochs the student's histories say ran (losses: one each; a path: one more)."""
    counts = set()
    for f, _ in stepped:
        counts.add(f.values.shape[0] if f.offset == 1 else f.values.shape[0] - 1)
    return counts.pop() if len(counts) == 1 else None


def first_divergence(found: Reading, expected: Reading, rtol: float) -> Optional[Divergence]:
    """The earliest step (or entry) where a series leaves the reference."""
    candidates = []
    for f, e in zip(found.series, expected.series):
        k = min(f.values.shape[0], e.values.shape[0])
        if k == 0 or f.values.shape[1] != e.values.shape[1]:
            continue
        d = compare.first_divergence(f.values[:k], e.values[:k], list(f.labels), rtol, f.name, step_offset=f.offset if f.stepped else 0)
        if d is not None:
            if not f.stepped:
                d = replace(d, stepped=False, rows=tuple(replace(r, step=0) for r in d.rows))
            candidates.append((d.step if f.stepped else 0, d))
    return min(candidates, key=lambda c: c[0])[1] if candidates else None


def first_epoch(found: Reading, expected: Reading, rtol: float) -> Optional[int]:
    """The first epoch at which a per-epoch series (a history) leaves the reference's; None without one."""
    steps = []
    for f, e in zip(found.series, expected.series):
        k = min(f.values.shape[0], e.values.shape[0])
        if not f.stepped or k == 0 or f.values.shape[1] != e.values.shape[1]:
            continue
        d = compare.first_divergence(f.values[:k], e.values[:k], list(f.labels), rtol, f.name, step_offset=f.offset)
        if d is not None:
            steps.append(d.step)
    return min(steps) if steps else None


def _choice_params(found: Reading, expected: Reading) -> dict[str, Any]:
    if found.choice is None:
        return {}
    return {"found": found.choice, "expected": expected.choice}


# --------------------------------------------------------------------------
# divergent runs: inf and nan agree with inf and nan

# Past this magnitude a value counts as diverged (float32 overflows at 3.4e38):
# near the overflow, a correct solution written another way may reach inf an
# epoch earlier or later than the reference, so a band of BAND around it agrees.
DIVERGED = 1e30
BAND = 1e3


def _diverged(t: torch.Tensor, threshold: float) -> torch.Tensor:
    return ~torch.isfinite(t) | (t.abs() > threshold)


def diverged_close(student: torch.Tensor, reference: torch.Tensor, rtol: float) -> bool:
    """Agreement of two runs that may overflow: close where both are finite, diverged together elsewhere."""
    if student.shape != reference.shape:
        return False
    ref_big = _diverged(reference, DIVERGED)
    ref_large = _diverged(reference, DIVERGED / BAND)
    stu_big = _diverged(student, DIVERGED)
    stu_large = _diverged(student, DIVERGED / BAND)
    # Wherever the reference is still of normal size the student must be close to it:
    # a huge constant must not pass for a divergence the reference has not reached.
    normal = ~ref_large
    finite_ref = torch.where(ref_large, torch.zeros_like(reference), reference)
    scale_ref = finite_ref.abs().max() if finite_ref.numel() else torch.tensor(1.0)
    atol = rtol * float(scale_ref)
    near = (student - reference).abs() <= atol + rtol * reference.abs()
    ok = torch.where(normal, near, torch.ones_like(near))
    ok = ok & ~(ref_big & ~stu_large) & ~(stu_big & ~ref_large)
    return bool(ok.all())


# --------------------------------------------------------------------------
# verdicts


def _verdict(code: Union[Code, str], params: dict[str, Any], function: str, divergence: Optional[Divergence]) -> Verdict:
    return Verdict(False, str(code), Message(f"diagnosis.{code}.why", {"function": function, **params}), divergence)


def _misaligned(key: str, params: dict[str, Any]) -> Verdict:
    return fail(Code.HISTORY_MISALIGNED, detail={"key": key, "params": params}, **params)


def _change(variant: Any) -> dict[str, Any]:
    """The variant's change, as a catalogue sentence rendered in the reader's language."""
    site = variant.site
    return {"key": f"mutation.{variant.operator}", "params": {"line": site.line, "changed": site.changed, "before": site.before, "after": site.after, **dict(variant.params)}}


def wrong_value(judge: Judge, divergence: Optional[Divergence], found: Reading, expected: Reading) -> Message:
    """Nothing explains the difference: say where it is, in the function's own terms."""
    training = judge.parameter is not None
    advice = {"key": "advice.training" if training else "advice.formula", "params": {"function": judge.name}}
    if found.choice is not None:
        return Message("diagnosis.wrong-value.why", {"function": judge.name, "what": {"key": "what.value", "params": {}}, "found": found.choice, "expected": expected.choice, "advice": advice})
    if divergence is None:
        return Message("diagnosis.wrong-value.why", {"function": judge.name, "what": {"key": "what.value", "params": {}}, "found": "?", "expected": "?", "advice": advice})
    return Message(
        "diagnosis.wrong-value.why",
        {
            "function": judge.name,
            "what": where(divergence),
            "found": _fmt(divergence.student),
            "expected": _fmt(divergence.reference),
            "expected_value": divergence.reference,
            "advice": advice,
        },
    )


def where(d: Divergence) -> dict[str, Any]:
    """Where a divergence is, as a catalogue sentence: the loss at epoch 3, w1 after epoch 2, entry [4, 0]."""
    if d.label == "loss":
        return {"key": "what.loss", "params": {"epoch": d.step}}
    if d.series.endswith("after the call"):
        return {"key": "what.after", "params": {"label": d.label}}
    if d.step == 0 and d.label and not d.label.startswith("["):
        return {"key": "what.w-initial", "params": {"label": d.label}}
    if not d.stepped:
        return {"key": "what.entry", "params": {"label": d.label or d.series}}
    return {"key": "what.w", "params": {"label": d.label, "epoch": d.step}}


def _fmt(value: Optional[float]) -> str:
    return "nan/inf" if value is None else f"{value:.6g}"


def _with(verdict: Verdict, trajectory: Optional[Trajectory]) -> Verdict:
    return replace(verdict, trajectory=trajectory) if trajectory is not None else verdict


def _module_of(outcome: CallOutcome) -> Optional[ModuleValue]:
    value = outcome.returned
    return value if isinstance(value, ModuleValue) else None


def _tensor(value: Any) -> Optional[TensorValue]:
    return value if isinstance(value, TensorValue) else None
