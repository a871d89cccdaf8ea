"""The message catalogue: every sentence a student reads, in English and Korean side by side.

Keys are stable; parameters are ``str.format`` fields.  ``render`` picks the
language.  A test checks that every key has both texts and the same fields.
Korean uses the lecture's own terms: 학습률, 손실, 미분, 업데이트, 에폭.
"""
from __future__ import annotations

import os
import re
import string
from typing import Any, Mapping, Optional, Union

from grader.messages.diagnoses import DIAGNOSES
from grader.messages.korean import fit_particles
from grader.messages.texts import TEXTS
from grader.results import Message

LANGUAGES = ("en", "ko")

# key: (English, Korean)
CATALOGUE: dict[str, tuple[str, str]] = {**TEXTS, **DIAGNOSES}

_FORMATTER = string.Formatter()


def fields(text: str) -> set[str]:
    return {name for _, name, _, _ in _FORMATTER.parse(text) if name}


def render(message: Union[Message, str], lang: str = "en", **params: Any) -> str:
    """The text of a catalogue entry in ``lang`` with its parameters filled in.

    An exercise pack may word an entry for itself (``key@exercise4``) or one of
    its functions (``key@exercise4.train_net``), so that a message names only
    what exists there; the parameters ``exercise`` and ``function`` select
    them (see ``resolve``).  Korean particles written as ``을(를)`` or ``(으)로`` are
    fitted to the word before them once the parameters are in.
    """
    if isinstance(message, Message):
        key, all_params = message.key, {**message.params, **params}
    else:
        key, all_params = message, params
    en, ko = CATALOGUE[resolve(key, all_params)]
    text = ko if lang == "ko" else en
    try:
        text = text.format_map(_Lenient(all_params))
    except (ValueError, TypeError):
        pass
    # A sentence that ends in an optional part left empty ends without the space before it.
    text = text.rstrip()
    return fit_particles(text) if lang == "ko" else text


def resolve(key: str, params: Mapping[str, Any]) -> str:
    """The catalogue key that words ``key`` for the exercise and function in ``params``:
    a pack's ``key@<exercise>.<function>`` first, then its ``key@<exercise>``, then ``key`` itself."""
    exercise, function = params.get("exercise"), params.get("function")
    if isinstance(exercise, str):
        _read_builtin_packs()
    scopes = []
    if isinstance(exercise, str):
        if isinstance(function, str):
            scopes.append(f"{exercise}.{function}")
        scopes.append(exercise)
    for scope in scopes:
        if f"{key}@{scope}" in CATALOGUE:
            return f"{key}@{scope}"
    return key


_BUILTIN_READ = False


def _read_builtin_packs() -> None:
    """The packs that ship with the grader word sentences for their exercises: read them once,
    before the first sentence worded for an exercise (whichever command renders it)."""
    global _BUILTIN_READ
    if _BUILTIN_READ:
        return
    _BUILTIN_READ = True
    from grader.pack.catalogue import builtin_entries

    for key, value in builtin_entries().items():
        CATALOGUE.setdefault(key, value)


def has(key: str) -> bool:
    return key in CATALOGUE


def extend(entries: Mapping[str, tuple[str, str]]) -> None:
    """An exercise pack's sentences join the catalogue (its keys are scoped to it: ``key@exercise``)."""
    CATALOGUE.update(entries)


class _Lenient(dict):  # type: ignore[type-arg]
    """Missing parameters render as '?' rather than crashing a report."""

    def __missing__(self, key: str) -> str:
        return "?"


def default_language(environ: Optional[Mapping[str, str]] = None) -> str:
    """'ko' when the locale is Korean, else 'en'."""
    env = os.environ if environ is None else environ
    for name in ("LC_ALL", "LC_MESSAGES", "LANG", "LANGUAGE"):
        value = env.get(name)
        if value:
            return "ko" if value.lower().startswith("ko") else "en"
    return "en"
