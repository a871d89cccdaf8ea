"""The check framework: what a check is, and how one runs against a worker.

A check calls student functions through a :class:`Context` (which talks to the
worker) and returns a :class:`Verdict`.  Properties over generated data use
Hypothesis: derandomized through the seed we choose, with no example database,
and the shrunk minimal failing case reported as a call the student can paste.
"""
from __future__ import annotations

import atexit
import os
import random
import shutil
import tempfile
from dataclasses import dataclass, field, replace
from typing import Any, Callable, Optional, TypeVar


def _private_hypothesis_storage() -> None:
    """Hypothesis caches what it learns (e.g. the constants of local modules)
    under ``./.hypothesis`` by default: in the student's folder, or wherever
    the grader runs.  The grader writes nothing there; the cache goes to a
    private temporary folder, removed when the process that made it exits."""
    if os.environ.get("HYPOTHESIS_STORAGE_DIRECTORY"):
        return
    folder = tempfile.mkdtemp(prefix="grader-hypothesis-")
    os.environ["HYPOTHESIS_STORAGE_DIRECTORY"] = folder
    owner = os.getpid()

    def remove() -> None:
        if os.getpid() == owner:  # not in a forked child that exits normally
            shutil.rmtree(folder, ignore_errors=True)

    atexit.register(remove)


_private_hypothesis_storage()

from hypothesis import HealthCheck, Phase, find, settings  # noqa: E402
from hypothesis.errors import NoSuchExample, Unsatisfiable  # noqa: E402
from hypothesis.strategies import SearchStrategy  # noqa: E402


def _no_local_constants() -> None:
    """Generated cases depend on the seed alone.

    Hypothesis (6.131 and later) also draws numbers it finds as constants in
    "local" modules, those not installed in site-packages: with an editable
    install that is every module of the grader, and which ones are imported
    before the first search changes what is drawn.  The same submission would
    then meet other cases on another machine (and each grading child spends
    about 0.8 s of CPU reading those modules).  Its global constants stay.
    """
    try:
        from hypothesis.internal.conjecture import providers
    except ImportError:  # pragma: no cover - an older Hypothesis has no local constants
        return
    if hasattr(providers, "_get_local_constants") and hasattr(providers, "Constants"):
        empty = providers.Constants()
        providers._get_local_constants = lambda: empty  # type: ignore[attr-defined]


_no_local_constants()

from grader.diagnosis import errors as diagnosis, values
from grader.execution.session import CallOutcome, Session
from grader.results import CheckResult, Divergence, Message, StudentError, Trajectory
from grader.vocabulary import CheckKind

T = TypeVar("T")

SHRINK_CALLS = 30  # calls spent shrinking before the smallest failure so far is reported


class _OutOfBudget(BaseException):
    """Stops Hypothesis's shrinking (a BaseException, so Hypothesis does not catch it)."""


@dataclass(frozen=True)
class Verdict:
    """What a check concluded, before points are attached."""

    passed: bool
    diagnosis: Optional[str] = None
    message: Optional[Message] = None
    divergence: Optional[Divergence] = None
    error: Optional[StudentError] = None
    trajectory: Optional[Trajectory] = None
    example: Optional[str] = None
    # Every catalogued mistake that explains this case as well as ``diagnosis``
    # does: checks of one function agree on one of them (grader.checks.review).
    candidates: tuple[tuple[str, dict[str, Any]], ...] = ()


PASS = Verdict(True)


def fail(code: str, key: Optional[str] = None, **params: Any) -> Verdict:
    return Verdict(False, code, Message(key or f"diagnosis.{code}.why", params))


