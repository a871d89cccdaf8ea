"""Reading a pack folder into a :class:`Pack`: its spec, its reference, its helpers.

Everything here runs in the grader process, never in a worker: the
reference solution and the helpers (strategies, hooks) are the grader's
knowledge.  A pack is read once per process and kept (packs are few and
small; submissions never are).
"""
from __future__ import annotations

import hashlib
import os
import types
from dataclasses import dataclass, field
from importlib import resources
from typing import Any, Callable, Optional

import msgspec

from grader.pack import spec as specs
from grader.vocabulary import Role

SOLUTION_BEGIN, SOLUTION_END = "# BEGIN SOLUTION", "# END SOLUTION"


class PackError(Exception):
    """A pack that cannot be used: what is wrong, where, and what to do."""


@dataclass(frozen=True)
class Pack:
    """One exercise, read from its folder (and an instructor's private overlay, if any)."""

    folder: str
    spec: specs.PackSpec
    reference_text: str
    reference: types.ModuleType = field(compare=False, repr=False)
    helpers: dict[str, Any] = field(compare=False, repr=False)
    digest: str = ""  # a hash of every file the grade depends on: reference, spec, helpers, overlay
    overlay: Optional[specs.OverlaySpec] = None
    overlay_folder: Optional[str] = None
    resolved_setups: dict[str, specs.Setup] = field(default_factory=dict, compare=False, repr=False)

    @property
    def name(self) -> str:
        return self.spec.exercise.name

    @property
    def functions(self) -> list[str]:
        return [f.name for f in self.spec.function]

    def function(self, name: str) -> specs.Function:
        for f in self.spec.function:
            if f.name == name:
                return f
        raise KeyError(name)

    def role_of(self, function: str, role: Role) -> list[int]:
        """The positions of ``function``'s arguments with ``role``."""
        return [i for i, a in enumerate(self.function(function).args) if a.role == role]

    def reference_function(self, name: str) -> Callable[..., Any]:
        found = getattr(self.reference, name, None)
        if not callable(found):
            raise PackError(f"{self.folder}: the reference defines no function {name!r}, which pack.toml lists.")
        return found  # type: ignore[no-any-return]

    def helper(self, name: str) -> Any:
        if name not in self.helpers:
            raise PackError(f"{self.folder}: pack.toml names the helper {name!r}, which no helper file defines (helpers: {', '.join(self.spec.exercise.helpers) or 'none'}).")
        return self.helpers[name]

    @property
    def setups(self) -> dict[str, specs.Setup]:
        """The setup blocks, each with its code (a ``file`` already read)."""
        return self.resolved_setups

    @property
    def extra_checks(self) -> list[specs.Extra]:
        return list(self.spec.check) + list(self.overlay.check if self.overlay else [])

    @property
    def misconceptions(self) -> list[specs.Misconception]:
        return list(self.spec.misconception) + list(self.overlay.misconception if self.overlay else [])

    @property
    def withheld(self) -> tuple[str, ...]:
        """Folders a worker must never read: the pack (it holds the reference) and the overlay."""
        return tuple(p for p in (self.folder, self.overlay_folder) if p)

    def summary(self, lang: str) -> str:
        text = self.spec.exercise.summary
        return text.ko if lang == "ko" else text.en


from grader.pack.catalogue import builtin_names, builtin_root  # noqa: E402  (where the packs that ship with the grader are)


_LOADED: dict[tuple[str, Optional[str]], Pack] = {}


def load(folder: str, overlay: Optional[str] = None) -> Pack:
    """The pack in ``folder`` (with the private ``overlay`` folder on top); :class:`PackError` if unusable."""
    key = (os.path.realpath(folder), os.path.realpath(overlay) if overlay else None)
    if key not in _LOADED:
        _LOADED[key] = _read(*key)
    return _LOADED[key]


def _read(folder: str, overlay_folder: Optional[str]) -> Pack:
    path = os.path.join(folder, "pack.toml")
    if not os.path.isfile(path):
        raise PackError(f"{folder}: no pack.toml. A pack is a folder with pack.toml, a reference solution and examples; `grade pack new NAME` writes one.")
    digest = hashlib.sha256()
    text = _read_text(path, digest)
    try:
        spec = specs.parse(text, path)
    except specs.SpecError as exc:
        raise PackError(str(exc)) from None
    assert isinstance(spec, specs.PackSpec)
    setups = {name: _setup(folder, name, setup, digest) for name, setup in spec.setup.items()}
    reference_path = os.path.join(folder, spec.exercise.reference)
    reference_text = _read_text(reference_path, digest)
    reference = _module(f"grader_pack_{spec.exercise.name}_reference", reference_path, reference_text)
    helpers: dict[str, Any] = {"reference": reference}
    for name in spec.exercise.helpers:
        helper_path = os.path.join(folder, name)
        _exec_into(helpers, helper_path, _read_text(helper_path, digest))
    overlay = None
    if overlay_folder is not None:
        overlay = _overlay(overlay_folder, spec, helpers, digest)
    if overlay is not None:
        setups.update({name: _setup(overlay_folder or folder, name, setup, digest) for name, setup in overlay.setup.items()})
    pack = Pack(folder, spec, reference_text, reference, helpers, digest.hexdigest()[:16], overlay, overlay_folder, setups)
    _validate(pack)
    _register_messages(pack)
    return pack


