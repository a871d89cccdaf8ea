"""The format of ``pack.toml``: what an exercise is, as data.

A pack is a folder: ``pack.toml`` (this schema), a reference solution with
``# BEGIN SOLUTION`` / ``# END SOLUTION`` markers (the student stub is
generated from it), optional Python helpers (the Hypothesis strategies and
hooks, run in the grader only), and ``examples/`` (submissions whose first
line says the verdict they must get).  The schema is checked by msgspec
when the file is read: a wrong key, type or role is an error that names
the key, what was expected and what was found.
"""
from __future__ import annotations

import tomllib
from typing import Literal, Optional, Union

import msgspec

from grader.vocabulary import CheckKind, Code, Role

FORMAT = 1


class Text(msgspec.Struct, forbid_unknown_fields=True, frozen=True):
    """A sentence in English and Korean, side by side."""

    en: str
    ko: str


class Arg(msgspec.Struct, forbid_unknown_fields=True, frozen=True):
    """One argument of a graded function, in the order the stub declares it.

    ``labels`` name a parameter's numbers in reports (``["w0", "w1"]`` for What).
    """

    name: str
    role: Role
    labels: list[str] = []


class Value(msgspec.Struct, forbid_unknown_fields=True, frozen=True):
    """One returned value (a function returning several returns a tuple of them).

    kind:
      ``scalar``  one number: a 0-d tensor (``accept`` may add "number", "tensor1")
      ``tensor``  a tensor of the reference's shape (``accept`` may add "squeezed")
      ``series``  a history, one entry per epoch: ``item`` "scalar" (a float or a
                  0-d tensor) or "vector" (``labels`` numbers: a list, or a tensor
                  of any shape with that many); the whole history may be one tensor
      ``module``  an ``nn.Module``: its class and named parameters
      ``choice``  one of ``options`` (strings)
      ``number``  a Python or tensor number (a setting such as a learning rate)
    """

    kind: Literal["scalar", "tensor", "series", "module", "choice", "number"]
    name: str = ""
    item: Literal["scalar", "vector"] = "scalar"
    labels: list[str] = []
    length: str = ""  # an expression over the arguments: "epochs", "epochs + 1"
    options: list[str] = []
    accept: list[str] = []
    describe: Optional[Text] = None  # what the stub says it is, shown when it is wrong


class Call(msgspec.Struct, forbid_unknown_fields=True, frozen=True):
    """A call written as a student would write it, after some setup code.

    ``setup`` names blocks of ``[setup.NAME]``; ``before`` adds lines (naming the
    parameter a call trains, so that an example can look at it afterwards).
    """

    call: str
    setup: list[str] = []
    before: str = ""


class LoopProbe(msgspec.Struct, forbid_unknown_fields=True, frozen=True):
    """A call large enough that a Python loop over its data runs ``lines`` lines or more."""

    call: str
    setup: list[str] = []
    lines: int = 30


class Requires(msgspec.Struct, forbid_unknown_fields=True, frozen=True):
    """Structure a function must have, observed in the run (never taken from the source alone).

    ``optimizer``: built over the parameter's parameters, with the learning-rate
    argument, and stepped once per epoch.  ``loss``: a loss (class, or its
    functional form) computed from the parameter's output.  ``no_loop``: no
    Python loop, in the source or in the run of the probe call.
    """

    optimizer: Optional[str] = None
    loss: Optional[str] = None
    no_loop: Optional[LoopProbe] = None


class Mismatch(msgspec.Struct, forbid_unknown_fields=True, frozen=True):
    """How a plain mismatch of this function is named (e.g. a wrong class for a choice)."""

    code: Code
    params: Optional[str] = None  # a helper computing the message's parameters from the call


