"""Grading one submission: start its worker, run the exercise's checks, collect the verdict.

Submission -> Execution (``grader.execution.session``) -> checks (``grader.checks``) ->
:class:`~grader.results.GradeResult`.  Nothing here renders text.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any, Optional

if TYPE_CHECKING:
    from grader.pack.load import Pack

from grader.checks import Check, Context, Verdict, fail
from grader.registry import EXERCISES
from grader.execution.session import Load, Session, WorkerLost
from grader.results import SUBMISSION_CODES, CheckResult, GradeResult, Message, StudentError
from grader.worker.sandbox.limits import Limits
from grader.intake import reading
from grader.intake.submission import Submission

@dataclass(frozen=True)
class Options:
    seed: int = 43052
    limits: Limits = field(default_factory=Limits)
    max_examples: int = 10
    notebook_path: str = "fast"  # "fast" (forked IPython shell) | "kernel" (nbclient)
    cell_timeout: float = 10.0  # a notebook cell's own limit, inside the notebook's share of the submission's (grader.worker.notebook)
    reference_dir: Optional[str] = None  # an instructor's private overlay on the pack (may hold hidden checks)
    packs: tuple[str, ...] = ()  # exercise packs of one's own (--pack DIR), known to every process that grades
    device: str = "virtual-cuda"  # where device checks run: "virtual-cuda" (every machine), "cuda" (a real GPU) or "off"
    caps: reading.Caps = field(default_factory=reading.Caps)  # how much of a submission the grader itself reads and parses


def grade(submission: Submission, options: Options = Options()) -> GradeResult:
    from grader.checks import build
    from grader.registry import add_pack

    for folder in options.packs:
        if folder not in {e.folder for e in EXERCISES.values()}:
            add_pack(folder)
    pack = EXERCISES[submission.exercise].pack(options.reference_dir)
    checks = build.checks(pack, device=options.device != "off")
    # The grader reads the submission itself, outside every sandbox limit: over a cap,
    # it is refused before anything is parsed, and no worker starts (grader.intake.reading).
    reading.forget()  # the previous submission's parsed trees: a batch holds one submission's at most
    code = reading.load(submission.path, submission.kind, options.caps)
    if isinstance(code, reading.Oversize):
        return _too_large(submission, checks, code)
    functions = pack.functions
    # A real Jupyter kernel talks to its client over unix sockets, which the sandbox otherwise refuses.
    kernel = submission.kind == "ipynb" and options.notebook_path == "kernel"
    withheld = pack.withheld + ((options.reference_dir,) if options.reference_dir else ())
    session = Session(submission.path, functions, options.limits, spec=_entry(submission, options), unix_sockets=kernel, withheld=withheld, source=_read_once(code))
    on_device: Optional[Session] = None
    results: list[CheckResult] = []
    submission_code: Optional[str] = None
    submission_message: Optional[Message] = None
    submission_error: Optional[StudentError] = None
    try:
        try:
            load = session.start()
        except WorkerLost as lost:
            load = None
            submission_code, submission_message = _lost(lost)
        if load is not None:
            submission_code, submission_message, submission_error = _load_problem(load)
            if load.syntax or load.invalid is not None:
                load = None
        if load is None:
            assert submission_code is not None
            results = [check.result(Verdict(False, submission_code, submission_message, error=submission_error)) for check in checks]
        else:
            ctx = Context(session, module=_module_name(submission), seed=options.seed, max_examples=options.max_examples, source=reading.python_of(code))
            _know(ctx, pack)
            if options.device != "off" and (submission.kind == "py" or not _mentions_devices(code.raw)):
                # The same worker serves the device calls: a .py file is imported a second
                # time under the device; a notebook that never mentions devices cannot
                # have chosen one while its cells ran, so its namespace serves as it is.
                ctx.device = Context(session, module=ctx.module, seed=ctx.seed, max_examples=ctx.max_examples, device_mode=options.device, watch=ctx.watch)
            elif options.device != "off":
                # A notebook that may pick its device while it runs runs again in a
                # worker of its own on the device, skipping the cells that hung.
                hung = tuple(cell.index for cell in load.cells if cell.timed_out)
                on_device = Session(submission.path, functions, options.limits, spec=_entry(submission, options, hung), mode=options.device, unix_sockets=kernel, withheld=withheld, source=_read_once(code))
                ctx.device = _device_context(on_device, ctx)
            results = _run_checks(checks, load, ctx, submission_error, submission)
            lost_codes = [r.diagnosis for r in results if r.diagnosis in SUBMISSION_CODES]
            if lost_codes and submission_code is None:
                submission_code = lost_codes[0]
                submission_message = next(r.message for r in results if r.diagnosis == submission_code)
                if submission_code == "syntax-error":
                    submission_error = next(r.error for r in results if r.diagnosis == submission_code)
    finally:
        run = session.close()
        if on_device is not None:
            on_device.close()
    reached = _grader_reached(submission, session, on_device, code=code)
    if reached is not None:
        submission_code, submission_message = "imports-grader", reached
        submission_error = None
        results = [check.result(Verdict(False, submission_code, submission_message)) for check in checks]
    results = _scoped(results, checks, submission.exercise)
    score = sum(r.score for r in results)
    return GradeResult(
        exercise=submission.exercise,
        submission=submission.path,
        score=score,
        max_score=sum(r.max_score for r in results),
        checks=tuple(results),
        diagnosis=submission_code,
        message=submission_message,
        error=submission_error,
        run=run,
    )


def _grader_reached(submission: Submission, *sessions: Optional[Session], code: Optional[reading.Code] = None) -> Optional[Message]:
    """Where the submission imports the grader: read in its source here, or seen by its worker."""
    from grader.intake.scan import grader_uses

    uses = grader_uses(code if code is not None else submission.path, submission.kind)
    if uses:
        return Message("diagnosis.imports-grader.why", {"line": uses[0].line, "text": uses[0].text})
    for session in sessions:
        if session is not None and session.grader_imports:
            name, line = session.grader_imports[0]
            return Message("diagnosis.imports-grader.why", {"line": line, "text": f"import {name}"})
    return None


_DEVICE_WORDS = re.compile(rb"cuda|device|is_available|mps|accelerator")


def _mentions_devices(raw: bytes) -> bool:
    """Whether a notebook's text could make its behaviour depend on the machine's devices."""
    return bool(_DEVICE_WORDS.search(raw))


def _read_once(code: reading.Code) -> Optional[bytes]:
    """The bytes the worker gets: those the grader read and checked (None: it could not read them, the worker reports why)."""
    return code.raw if code.digest else None


def _module_name(submission: Submission) -> str:
    """What the student imports their functions from: the file's name, if Python can import it."""
    stem = submission.name.rsplit(".", 1)[0]
    return stem if stem.isidentifier() and submission.kind == "py" else submission.exercise


