"""Exercise 4: the PyTorch pattern (make_net, train_net with nn.Linear, MSELoss, optim.SGD)."""
from __future__ import annotations

from typing import Any

import torch
from hypothesis import strategies as st

from grader.diagnosis import compare, mutants, values
from grader.checks.cases import LECTURE_WHAT, TrainCase, call_code, lecture_case, tensor_arg, tensor_code, train_cases
from grader.checks import PASS, Check, Context, Verdict, fail, outcome_problem, problem_verdict, review, source, title
from grader.checks.common import in_place_check, training_checks
from grader.checks.training import TrainingSpec
from grader.execution.session import CallOutcome
from grader.worker.protocol import ModuleValue, linear_spec
from grader.reference import exercise4 as ref

FUNCTIONS = ["make_net", "train_net"]


# --------------------------------------------------------------------------
# make_net


def judge_net(what: torch.Tensor, outcome: CallOutcome) -> Verdict:
    problem = outcome_problem(outcome, "make_net")
    if problem is not None:
        return problem
    net = outcome.returned
    if not isinstance(net, ModuleValue):
        return problem_verdict(values.Problem("wrong-type", values.describe(net), "torch.nn.Linear(2, 1, bias=False)", "type.not-a-net"), "make_net")
    if net.type != "Linear":
        return fail("not-using-torch-api", missing="torch.nn.Linear")
    if "bias" in net.params:
        return fail("bias-enabled")
    weight = net.params.get("weight")
    if weight is None:
        return problem_verdict(values.Problem("wrong-type", values.describe(net), "a weight", "type.not-a-net"), "make_net")
    if weight.shape == (2, 1):
        return fail("weight-not-transposed", found=values.shape_text(weight.shape))
    found = values.tensor_of_shape(weight, (1, 2))
    if isinstance(found, values.Problem):
        return problem_verdict(found, "make_net")
    expected = what.detach().to(torch.float64).T
    if compare.all_close(found, expected, compare.rtol_for(str(what.dtype).replace("torch.", ""))):
        return PASS
    if compare.all_close(found, expected.flip(1), 1e-3):
        return fail("weight-not-transposed", found=values.shape_text(weight.shape))
    return Verdict(
        False,
        "wrong-value",
        _weight_message(found, expected),
    )


def _weight_message(found: torch.Tensor, expected: torch.Tensor) -> Any:
    from grader.results import Message

    return Message(
        "diagnosis.wrong-value.why",
        {
            "function": "make_net",
            "what": "net.weight",
            "what_ko": "net.weight",
            "found": str([round(v, 6) for v in found.reshape(-1).tolist()]),
            "expected": str([round(v, 6) for v in expected.reshape(-1).tolist()]),
        },
    )


def _returned(outcome: CallOutcome) -> object:
    """What a call returned; something not None when it raised (its checks say why)."""
    return outcome.returned if outcome.ok else ""


def _make_net_checks() -> list[Check]:
    lecture_what = torch.tensor([[LECTURE_WHAT[0]], [LECTURE_WHAT[1]]])
    whats = st.tuples(st.integers(-100, 100), st.integers(-100, 100), st.sampled_from(["float32", "float64"])).map(
        lambda t: torch.tensor([[t[0] / 10], [t[1] / 10]], dtype=getattr(torch, t[2]))
    )

    def code(what: torch.Tensor) -> str:
        # The example prints the weight it built beside the expected one (What transposed).
        call = call_code("make_net", [("What", tensor_code(what, True))])
        expected = [[float(f"{v:.6g}") for v in what.detach().to(torch.float64).reshape(-1).tolist()]]
        return f'{call.rsplit(chr(10), 1)[0]}\nnet = {call.rsplit(chr(10), 1)[1]}\nprint("net.weight: yours", net.weight.data.tolist(), "expected", {expected!r}, "bias:", net.bias)'

    def lecture(ctx: Context) -> Verdict:
        verdict = judge_net(lecture_what, ctx.call("make_net", [tensor_arg(lecture_what, True)]))
        from dataclasses import replace

        return verdict if verdict.passed else replace(verdict, example=code(lecture_what))

    def generated(ctx: Context) -> Verdict:
        return ctx.search(whats, lambda what: judge_net(what, ctx.call("make_net", [tensor_arg(what, True)])), code)

    return [
        Check("make_net.lecture", "make_net", title("structure", "make_net"), 2, lecture, attempt=lambda ctx: review.none_or_empty("make_net", _returned(ctx.call("make_net", [tensor_arg(lecture_what, True)])))),
        Check("make_net.generated", "make_net", title("generated", "make_net"), 1, generated),
    ]


