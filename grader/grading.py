"""Grading one submission: start its worker, run the exercise's checks, collect the verdict.

Submission -> Execution (``grader.execution``) -> checks (``grader.checks``) ->
:class:`~grader.results.GradeResult`.  Nothing here renders text.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from typing import Callable, Optional

from grader.checks import Check, Context, Verdict, device, fail
from grader.registry import EXERCISES
from grader.execution import Load, Session, WorkerLost
from grader.results import SUBMISSION_CODES, CheckResult, GradeResult, Message, StudentError
from grader.sandbox import Limits
from grader.submission import Submission

@dataclass(frozen=True)
class Options:
    seed: int = 43052
    limits: Limits = field(default_factory=Limits)
    max_examples: int = 10
    notebook_path: str = "fast"  # "fast" (forked IPython shell) | "kernel" (nbclient)
    cell_timeout: float = 10.0  # a notebook cell's own limit, inside the notebook's share of the submission's (grader.notebook)
    reference_dir: Optional[str] = None  # an instructor's private checks (may hold hidden ones)
    device: str = "virtual-cuda"  # where device checks run: "virtual-cuda" (every machine), "cuda" (a real GPU) or "off"


def grade(submission: Submission, options: Options = Options()) -> GradeResult:
    exercise = EXERCISES[submission.exercise]
    checks = exercise.checks(options.reference_dir)
    if options.device != "off":
        checks += device.checks(submission.exercise)
    functions = exercise.functions(options.reference_dir)
    # A real Jupyter kernel talks to its client over unix sockets, which the sandbox otherwise refuses.
    kernel = submission.kind == "ipynb" and options.notebook_path == "kernel"
    session = Session(submission.path, functions, options.limits, entry=_entry(submission, options), unix_sockets=kernel)
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
            ctx = Context(session, module=_module_name(submission), seed=options.seed, max_examples=options.max_examples)
            if options.device != "off" and (submission.kind == "py" or not _mentions_devices(submission.path)):
                # The same worker serves the device calls: a .py file is imported a second
                # time under the device; a notebook that never mentions devices cannot
                # have chosen one while its cells ran, so its namespace serves as it is.
                ctx.device = Context(session, module=ctx.module, seed=ctx.seed, max_examples=ctx.max_examples, device_mode=options.device)
            elif options.device != "off":
                # A notebook that may pick its device while it runs runs again in a
                # worker of its own on the device, skipping the cells that hung.
                hung = tuple(cell.index for cell in load.cells if cell.timed_out)
                on_device = Session(submission.path, functions, options.limits, entry=_entry(submission, options, hung), mode=options.device, unix_sockets=kernel)
                ctx.device = _device_context(on_device, ctx)
            results = _run_checks(checks, load, ctx, submission_error)
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


_DEVICE_WORDS = re.compile(rb"cuda|device|is_available|mps|accelerator")


def _mentions_devices(path: str) -> bool:
    """Whether a notebook's text could make its behaviour depend on the machine's devices."""
    with open(path, "rb") as handle:
        return bool(_DEVICE_WORDS.search(handle.read()))


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
    return Context(on_device, module=ctx.module, seed=ctx.seed, max_examples=ctx.max_examples)


def _entry(submission: Submission, options: Options, skip_cells: tuple[int, ...] = ()) -> Optional[Callable[..., None]]:
    if submission.kind != "ipynb":
        return None
    from grader import notebook

    # The notebook may use two thirds of the submission's time: the checks need the rest.
    notebook_timeout = options.limits.timeout * notebook.NOTEBOOK_SHARE
    cell_timeout = min(options.cell_timeout, notebook_timeout)
    if options.notebook_path == "kernel":
        return notebook.kernel_entry(cell_timeout=cell_timeout, notebook_timeout=notebook_timeout)
    return notebook.fast_entry(cell_timeout=cell_timeout, notebook_timeout=notebook_timeout, skip_cells=skip_cells)


def _load_problem(load: Load) -> tuple[Optional[str], Optional[Message], Optional[StudentError]]:
    if load.invalid is not None:
        return "invalid-notebook", Message("diagnosis.invalid-notebook.why", {"detail": load.invalid}), None
    if load.error is None:
        return None, None, None
    if load.syntax:
        line = load.error.line or 0
        return "syntax-error", Message("diagnosis.syntax-error.why", {"line": line, "message": load.error.message}), load.error
    from grader.diagnosis import from_error

    code, message = from_error(load.error, "<module>")
    return code, message, load.error


def _run_checks(checks: list[Check], load: Load, ctx: Context, import_error: Optional[StudentError]) -> list[CheckResult]:
    results = []
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
        if verdict.example:
            # The examples import from a placeholder module: name the student's own file.
            verdict = replace(verdict, example=verdict.example.replace("from submission import", f"from {ctx.module} import"))
        results.append(check.result(verdict))
    return results


def _syntax_cell(load: Load) -> Optional[StudentError]:
    """The first notebook cell that Python could not read, if any (it defined nothing)."""
    for cell in load.cells:
        if cell.error.type in ("SyntaxError", "IndentationError", "TabError"):
            return cell.error
    return None


def _lost(lost: WorkerLost) -> tuple[str, Message]:
    code = lost.code if lost.code in ("timeout", "memory-limit", "crashed") else "crashed"
    return code, Message(f"diagnosis.{code}.why", {"detail": lost.detail, "detail_ko": lost.detail})