def _device_context(on_device: Session, ctx: Context) -> Context:
    """The device worker's context.  A worker that cannot start keeps its loss,
    and every device call then fails with the same diagnosis (timeout, crash)."""
    try:
        on_device.start()
    except WorkerLost:
        pass
    return Context(on_device, module=ctx.module, seed=ctx.seed, max_examples=ctx.max_examples, watch=ctx.watch)


def _know(ctx: Context, pack: "Pack") -> None:
    """What the rules over a function's checks need of the pack: how each function is judged,
    the names its data has, and which argument each function trains."""
    from grader.checks.judge import Judge
    from grader.pack import calls

    for spec in pack.spec.function:
        ctx.judges[spec.name] = Judge(pack, spec, calls.lecture(pack, spec.name))
        trained = tuple(i for i, a in enumerate(spec.args) if a.role == "parameter")
        if trained:
            ctx.watch[spec.name] = trained
    ctx.data_names = calls.data_names(pack)


def _entry(submission: Submission, options: Options, skip_cells: tuple[int, ...] = ()) -> Optional[dict[str, Any]]:
    """Which runner the fork server starts for this submission (None: the ``.py`` one)."""
    if submission.kind != "ipynb":
        return None
    from grader.worker import notebook

    # The notebook may use two thirds of the submission's time: the checks need the rest.
    notebook_timeout = options.limits.timeout * notebook.NOTEBOOK_SHARE
    cell_limit, notebook_limit = notebook.timeouts(min(options.cell_timeout, notebook_timeout), notebook_timeout)
    if options.notebook_path == "kernel":
        return {"function": "grader.worker.notebook_kernel:run_kernel", "kwargs": {"cell_timeout": cell_limit, "notebook_timeout": notebook_limit}}
    return {"function": "grader.worker.notebook_fast:run_fast", "kwargs": {"cell_timeout": cell_limit, "notebook_timeout": notebook_limit, "skip_cells": list(skip_cells)}}


def _load_problem(load: Load) -> tuple[Optional[str], Optional[Message], Optional[StudentError]]:
    if load.invalid is not None:
        return "invalid-notebook", Message("diagnosis.invalid-notebook.why", {"detail": load.invalid}), None
    if load.error is None:
        return None, None, None
    if load.syntax:
        line = load.error.line or 0
        return "syntax-error", Message("diagnosis.syntax-error.why", {"line": line, "message": load.error.message}), load.error
    from grader.diagnosis.errors import from_error, scrub

    code, message = from_error(load.error, "<module>")
    return code, message, scrub(load.error)


