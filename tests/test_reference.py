"""The lecture packs' references reproduce the lecture's printed numbers, and everything derived from them agrees."""
from pathlib import Path

import pytest
import torch

from grader.authoring import stubs
from grader.diagnosis import mutate, variants
from grader.pack import calls, run
from grader.registry import EXERCISES

REL = 1e-4


def close(found, expected, rel=REL):
    return torch.allclose(torch.tensor(found, dtype=torch.float64), torch.tensor(expected, dtype=torch.float64), rtol=rel, atol=0)


def lecture(exercise: str, function: str):
    pack = EXERCISES[exercise].pack()
    return run.outcome(pack.reference_function(function), calls.lecture(pack, function))


def test_reference_reproduces_the_lecture() -> None:
    step = lecture("exercise1", "gradient_step")
    assert close([step.returned.data[0]], [8587.6875])
    assert close(step.after[2]["value"].data, [-3.6577, 8.8111])
    sse = lecture("exercise2", "train").returned
    assert close(sse[1][-1], [2.4290, 4.0144])
    assert sse[0][-1] == pytest.approx(26.41, abs=0.005)
    mse = lecture("exercise3", "train_mse").returned
    assert close(mse[1], sse[1])
    net = lecture("exercise4", "train_net")
    assert close(net.after[2]["value"].params["weight"].data, [2.4290, 4.0144])
    assert close(lecture("exercise3", "closed_form").returned.data, [2.4459, 4.0043])
    assert lecture("exercise5", "classify_alpha").returned == "divergent"


def test_first_gradient_is_the_lectures() -> None:
    pack = EXERCISES["exercise1"].pack()
    call = calls.lecture(pack, "gradient_step")
    What = call.arg("What").detach().clone().requires_grad_(True)
    loss = pack.reference_function("sse_loss")(pack.reference_function("predict")(call.arg("X"), What), call.arg("y"))
    loss.backward()
    assert close(What.grad.reshape(-1).tolist(), [-1342.2524, 1188.9305])


def test_sixth_exercise_trains_as_its_contract_says() -> None:
    pack = EXERCISES.add(str(Path(__file__).resolve().parent.parent / "examples" / "packs" / "exercise6")).pack()
    losses = run.outcome(pack.reference_function("train_logistic"), calls.lecture(pack, "train_logistic")).returned
    assert len(losses) == 100 and losses[-1] < losses[0]
    # make_net(-0.8, -0.3): bias -0.8, weight -0.3 (the contract's order), on the stub's data
    assert losses[0] == pytest.approx(0.75446, abs=1e-4)


def test_stubs_are_generated_from_the_references() -> None:
    folder = Path(__file__).resolve().parent.parent / "exercises"
    for name, text in stubs.expected_stubs().items():
        assert (folder / name).read_text(encoding="utf-8") == text, f"exercises/{name} is stale: run python -m grader.authoring.stubs --write"
        assert "NotImplementedError" in text and "BEGIN SOLUTION" not in text


@pytest.mark.parametrize("exercise", ["exercise1", "exercise2", "exercise3", "exercise4", "exercise5"])
def test_every_variant_compiles_and_none_is_the_reference_unchanged(exercise: str) -> None:
    """The mutation operators change something, and what they change still runs as Python."""
    pack = EXERCISES[exercise].pack()
    for function in pack.functions:
        found = variants.of(pack, function)
        assert found, f"no variant of {function}"
        for variant in found:
            assert variants.compiled(pack, variant) is not None, variant.id
            assert variant.site.line != variant.site.changed or variant.operator in (mutate.Operator.HARDCODE, mutate.Operator.MISCONCEPTION, mutate.Operator.DROP_RESET, mutate.Operator.SWAP), variant


def test_mse_with_n_times_alpha_is_sse() -> None:
    sse = lecture("exercise2", "train").returned[1]
    mse = lecture("exercise3", "train_mse").returned[1]
    assert close(mse, sse)