@dataclass
class Context:
    """A check's access to the submission: memoized calls into the worker."""

    session: Session
    module: str
    seed: int = 43052
    max_examples: int = 10
    device: Optional["Context"] = None  # the same submission on a (real or emulated) GPU
    device_mode: Optional[str] = None  # set on that device context: where its calls run
    # The submission's Python source, read by the grader (grader.checks.source.read):
    # structure is decided from it, never from what the worker says about itself.
    source: str = ""
    # How each function is judged (grader.checks.judge.Judge), for the rules over all its checks.
    judges: dict[str, Any] = field(default_factory=dict)
    # The names the exercise's data has (what its setup binds): a function reading them is `uses-global`.
    data_names: frozenset[str] = frozenset()
    # The arguments each function trains (their positions): the worker watches what is done to them.
    watch: dict[str, tuple[int, ...]] = field(default_factory=dict)
    _cache: dict[str, CallOutcome] = field(default_factory=dict)
    _shown: set[str] = field(default_factory=set)

    def call(self, function: str, args: list[Any], trace: bool = False, shown: bool = False, watch: tuple[int, ...] = (), times: int = 1) -> CallOutcome:
        """The outcome of ``function(*args)``.  ``shown``: its output is the one the report
        shows (the lecture-data call); every other call prints for free and uncaptured.
        ``watch``: the arguments the call trains (the worker reports what is done to them)."""
        key = f"{function}:{trace}:{times}:{args!r}"
        if key not in self._cache or (shown and key not in self._shown):
            self._cache[key] = self.session.call(function, args, trace=trace, device=self.device_mode, quiet=not shown, watch=watch, times=times)
            if shown:
                self._shown.add(key)
        return self._cache[key]

    def search(self, strategy: SearchStrategy[T], judge: Callable[..., Verdict], example: Callable[[T], str]) -> Verdict:
        """Look for a generated case the submission gets wrong; report the smallest one.

        ``judge(case)`` decides pass or fail.  If it accepts ``diagnose=False``,
        the search only asks whether a case fails, and the (costlier) diagnosis
        runs once, on the smallest failing case.
        """
        quick = _accepts_diagnose(judge)
        verdicts: dict[int, Verdict] = {}
        last_failure: list[tuple[T, Verdict]] = []
        calls = [0]

        def wrong(case: T) -> bool:
            calls[0] += 1
            verdict = judge(case, diagnose=False) if quick else judge(case)
            verdicts[id(case)] = verdict
            if not verdict.passed:
                last_failure[:] = [(case, verdict)]
                # Shrinking is bounded by a number of calls, not by time, so
                # that the reported example is the same on every machine.
                if calls[0] > self.max_examples + SHRINK_CALLS:
                    raise _OutOfBudget()
            return not verdict.passed

        config = settings(
            max_examples=self.max_examples,
            database=None,
            deadline=None,
            phases=(Phase.generate, Phase.shrink),
            suppress_health_check=list(HealthCheck),
        )
        try:
            case = find(strategy, wrong, settings=config, random=random.Random(self.seed))
        except (NoSuchExample, Unsatisfiable):
            return PASS
        except _OutOfBudget:
            case = last_failure[0][0]
        verdict = judge(case) if quick else (verdicts.get(id(case)) or judge(case))
        return replace(verdict, example=example(case))


def _accepts_diagnose(judge: Callable[..., Verdict]) -> bool:
    import inspect

    try:
        return "diagnose" in inspect.signature(judge).parameters
    except (TypeError, ValueError):
        return False


@dataclass(frozen=True)
class Check:
    """One graded question, worth ``points``."""

    name: str
    function: str
    title: Message
    points: float
    run: Callable[[Context], Verdict]
    hidden: bool = False
    # Whether the function did its job at all on this check's call: a verdict
    # when it did not (returns None, an empty or a constant result), else None.
    # See grader.checks.review.
    attempt: Optional[Callable[[Context], Optional[Verdict]]] = None
    kind: Optional[CheckKind] = None

    def result(self, verdict: Verdict) -> CheckResult:
        return CheckResult(
            name=self.name,
            title=self.title,
            passed=verdict.passed,
            score=self.points if verdict.passed else 0,  # 0, not 0.0: whole points stay whole numbers in every output
            max_score=self.points,
            diagnosis=verdict.diagnosis,
            message=verdict.message,
            divergence=verdict.divergence,
            example=verdict.example,
            error=verdict.error,
            trajectory=verdict.trajectory,
            hidden=self.hidden,
        )


def title(key: str, function: str, **params: Any) -> Message:
    return Message(f"check.{key}", {"function": function, **params})


def outcome_problem(outcome: CallOutcome, function: str) -> Optional[Verdict]:
    """The verdict for a call that produced no value to compare, if it did not."""
    if outcome.missing:
        return fail("missing-function", "diagnosis.missing-function.why", function=function)
    if outcome.too_large:
        return fail("result-too-large", function=function, detail=outcome.too_large)
    if outcome.error is not None:
        code, message = diagnosis.from_error(outcome.error, function)
        return Verdict(False, code, message, error=diagnosis.scrub(outcome.error))
    return None


def problem_verdict(problem: values.Problem, function: str) -> Verdict:
    """A value of the wrong type or shape, explained (the detail stays a catalogue sentence until the report)."""
    detail = {"key": problem.detail_key, "params": {"expected": problem.expected, "detail": problem.found}}
    return fail(problem.code, function=function, found=problem.found, expected=problem.expected, detail=detail)
