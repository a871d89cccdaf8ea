"""The sentences of exercise packs, for the message catalogue: read from their files, nothing run.

A pack words sentences of the catalogue for itself (``[messages]`` in
``pack.toml``, and shared files it names), and its misconceptions bring their
own.  They join the catalogue scoped to the exercise (``key@exercise``, or
``key@exercise.function``), so that a message names only what exists there.
The packs that ship with the grader are read the first time a sentence is
worded for an exercise, whatever the command.
"""
from __future__ import annotations

import os
import tomllib
from importlib import resources
from typing import Optional

import msgspec

from grader.pack import spec as specs


def builtin_root() -> str:
    """The folder of the packs that ship with the grader (the lecture's five exercises)."""
    return str(resources.files("grader.packs"))


def builtin_names() -> list[str]:
    root = builtin_root()
    return sorted(name for name in os.listdir(root) if os.path.isfile(os.path.join(root, name, "pack.toml")))


def shared(folder: str, files: list[str]) -> dict[str, specs.Text]:
    """The ``[messages]`` of the files a pack shares with others, in order (``ValueError`` if one does not fit)."""
    out: dict[str, specs.Text] = {}
    for name in files:
        path = os.path.join(folder, name)
        try:
            with open(path, "rb") as handle:
                raw = tomllib.load(handle)
            out.update(msgspec.convert(raw, type=specs.MessagesFile).messages)
        except (OSError, tomllib.TOMLDecodeError, msgspec.ValidationError) as exc:
            raise ValueError(f"{path}: not a file of [messages] ({exc}).") from None
    return out


def entries(folder: str, spec: specs.PackSpec, overlay: Optional[specs.OverlaySpec] = None) -> dict[str, tuple[str, str]]:
    """Catalogue key -> (English, Korean) for one pack (and its private overlay)."""
    name = spec.exercise.name
    sentences = shared(folder, spec.exercise.messages)
    sentences.update(spec.messages)
    if overlay is not None:
        sentences.update(overlay.messages)
    out: dict[str, tuple[str, str]] = {}
    for key, text in sentences.items():
        # key@function: for one function of this pack; key: for the whole pack
        base, _, scope = key.partition("@")
        out[f"{base}@{name}.{scope}" if scope else f"{base}@{name}"] = (text.en, text.ko)
    for item in list(spec.misconception) + list(overlay.misconception if overlay else []):
        for part in ("title", "why", "fix"):
            sentence = getattr(item, part)
            if sentence is not None:
                out[f"misconception.{name}.{item.id}.{part}"] = (sentence.en, sentence.ko)
        if item.hint:
            out[f"misconception.{name}.{item.id}.hint"] = (item.hint, item.hint)
    if spec.exercise.title is not None:
        out[f"exercise.title@{name}"] = (spec.exercise.title.en, spec.exercise.title.ko)
    for function in spec.function:
        if function.title is not None:
            out[f"check.lecture@{name}.{function.name}"] = (function.title.en, function.title.ko)
    return out


def builtin_entries() -> dict[str, tuple[str, str]]:
    """The sentences of every pack that ships with the grader."""
    out: dict[str, tuple[str, str]] = {}
    root = builtin_root()
    for name in builtin_names():
        folder = os.path.join(root, name)
        path = os.path.join(folder, "pack.toml")
        with open(path, encoding="utf-8") as handle:
            spec = specs.parse(handle.read(), path)
        assert isinstance(spec, specs.PackSpec)
        out.update(entries(folder, spec))
    return out
