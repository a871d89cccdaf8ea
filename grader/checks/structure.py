"""Structure a pack requires: the optimizer and loss it names, used on what is trained; no Python loop.

An API requirement is met only by what the run shows happening to the
objects being trained: an optimizer of the required class built over the
parameter's own parameters with the learning-rate argument, stepped once
per epoch, and a loss of the required kind computed from the parameter's
output.  No observation means "not met"; naming the classes in the source
never is.  What the worker reports is a claim: it earns the point only
beside values the grader checked (``grader.checks.review``), and the
source (read here) can only add what is missing.  A loop is decided by the
source (every function the graded one can reach, however it is wrapped)
and by the lines the probe call ran.
"""
from __future__ import annotations

from typing import Any, Optional

from grader.checks import PASS, Context, Verdict, fail, outcome_problem, source
from grader.checks.calling import run
from grader.pack import spec as specs
from grader.vocabulary import Code, Role

# The functional form each loss class computes with (what the worker's spy sees).
FUNCTIONAL = {
    "MSELoss": "mse_loss",
    "BCELoss": "binary_cross_entropy",
    "BCEWithLogitsLoss": "binary_cross_entropy_with_logits",
    "L1Loss": "l1_loss",
    "CrossEntropyLoss": "cross_entropy",
    "NLLLoss": "nll_loss",
    "HuberLoss": "huber_loss",
    "SmoothL1Loss": "smooth_l1_loss",
}


def uses_text(requires: specs.Requires) -> str:
    return ", ".join(f"`{name}`" for name in (requires.loss, requires.optimizer) if name)


def api(ctx: Context, judge: Any) -> Verdict:

    call = judge.lecture
    outcome = run(ctx, call)
    problem = outcome_problem(outcome, judge.name)
    if problem is not None:
        return problem
    requires: specs.Requires = judge.spec.requires
    events = [e for e in outcome.events if isinstance(e, tuple) and len(e) == 2 and isinstance(e[1], dict)]
    missing: list[str] = []
    details: list[dict[str, Any]] = []
    epochs = _epochs(judge, call)
    if requires.optimizer:
        wanted = requires.optimizer.rsplit(".", 1)[-1]
        built = [e[1] for e in events if e[0] == "optimizer"]
        # torch's own class (not one that takes its name), with its own step(), over the parameter itself
        mine = [b for b in built if b.get("class") == wanted and str(b.get("module", "")).startswith("torch.optim") and b.get("over_parameter") is True and b.get("genuine") is True]
        lr_at = judge.positions(Role.LEARNING_RATE)
        if mine and lr_at:
            lr = float(call.args[lr_at[0]])
            mine = [b for b in mine if isinstance(b.get("lr"), (int, float)) and abs(float(b["lr"]) - lr) <= 1e-9 * max(1.0, abs(lr))]
            if not mine and any(b.get("class") == wanted for b in built):
                details.append({"key": "api.lr", "params": {"optimizer": requires.optimizer, "name": judge.spec.args[lr_at[0]].name}})
        other = next((b for b in built if b.get("class") != wanted), None)
        if other is not None and not mine:
            details.append({"key": "api.other-optimizer", "params": {"found": f"torch.optim.{other.get('class')}", "expected": requires.optimizer, **_line_of(ctx, judge, str(other.get("class")))}})
        steps = [e for e in events if e[0] == "step" and any(e[1].get("id") == b.get("id") for b in mine)]
        if not mine:
            missing.append(requires.optimizer)
        elif epochs is not None and len(steps) != epochs:
            missing.append(f"{requires.optimizer}.step()")
            details.append({"key": "api.steps", "params": {"found": len(steps), "epochs": epochs}})
        elif judge.parameter is not None and not _steps_train(judge, call, outcome, [s[1] for s in steps]):
            missing.append(f"{requires.optimizer}.step()")
            details.append({"key": "api.steps-train", "params": {"optimizer": requires.optimizer, "parameter": judge.spec.args[judge.parameter].name}})
    if requires.loss:
        wanted_loss = requires.loss.rsplit(".", 1)[-1]
        functional = FUNCTIONAL.get(wanted_loss, wanted_loss)
        import torch

        # A net is trained: the loss is computed from what the net returns, not from its weights alone.
        of_net = judge.parameter is not None and isinstance(call.args[judge.parameter], torch.nn.Module)
        computed = [e[1] for e in events if e[0] == "loss" and e[1].get("name") == functional and e[1].get("from_parameter") is True and (e[1].get("from_output") is True or not of_net)]
        # and the gradients come from it: backward() runs on that loss, once per epoch
        used = [e for e in events if e[0] == "backward" and e[1].get("loss") == functional and (e[1].get("from_output") is True or not of_net)]
        if not computed or len(used) < max(1, epochs or 1):
            missing.append(requires.loss)
            if of_net and not computed and any(e[0] == "loss" and e[1].get("name") == functional and e[1].get("from_parameter") is True for e in events):
                details.append({"key": "api.loss-from-output", "params": {"loss": requires.loss, "net": judge.spec.args[judge.parameter].name}})
    if missing:
        # The first finding, in words (what was found, against what was asked); "" where the
        # run showed nothing at all of the requirement.
        return fail(Code.NOT_USING_TORCH_API, missing=", ".join(missing), function=judge.name, detail=details[0] if details else "")
    return PASS


# The worker records parameter values around each step up to this many (grader.worker.runtime).
_TRACKED = 4096