def _run_checks(checks: list[Check], load: Load, ctx: Context, import_error: Optional[StudentError], submission: Optional[Submission] = None) -> list[CheckResult]:
    verdicts = []
    lost: Optional[WorkerLost] = None
    for check in checks:
        if lost is not None:
            code, message = _lost(lost)
            verdict = Verdict(False, code, message)
        elif not load.functions.get(check.function, False):
            if _syntax_cell(load) is not None:
                # A notebook cell Python could not read: the file's syntax error, at its cell and line.
                cell_error = _syntax_cell(load)
                assert cell_error is not None
                verdict = Verdict(False, "syntax-error", Message("diagnosis.syntax-error.why", {"line": cell_error.line or 0, "message": cell_error.message}), error=cell_error)
            elif import_error is not None:
                verdict = Verdict(False, "runtime-error", Message("diagnosis.runtime-error.why", {"function": check.function, "type": import_error.type, "message": f"{import_error.type}: {import_error.message}"}), error=import_error)
            else:
                verdict = fail("missing-function", function=check.function)
        else:
            try:
                verdict = check.run(ctx)
            except WorkerLost as exc:
                lost = exc
                code, message = _lost(exc)
                verdict = Verdict(False, code, message)
            except Exception as exc:
                # Whatever the worker sent, judging it must end in a verdict, never in a crash of the run.
                verdict = Verdict(False, "grader-error", _grader_error(exc))
        verdicts.append(verdict)
    if lost is None and submission is not None:
        # Rules over all the checks of a function (grader.checks.review), from the source read here.
        from grader.checks import review

        try:
            verdicts = review.review(checks, verdicts, ctx, ctx.source, notebook=submission.kind == "ipynb")
        except WorkerLost:
            pass  # the checks' own verdicts stand; the worker's loss is reported by the session
        except Exception as exc:
            # Judging must end in a verdict: a rule that fails keeps no check's points.
            verdicts = [v if not v.passed else Verdict(False, "grader-error", _grader_error(exc)) for v in verdicts]
    results = []
    for check, verdict in zip(checks, verdicts):
        if verdict.example:
            verdict = replace(verdict, example=_example_for(verdict.example, ctx.module, submission))
        results.append(check.result(verdict))
    return results


_EXAMPLE_IMPORT = re.compile(r"^from submission import (\w+).*$", re.MULTILINE)


def _example_for(example: str, module: str, submission: Optional[Submission]) -> str:
    """A minimal example as the student pastes it: the examples import from a placeholder module.

    A ``.py`` file's example imports from the student's own file.  A notebook's runs
    in a new cell of that notebook, where the function is already defined: there is
    no file to import from, so the import becomes a comment that says so.
    """
    if submission is not None and submission.kind == "ipynb":
        return _EXAMPLE_IMPORT.sub(r"# \1: the one your notebook defines (paste this into a new cell below it)", example)
    return example.replace("from submission import", f"from {module} import")


def _too_large(submission: Submission, checks: list[Check], over: reading.Oversize) -> GradeResult:
    """0 points, every check failing with ``too-large``: the submission is over a cap on what the grader reads."""
    message = reading.oversize_message(over)
    results = _scoped([check.result(Verdict(False, "too-large", message)) for check in checks], checks, submission.exercise)
    return GradeResult(
        exercise=submission.exercise,
        submission=submission.path,
        score=0,
        max_score=sum(r.max_score for r in results),
        checks=tuple(results),
        diagnosis="too-large",
        message=message,
    )


def _grader_error(exc: BaseException) -> Message:
    try:
        detail = f"{type(exc).__name__}: {exc}"
    except Exception:
        detail = type(exc).__name__
    return Message("diagnosis.grader-error.why", {"detail": detail[:300]})


def grade_safely(submission: Submission, options: Options = Options()) -> GradeResult:
    """:func:`grade`, except that a failure of the grader itself becomes this submission's verdict.

    One submission must never stop a class: its result then scores 0 with
    the diagnosis ``grader-error`` (listed among the ungraded).
    """
    try:
        return grade(submission, options)
    except Exception as exc:
        message = _grader_error(exc)
        try:
            checks = EXERCISES[submission.exercise].checks(options.reference_dir, device=options.device != "off")
            results = [check.result(Verdict(False, "grader-error", message)) for check in checks]
        except Exception:
            results = []
        return GradeResult(
            exercise=submission.exercise,
            submission=submission.path,
            score=0,
            max_score=sum(r.max_score for r in results),
            checks=tuple(results),
            diagnosis="grader-error",
            message=message,
        )


def _scoped(results: list[CheckResult], checks: list[Check], exercise: str) -> list[CheckResult]:
    """Each message learns the exercise and function it is about, so that the
    catalogue can word it with that exercise's names (``grader.messages.resolve``)."""
    out = []
    for check, result in zip(checks, results):
        if result.message is not None:
            params = {"function": check.function, **result.message.params, "exercise": exercise}
            result = replace(result, message=Message(result.message.key, params))
        out.append(result)
    return out + results[len(out) :]


def _syntax_cell(load: Load) -> Optional[StudentError]:
    """The first notebook cell that Python could not read, if any (it defined nothing)."""
    for cell in load.cells:
        if cell.error.type in ("SyntaxError", "IndentationError", "TabError"):
            return cell.error
    return None


def _lost(lost: WorkerLost) -> tuple[str, Message]:
    code = lost.code if lost.code in ("timeout", "memory-limit", "crashed") else "crashed"
    return code, Message(f"diagnosis.{code}.why", {"detail": lost.detail, "detail_ko": lost.detail})