def _setup(folder: str, name: str, setup: specs.Setup, digest: Any) -> specs.Setup:
    if bool(setup.code) == bool(setup.file):
        raise PackError(f"{folder}: [setup.{name}] needs either `code` or `file`.")
    if setup.file:
        return specs.Setup(code=_read_text(os.path.join(folder, setup.file), digest))
    return setup


def _overlay(folder: str, spec: specs.PackSpec, helpers: dict[str, Any], digest: Any) -> specs.OverlaySpec:
    path = os.path.join(folder, "pack.toml")
    if not os.path.isfile(path):
        raise PackError(
            f"{folder}: a private overlay (--reference DIR) is a folder with pack.toml holding [[check]] entries for {spec.exercise.name} "
            f"(and the helpers they use); none found. See the README's 'Hidden checks' section."
        )
    text = _read_text(path, digest)
    try:
        overlay = specs.parse(text, path, specs.OverlaySpec)
    except specs.SpecError as exc:
        raise PackError(str(exc)) from None
    assert isinstance(overlay, specs.OverlaySpec)
    if overlay.exercise != spec.exercise.name:
        raise PackError(f"{path}: this overlay is for {overlay.exercise!r}, but the pack is {spec.exercise.name!r}.")
    for name in overlay.helpers:
        helper_path = os.path.join(folder, name)
        _exec_into(helpers, helper_path, _read_text(helper_path, digest))
    return overlay


def _read_text(path: str, digest: Any) -> str:
    try:
        with open(path, "rb") as handle:
            data = handle.read()
    except OSError as exc:
        raise PackError(f"{path}: cannot be read ({exc.strerror}).") from None
    digest.update(os.path.basename(path).encode() + b"\0" + data + b"\0")
    return data.decode("utf-8")


def _module(name: str, path: str, text: str) -> types.ModuleType:
    module = types.ModuleType(name)
    module.__file__ = path
    _exec_into(module.__dict__, path, text)
    return module


def _exec_into(namespace: dict[str, Any], path: str, text: str) -> None:
    """Run a pack's own file (trusted: the instructor's) without disturbing the grader's random state."""
    import torch

    state = torch.random.get_rng_state()
    try:
        exec(compile(text, path, "exec"), namespace)  # noqa: S102 -- the pack's own code, never a student's
    except Exception as exc:
        raise PackError(f"{path}: running it raised {type(exc).__name__}: {exc}") from None
    finally:
        torch.random.set_rng_state(state)


def _validate(pack: Pack) -> None:
    """What the schema cannot say: names that must exist, and agree with each other."""
    import inspect

    names = set()
    for function in pack.spec.function:
        if function.name in names:
            raise PackError(f"{pack.folder}: the function {function.name!r} is listed twice in pack.toml.")
        names.add(function.name)
        parameters = list(inspect.signature(pack.reference_function(function.name)).parameters)
        listed = [a.name for a in function.args]
        if parameters != listed:
            raise PackError(f"{pack.folder}: pack.toml lists the arguments of {function.name} as {listed}, the reference's signature has {parameters}.")
        for hook in (function.generated, function.tolerance, function.mismatch.params if function.mismatch else None):
            if hook is not None:
                pack.helper(hook)
        for setup in [*function.lecture.setup, *(s for c in function.divergent for s in c.setup)]:
            if setup not in pack.setups:
                raise PackError(f"{pack.folder}: {function.name} uses the setup {setup!r}, which has no [setup.{setup}] table.")
    for extra in pack.extra_checks:
        if extra.function not in names:
            raise PackError(f"{pack.folder}: the check {extra.name!r} is about {extra.function!r}, which pack.toml does not list.")
        if extra.generated is not None:
            pack.helper(extra.generated)
    for item in pack.misconceptions:
        if item.function not in names:
            raise PackError(f"{pack.folder}: the misconception {item.id!r} is about {item.function!r}, which pack.toml does not list.")
        if not item.source and not item.find:
            raise PackError(f"{pack.folder}: the misconception {item.id!r} needs `find` and `replace`, or `source`.")


def _register_messages(pack: Pack) -> None:
    register_messages(pack.folder, pack.spec, pack.overlay)


def register_messages(folder: str, spec: specs.PackSpec, overlay: Optional[specs.OverlaySpec] = None) -> None:
    """The pack's sentences join the catalogue, scoped to its exercise (see ``grader.pack.catalogue``)."""
    from grader import messages
    from grader.pack.catalogue import entries

    try:
        messages.extend(entries(folder, spec, overlay))
    except ValueError as exc:
        raise PackError(str(exc)) from None


def strip_solutions(text: str) -> str:
    """The reference's text with every solution block replaced by ``raise NotImplementedError``."""
    import re

    block = re.compile(rf"^([ \t]*){re.escape(SOLUTION_BEGIN)}\n.*?^[ \t]*{re.escape(SOLUTION_END)}\n", re.MULTILINE | re.DOTALL)
    return block.sub(lambda m: f'{m.group(1)}raise NotImplementedError("write your code here / 여기에 코드를 작성하세요")\n', text)


def to_plain(value: Any) -> Any:
    """A spec as plain data (for `grade pack check`'s report and tests)."""
    return msgspec.to_builtins(value)