# --------------------------------------------------------------------------
# train_net


def net_args(case: TrainCase) -> list[Any]:
    weight = case.What(False).T.tolist()
    return [tensor_arg(case.data.X), tensor_arg(case.data.y), linear_spec(weight, case.data.dtype), case.alpha, case.epochs]


def net_reference(case: TrainCase) -> mutants.Run:
    net = torch.nn.Linear(2, 1, bias=False).to(case.data.X.dtype)
    with torch.no_grad():
        net.weight.copy_(case.What(False).T)
    losses = ref.train_net(case.data.X.clone(), case.data.y.clone(), net, case.alpha, case.epochs)
    weights = mutants.simulate(case, mutants.Loop(loss="mse")).weights.clone()
    weights[-1] = net.weight.detach().reshape(-1).to(torch.float64)
    return mutants.Run(losses=torch.tensor(losses, dtype=torch.float64).reshape(-1, 1), weights=weights)


def net_code(case: TrainCase) -> str:
    """The failing call, with the net it was given built first."""
    data = case.data
    if data.lecture:
        X, y = "X", "y"
    else:
        X, y = tensor_code(data.X), tensor_code(data.y)
    call = call_code("train_net", [("X", X), ("y", y), ("net", "net"), ("lr", repr(case.alpha)), ("epochs", str(case.epochs))], data)
    setup = f"net = torch.nn.Linear(2, 1, bias=False)\nnet.weight.data = {tensor_code(case.What(False).T)}\n"
    return call.replace("from submission", setup + "from submission", 1)


def _api_check(case: TrainCase) -> Check:
    """The lecture's pattern, read from the source (the grader's copy, not the worker's word).

    What the run observed of the API can only add to what is missing: a spy
    event the student forged never earns the points, and a name written in
    dead code does not either when the run shows the API was never called.
    """

    def run(ctx: Context) -> Verdict:
        outcome = ctx.call("train_net", net_args(case))
        problem = outcome_problem(outcome, "train_net")
        if problem is not None:
            return problem
        missing = source.missing_api(ctx.source, "train_net") if ctx.source else None
        names = {e if isinstance(e, str) else e[0] for e in outcome.events}
        observed = [label for label, event in (("torch.nn.MSELoss", "mse_loss"), ("torch.optim.SGD", "sgd"), ("optimizr.step()", "step")) if event not in names]
        if missing is None:
            missing = observed
        elif names:
            # the run reported what it called: anything it did not call is missing too
            missing = [label for label, _ in source.API if label in missing or label in observed]
        if missing:
            return fail("not-using-torch-api", missing=", ".join(missing))
        return PASS

    return Check("train_net.torch-api", "train_net", title("torch-api", "train_net"), 2, run)


def checks() -> list[Check]:
    lecture = lecture_case("mse")
    spec = TrainingSpec("train_net", "mse", "lr", "losses", net_reference, optimizer=True)
    found = _make_net_checks()
    found += training_checks(spec, lecture, train_cases("mse"), (2, 2), args=net_args, code=net_code)
    found.append(_api_check(lecture))
    found.append(in_place_check("train_net", lecture, net_args, 1, argument="net", code=net_code))
    return found
