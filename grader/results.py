"""The values that flow between the pipeline's stages.

Submission -> Execution -> checks -> GradeResult -> report.  Every stage passes
frozen dataclasses; nothing here renders text (see ``grader.messages`` and
``grader.report``).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Mapping, Optional, Union

from grader.vocabulary import SUBMISSION_CODES as _SUBMISSION_CODES


# Diagnoses of a submission as a whole (it could not be graded check by check),
# as opposed to a mistake found by one check.
SUBMISSION_CODES = tuple(sorted(_SUBMISSION_CODES))


# Points as the pack gives them: whole numbers stay ints (9, not 9.0) through serialization.
Points = Union[int, float]


@dataclass(frozen=True)
class Message:
    """A sentence from the catalogue (``grader.messages``), with its parameters.

    Parameters are plain JSON values; they are formatted into the catalogue's
    English or Korean text when a report is rendered.
    """

    key: str
    params: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Frame:
    """One frame of the student's own code in a traceback."""

    filename: str
    lineno: int
    function: str
    line: str


@dataclass(frozen=True)
class StudentError:
    """An exception raised by student code, trimmed to the student's frames."""

    type: str
    message: str
    frames: tuple[Frame, ...] = ()

    @property
    def line(self) -> Optional[int]:
        return self.frames[-1].lineno if self.frames else None


@dataclass(frozen=True)
class StepRow:
    """One row of the 'first divergent step' table."""

    step: int
    label: str
    student: Optional[float]
    reference: Optional[float]
    divergent: bool = False

    @property
    def difference(self) -> Optional[float]:
        if self.student is None or self.reference is None:
            return None
        return self.student - self.reference


@dataclass(frozen=True)
class Divergence:
    """Where a student's trajectory first leaves the reference, with context rows."""

    series: str
    step: int
    label: str
    student: Optional[float]
    reference: Optional[float]
    rows: tuple[StepRow, ...] = ()
    stepped: bool = True  # rows are epochs; False: one value (a result, a parameter after the call)


@dataclass(frozen=True)
class Trajectory:
    """What the figures of a training check draw: student beside reference.

    ``x``/``y`` are the data (for the fitted-line figure); losses and weights are
    per epoch.  Non-finite values are ``None``.
    """

    x: tuple[Optional[float], ...]
    y: tuple[Optional[float], ...]
    loss_student: tuple[Optional[float], ...]
    loss_reference: tuple[Optional[float], ...]
    w_student: tuple[tuple[Optional[float], Optional[float]], ...]
    w_reference: tuple[tuple[Optional[float], Optional[float]], ...]
    true_w: Optional[tuple[float, float]] = None
    loss_kind: str = "sse"


@dataclass(frozen=True)
class CheckResult:
    """The verdict of one check, worth ``max_score`` points."""

    name: str
    title: Message
    passed: bool
    score: Points
    max_score: Points
    diagnosis: Optional[str] = None
    message: Optional[Message] = None
    divergence: Optional[Divergence] = None
    example: Optional[str] = None
    error: Optional[StudentError] = None
    trajectory: Optional[Trajectory] = None
    hidden: bool = False

    @property
    def line(self) -> Optional[int]:
        return self.error.line if self.error else None


@dataclass(frozen=True)
class Output:
    """A captured stream: its head and tail, and how many bytes were dropped between them."""

    text: str = ""
    dropped: int = 0


@dataclass(frozen=True)
class RunInfo:
    """How the submission was run: its streams, its sandbox, its time."""

    stdout: Output = Output()
    stderr: Output = Output()
    start_method: str = "fork"
    protections_missing: tuple[str, ...] = ()
    wall_time: float = 0.0
    cells: tuple["CellError", ...] = ()


@dataclass(frozen=True)
class CellError:
    """A notebook cell that raised, hung or did not run (the run went on).

    ``index`` is the cell's position in the notebook (0-based); ``count`` its
    execution count, the ``In [N]`` that Jupyter and the captured output show
    (None for a cell that never ran).
    """

    index: int
    error: StudentError
    timed_out: bool = False
    count: Optional[int] = None


@dataclass(frozen=True)
class GradeResult:
    """The whole verdict on one submission."""

    exercise: str
    submission: str
    score: Points
    max_score: Points
    checks: tuple[CheckResult, ...]
    diagnosis: Optional[str] = None
    message: Optional[Message] = None
    error: Optional[StudentError] = None
    run: RunInfo = RunInfo()

    @property
    def full_marks(self) -> bool:
        return self.max_score > 0 and abs(self.score - self.max_score) < 1e-9

    @property
    def diagnoses(self) -> tuple[str, ...]:
        codes = [c.diagnosis for c in self.checks if c.diagnosis]
        if self.diagnosis:
            codes.insert(0, self.diagnosis)
        return tuple(dict.fromkeys(codes))