def _steps_train(judge: Any, call: Any, outcome: Any, steps: list[dict[str, Any]]) -> bool:
    """Whether the optimizer's steps did the training: the values around them chain from what
    the grader placed to what it read back after the call, nothing moving the parameter between
    them (a step that moves nothing, the gradient cleared before it, is another mistake's).

    The worker reports the values around each step; the two ends are the
    grader's own (placed, and read from the arena), so a report that claims
    steps which did not happen has to compute the training to fit both ends.
    """
    position = judge.parameter
    start = _flat_argument(call.args[position])
    observed = outcome.after[position] if position < len(outcome.after) else None
    end = _flat_observed(observed.get("value") if isinstance(observed, dict) else None)
    if start is None or end is None:
        return False
    if len(start) > _TRACKED:
        return True  # too large to record: the count of steps is all there is
    chain = [start]
    for step in steps:
        before, after = step.get("before"), step.get("after")
        if not (isinstance(before, (list, tuple)) and isinstance(after, (list, tuple)) and len(before) == len(after) == len(start)):
            return False
        if not _same(chain[-1], before):
            return False  # moved between steps: by something other than the optimizer
        if not _step_follows_gradient(step, before, after):
            return False  # moved within the step by something other than the optimizer's rule
        chain.append(list(after))
    return _same(chain[-1], end)


def _step_follows_gradient(step: dict[str, Any], before: Any, after: Any) -> bool:
    """Whether a step moved the parameter as the optimizer does, from the gradient it found.

    Code of the caller's can run inside ``step()``: a closure passed to it, or
    a hook on the optimizer; either makes the step not the optimizer's.  The
    gradient it works from must be the one the required loss's ``backward()``
    left.  No torch optimizer moves a parameter that has no gradient, and
    torch's plain SGD moves each number by exactly ``-lr * grad``; a step that
    moved otherwise was moved by other code.
    """
    import math

    from grader.worker.protocol import ProtocolError, number_in

    grads = step.get("grad")
    if step.get("closure") is not False or step.get("hooks") is not False or not isinstance(grads, (list, tuple)) or len(grads) != len(before):
        return False
    if step.get("grad_from_loss") is not True:
        return False  # a gradient written by hand, not the one the loss's backward() left
    rate = step.get("sgd_lr")
    try:
        lr = number_in(rate) if rate is not None else None
    except ProtocolError:
        return False
    for b, a, g in zip(before, after, grads):
        if g is None:
            if not _equal(b, a):
                return False
            continue
        if lr is None:
            continue
        try:
            u, v, d = number_in(b), number_in(a), number_in(g)
        except ProtocolError:
            return False
        expected = u - lr * d
        if not all(map(math.isfinite, (u, v, expected))):
            continue  # a diverging run: its values say nothing of who moved them
        # float32 arithmetic on either side of the subtraction: a thousandth of the larger term
        if abs(v - expected) > 1e-3 * max(abs(u), abs(lr * d)) + 1e-12:
            return False
    return True


def _same(a: Any, b: Any) -> bool:
    return len(a) == len(b) and all(_equal(x, y) for x, y in zip(a, b))


def _equal(x: Any, y: Any) -> bool:
    import math

    from grader.worker.protocol import ProtocolError, number_in

    try:
        u, v = number_in(x), number_in(y)
    except ProtocolError:
        return False
    if math.isnan(u) or math.isnan(v):
        return math.isnan(u) and math.isnan(v)
    return u == v or abs(u - v) <= 1e-6 * max(1.0, abs(v))


def _flat_argument(value: Any) -> Optional[list[float]]:
    import torch

    if isinstance(value, torch.nn.Module):
        return [float(v) for p in value.parameters() for v in p.detach().reshape(-1).tolist()]
    if isinstance(value, torch.Tensor):
        return [float(v) for v in value.detach().reshape(-1).tolist()]
    return None


def _flat_observed(value: Any) -> Optional[list[float]]:
    from grader.worker.protocol import ModuleValue, TensorValue

    if isinstance(value, ModuleValue):
        return [float(v) for p in value.params.values() for v in p.data]
    if isinstance(value, TensorValue):
        return [float(v) for v in value.data]
    return None


def _epochs(judge: Any, call: Any) -> Optional[int]:
    at = judge.positions(Role.EPOCHS)
    return int(call.args[at[0]]) if at else None


def _line_of(ctx: Context, judge: Any, name: str) -> dict[str, Any]:
    finding = source.first_use(ctx.source, judge.name, name) if ctx.source else None
    return {"line": finding.line if finding is not None else "?"}


def no_loop(ctx: Context, judge: Any) -> Verdict:
    from grader.pack import calls as calls_

    probe = judge.spec.requires.no_loop
    call = calls_.evaluate(judge.pack, judge.name, specs.Call(call=probe.call, setup=probe.setup), lecture=True)
    outcome = run(ctx, call, trace=True)
    problem = outcome_problem(outcome, judge.name)
    if problem is not None:
        return problem
    lines = outcome.lines
    if lines is not None and lines <= 0:
        # A call that ran the student's function ran at least its return line:
        # a count of zero means the tracer was turned off or replaced.
        return fail(Code.TAMPERING, detail={"key": "tampering.trace", "params": {"function": judge.name}})
    loops = source.python_loops(ctx.source, judge.name) if ctx.source else []
    if (lines is not None and lines >= probe.lines) or loops:
        return fail(Code.PYTHON_LOOP, lines=lines if lines is not None else "?", line=loops[0] if loops else "?", function=judge.name)
    return PASS
