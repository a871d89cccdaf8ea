"""The message catalogue: every sentence in English and Korean, with the same parameters."""
import re
from pathlib import Path

import pytest

from grader import messages

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.parametrize("key", sorted(messages.CATALOGUE))
def test_every_message_has_both_languages_with_the_same_fields(key: str) -> None:
    en, ko = messages.CATALOGUE[key]
    assert en.strip() and ko.strip()
    fields_en = {f.replace("_ko", "") for f in messages.fields(en)}
    fields_ko = {f.replace("_ko", "") for f in messages.fields(ko)}
    assert fields_en == fields_ko, f"{key}: English uses {fields_en}, Korean {fields_ko}"


def test_korean_uses_the_lectures_terms() -> None:
    korean = " ".join(ko for _, ko in messages.CATALOGUE.values())
    for term in ("학습률", "손실", "미분", "업데이트", "에폭"):
        assert term in korean


def test_every_diagnosis_code_in_the_code_is_explained() -> None:
    source = "\n".join(p.read_text(encoding="utf-8") for p in (ROOT / "grader").rglob("*.py"))
    codes = set(re.findall(r'fail\(\s*"([a-z-]+)"', source)) | set(re.findall(r'Mutant\(\s*"([a-z-]+)"', source))
    codes |= {"timeout", "memory-limit", "crashed", "runtime-error", "not-implemented", "syntax-error", "invalid-notebook"}
    for code in sorted(codes):
        for part in ("title", "why", "fix"):
            assert messages.has(f"diagnosis.{code}.{part}"), f"diagnosis.{code}.{part} is missing from the catalogue"


def test_default_language_follows_the_locale() -> None:
    assert messages.default_language({"LANG": "ko_KR.UTF-8"}) == "ko"
    assert messages.default_language({"LC_ALL": "en_US.UTF-8", "LANG": "ko_KR.UTF-8"}) == "en"
    assert messages.default_language({}) == "en"