class Function(msgspec.Struct, forbid_unknown_fields=True, frozen=True):
    name: str
    args: list[Arg]
    result: list[Value]
    points: dict[CheckKind, Union[int, float]]
    lecture: Call
    returns: str = ""  # the stub's return statement, for "did you forget `return ...`?"
    generated: Optional[str] = None  # a helper returning a Hypothesis strategy of argument dicts
    divergent: list[Call] = []  # more calls, judged with the generated check (inf and nan agree)
    tolerance: Optional[str] = None  # a helper: call -> relative tolerance (default: by dtype)
    values_include_parameter: Optional[bool] = None  # judge the parameter's final state with the values (default: unless a history holds it)
    requires: Requires = Requires()
    mismatch: Optional[Mismatch] = None
    title: Optional[Text] = None  # the lecture check's title, where the general one does not fit


class Extra(msgspec.Struct, forbid_unknown_fields=True, frozen=True):
    """A check of the pack's own: the values of ``function`` on other cases, with its own title."""

    name: str
    function: str
    title: Text
    points: Union[int, float]
    hidden: bool = True
    generated: Optional[str] = None
    calls: list[Call] = []


class Misconception(msgspec.Struct, forbid_unknown_fields=True, frozen=True):
    """A named mistake: the reference with one change, and what to tell the student.

    The change is a textual ``find`` -> ``replace`` inside the reference's
    ``function``, or a whole new definition in ``source``.
    """

    id: str
    function: str
    code: Code
    find: str = ""
    replace: str = ""
    source: str = ""
    title: Optional[Text] = None
    why: Optional[Text] = None
    fix: Optional[Text] = None
    hint: str = ""


class Setup(msgspec.Struct, forbid_unknown_fields=True, frozen=True):
    """Code run before a call (in the grader, and in the student's example): its ``code``, or a ``file`` of the pack."""

    code: str = ""
    file: str = ""


class Exercise(msgspec.Struct, forbid_unknown_fields=True, frozen=True):
    name: str
    summary: Text
    title: Optional[Text] = None
    reference: str = "reference.py"
    helpers: list[str] = []
    messages: list[str] = []  # TOML files with a [messages] table, shared by several packs
    stub_setup: Optional[str] = None  # the setup block the stubs show as the lecture's data
    stub_data_in_py: bool = False  # the .py stub carries that data too (the notebook always does)
    device_dtype: Literal["float32", "float64"] = "float64"
    # Hints may quote the reference's own line (the lecture's code is public; a private pack's may not be).
    show_reference_lines: bool = False


class PackSpec(msgspec.Struct, forbid_unknown_fields=True, frozen=True):
    format: int
    exercise: Exercise
    function: list[Function]
    setup: dict[str, Setup] = {}
    check: list[Extra] = []
    misconception: list[Misconception] = []
    messages: dict[str, Text] = {}


class OverlaySpec(msgspec.Struct, forbid_unknown_fields=True, frozen=True):
    """A private overlay on a pack (``--reference DIR``): hidden checks and their helpers."""

    format: int
    exercise: str
    helpers: list[str] = []
    setup: dict[str, Setup] = {}
    check: list[Extra] = []
    misconception: list[Misconception] = []
    messages: dict[str, Text] = {}


class MessagesFile(msgspec.Struct, forbid_unknown_fields=True, frozen=True):
    """A file of sentences shared by several packs (``[exercise] messages``)."""

    messages: dict[str, Text] = {}


class SpecError(Exception):
    """A pack file that does not fit the format: says where, what was expected and what was found."""


def parse(text: str, path: str, schema: type[Union[PackSpec, OverlaySpec]] = PackSpec) -> Union[PackSpec, OverlaySpec]:
    """``pack.toml`` text as a validated spec; :class:`SpecError` if it does not fit."""
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise SpecError(f"{path}: not valid TOML ({exc}). Fix the line it names; `grade pack new NAME` writes a complete example.") from None
    try:
        spec = msgspec.convert(raw, type=schema)
    except msgspec.ValidationError as exc:
        raise SpecError(f"{path}: {exc}. See the README's 'Exercise packs' section for every key, or `grade pack new NAME` for a complete example.") from None
    if spec.format != FORMAT:
        raise SpecError(f"{path}: format = {spec.format}, this grader reads format = {FORMAT}.")
    return spec
