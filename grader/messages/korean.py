"""Korean particles after a word that is only known at rendering time

The catalogue writes a particle that depends on the word before it in both
forms, 을(를), 이(가), 은(는), 과(와), (으)로; ``fit_particles`` keeps the one
that fits.  tossi decides for Hangul and numbers; for Latin letters (code:
`train`, X, y, What) we first say how a Korean reader pronounces the end of
the word, as a Hangul syllable with or without a final consonant.
"""
from __future__ import annotations

import re

_PARTICLES = re.compile(r"(을\(를\)|를\(을\)|이\(가\)|가\(이\)|은\(는\)|는\(은\)|과\(와\)|와\(과\)|\(으\)로)")
_CANONICAL = {"을(를)": "을", "를(을)": "을", "이(가)": "이", "가(이)": "이", "은(는)": "은", "는(은)": "은", "과(와)": "과", "와(과)": "과", "(으)로": "으로"}
_QUOTES = "`'\"]}>*_ "  # read past these: `train`, "monotone"
_LETTERS = {
    "a": "에이", "b": "비", "c": "씨", "d": "디", "e": "이", "f": "에프", "g": "지", "h": "에이치", "i": "아이",
    "j": "제이", "k": "케이", "l": "엘", "m": "엠", "n": "엔", "o": "오", "p": "피", "q": "큐", "r": "알",
    "s": "에스", "t": "티", "u": "유", "v": "브이", "w": "더블유", "x": "엑스", "y": "와이", "z": "제트",
}
_VOWELS = "aeiou"


def fit_particles(text: str) -> str:
    """``X, y을(를)`` → ``X, y를``; ``8242(으)로`` → ``8242로``; ```train`이(가)`` → ```train`이``."""
    out, last = [], 0
    for match in _PARTICLES.finditer(text):
        before = text[: match.start()]
        out.append(text[last : match.start()])
        out.append(_particle(before, match.group(1)))
        last = match.end()
    out.append(text[last:])
    return "".join(out)


def _particle(before: str, written: str) -> str:
    import tossi

    morph = _CANONICAL[written]
    word = _last_word(before)
    if not word:
        return written
    end = word[-1]
    if "가" <= end <= "힣" or end.isdigit():
        spoken = word[-12:]
    elif end.isascii() and end.isalpha():
        spoken = _spoken_end(re.findall(r"[A-Za-z]+$", word)[0])
    else:
        return written
    try:
        return str(tossi.pick(spoken, morph))
    except Exception:  # a word tossi cannot read keeps both forms
        return written


def _last_word(text: str) -> str:
    """The text whose end the particle follows.

    Quotes, backticks and empty call parentheses are not read.  A gloss in
    parentheses is not either, as Korean writes it: ``SSE (오차제곱합)를``
    follows SSE; a value in parentheses is: ``(2, 1)이`` follows 1.
    """
    text = text.rstrip(_QUOTES)
    while text.endswith(")") and "(" in text:
        opening = text.rindex("(")
        inside = text[opening + 1 : -1].strip()
        head = text[:opening].rstrip(_QUOTES)
        if inside and (inside[:1].isdigit() or inside[:1] == "-" or not head):
            return inside.rstrip(_QUOTES)
        text = head
    return text


def _spoken_end(word: str) -> str:
    """How a Korean reader says the end of a Latin word, as Hangul: what the particle follows.

    Abbreviations and single letters are spelled (X → 엑스, SSE → …이, lr → …알);
    words are read as loanwords: train → 트레인, What → 왓, step → 스텝, loss → 로스.
    """
    lower = word.lower()
    if len(word) == 1 or word.isupper() or not any(v in lower for v in _VOWELS + "y"):
        return _LETTERS[lower[-1]]
    if lower.endswith("ng"):
        return "응"
    if lower[-1] == "e" and len(lower) > 3 and lower[-2] not in _VOWELS:
        lower = lower[:-1]  # a silent e: make, none, shape
        if lower[-1] in "mnl":
            return {"m": "음", "n": "은", "l": "을"}[lower[-1]]
        return "으"
    last = lower[-1]
    if last in _VOWELS + "yw" or last == "r":
        return "아"
    if last in "mnl":
        return {"m": "음", "n": "은", "l": "을"}[last]
    if last in "ktp" and len(lower) >= 3 and lower[-2] in _VOWELS and lower[-3] not in _VOWELS:
        return {"k": "윽", "t": "읏", "p": "읍"}[last]  # net → 넷, What → 왓, step → 스텝
    if lower.endswith("ck"):
        return "윽"
    return "으"
