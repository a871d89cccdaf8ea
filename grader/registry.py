"""The exercises this grader knows: the packs that ship with it, and those named with ``--pack DIR``.

Knowing an exercise reads only its ``pack.toml`` (its name, summary and
functions): nothing of the pack runs until :meth:`Exercise.pack` loads it,
after the fork server has started (``grader.worker.zygote``), so that no
worker is ever forked from a process that held a reference.
"""
from __future__ import annotations

import os
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Iterator, Mapping, Optional

if TYPE_CHECKING:
    from grader.checks import Check
    from grader.pack.load import Pack


@dataclass(frozen=True)
class Exercise:
    name: str
    folder: str
    summary: str
    summary_ko: str
    function_names: tuple[str, ...]
    uses_optimizer: bool = False  # a function must build a torch.optim optimizer (its first import is slow: warmed once)

    def functions(self, reference_dir: Optional[str] = None) -> list[str]:
        return list(self.function_names)

    def pack(self, reference_dir: Optional[str] = None) -> "Pack":
        """The loaded pack (its reference run here), with the private overlay in ``reference_dir``, if any."""
        from grader.pack.load import load

        return load(self.folder, overlay_for(self.name, reference_dir))

    def checks(self, reference_dir: Optional[str] = None, device: bool = False) -> list["Check"]:
        from grader.checks.build import checks

        return checks(self.pack(reference_dir), device=device)


def overlay_for(name: str, reference_dir: Optional[str]) -> Optional[str]:
    """The overlay folder for exercise ``name`` inside ``reference_dir``: ``DIR/NAME/`` or ``DIR`` itself."""
    if reference_dir is None:
        return None
    nested = os.path.join(reference_dir, name)
    if os.path.isfile(os.path.join(nested, "pack.toml")):
        return nested
    if os.path.isfile(os.path.join(reference_dir, "pack.toml")):
        from grader.pack.spec import OverlaySpec, SpecError, parse

        try:
            with open(os.path.join(reference_dir, "pack.toml"), encoding="utf-8") as handle:
                overlay = parse(handle.read(), reference_dir, OverlaySpec)
        except (OSError, SpecError):
            return reference_dir  # loading it will say what is wrong
        return reference_dir if isinstance(overlay, OverlaySpec) and overlay.exercise == name else None
    return None


def describe(folder: str) -> Exercise:
    """An exercise from its pack's ``pack.toml`` (read, not run); :class:`PackError` if it does not fit."""
    from grader.pack.load import PackError
    from grader.pack.spec import PackSpec, SpecError, parse

    path = os.path.join(folder, "pack.toml")
    try:
        with open(path, encoding="utf-8") as handle:
            spec = parse(handle.read(), path)
    except OSError:
        raise PackError(f"{folder}: no pack.toml. A pack is a folder with pack.toml, a reference solution and examples; `grade pack new NAME` writes one.") from None
    except SpecError as exc:
        raise PackError(str(exc)) from None
    assert isinstance(spec, PackSpec)
    from grader.pack.load import register_messages

    register_messages(os.path.realpath(folder), spec)
    return Exercise(
        spec.exercise.name,
        os.path.realpath(folder),
        spec.exercise.summary.en,
        spec.exercise.summary.ko,
        tuple(f.name for f in spec.function),
        any(f.requires.optimizer for f in spec.function),
    )


class _Registry(Mapping[str, Exercise]):
    """Name -> exercise: the built-in packs (read on first use), then those added with :func:`add`."""

    def __init__(self) -> None:
        self._entries: Optional[dict[str, Exercise]] = None

    def _all(self) -> dict[str, Exercise]:
        if self._entries is None:
            from grader.pack.load import builtin_names, builtin_root

            root = builtin_root()
            self._entries = {name: describe(os.path.join(root, name)) for name in builtin_names()}
        return self._entries

    def __getitem__(self, name: str) -> Exercise:
        return self._all()[name]

    def __iter__(self) -> Iterator[str]:
        return iter(self._all())

    def __len__(self) -> int:
        return len(self._all())

    def forget_added(self) -> None:
        """Back to the built-in packs alone (each test starts there)."""
        self._entries = None

    def add(self, folder: str) -> Exercise:
        """Make the pack in ``folder`` known (it replaces a built-in of the same name)."""
        exercise = describe(folder)
        self._all()[exercise.name] = exercise
        return exercise


EXERCISES = _Registry()


def add_pack(folder: str) -> Exercise:
    """``--pack DIR``: the exercise in ``folder`` becomes known to every command of this run."""
    return EXERCISES.add(folder)


_NAME = re.compile(r"exercise[_-]?(\d+)", re.IGNORECASE)


def detect(filename: str) -> Optional[str]:
    """The exercise a file name refers to: exercise3.py, hw_exercise3_kim.ipynb, Exercise_3.py, or a pack's own name."""
    for match in _NAME.finditer(filename):
        name = f"exercise{int(match.group(1))}"
        if name in EXERCISES:
            return name
    lowered = filename.lower()
    for name in sorted(EXERCISES, key=len, reverse=True):
        if name.lower() in lowered:
            return name
    return None
