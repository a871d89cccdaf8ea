"""The references reproduce the lecture's printed numbers, and everything derived from them agrees."""
import pytest
import torch
from hypothesis import given, settings

from grader.authoring import golden, stubs
from grader.diagnosis import mutants
from grader.checks.cases import lecture_case, train_cases
from grader.checks.exercise2 import history_run
from grader.reference import exercise2, exercise3

REL = 1e-4


def close(found, expected, rel=REL):
    return torch.allclose(torch.tensor(found, dtype=torch.float64), torch.tensor(expected, dtype=torch.float64), rtol=rel, atol=0)


def test_reference_reproduces_the_lecture() -> None:
    g = golden.compute()
    assert close(g["first_loss"], 8587.6875)
    assert close(g["first_gradient"], [-1342.2524, 1188.9305])
    assert close(g["What_after_one_step"], [-3.6577, 8.8111])
    assert close(g["sse"]["What_history"][-1], [2.4290, 4.0144])
    assert g["sse"]["loss_history"][-1] == pytest.approx(26.41, abs=0.005)
    assert close(g["mse"]["What_history"], g["sse"]["What_history"])
    assert close(g["net"]["weight"], [2.4290, 4.0144])
    assert close(g["closed_form"], [2.4459, 4.0043])
    assert g["classify_0.0083"] == "divergent"


def test_golden_file_matches_the_references() -> None:
    stored, computed = golden.stored(), golden.compute()
    assert stored.keys() == computed.keys()
    for key in ("first_gradient", "What_after_one_step", "closed_form"):
        assert close(stored[key], computed[key], 1e-6)
    for key in ("sse", "mse", "net"):
        assert close(stored[key]["loss_history"], computed[key]["loss_history"], 1e-6)


def test_stubs_are_generated_from_the_references() -> None:
    from pathlib import Path

    folder = Path(__file__).resolve().parent.parent / "exercises"
    for name, text in stubs.expected_stubs().items():
        assert (folder / name).read_text(encoding="utf-8") == text, f"exercises/{name} is stale: run python -m grader.authoring.stubs --write"
        assert "NotImplementedError" in text and "BEGIN SOLUTION" not in text


@settings(max_examples=30, deadline=None, derandomize=True, database=None)
@given(train_cases("sse"))
def test_mistake_simulator_without_mistakes_is_the_reference(case) -> None:
    """The mutant catalogue's loop, with no mistake, is the reference loop (so mutants mean what they say)."""
    reference = history_run(exercise2.train, case)
    simulated = mutants.simulate(case, mutants.Loop())
    assert torch.allclose(simulated.weights, reference.weights, rtol=1e-4, atol=1e-5)
    assert torch.allclose(simulated.losses, reference.losses, rtol=1e-4, atol=1e-5)


def test_mse_with_n_times_alpha_is_sse() -> None:
    sse = history_run(exercise2.train, lecture_case("sse"))
    mse = history_run(exercise3.train_mse, lecture_case("mse"))
    assert torch.allclose(sse.weights, mse.weights, rtol=1e-4)
