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


def test_every_diagnosis_code_is_explained() -> None:
    """Every code of the closed vocabulary (and every code string the package still writes) has a title, a why and a fix."""
    from grader.vocabulary import Code

    source = "\n".join(p.read_text(encoding="utf-8") for p in (ROOT / "grader").rglob("*.py"))
    codes = {c.value for c in Code} | set(re.findall(r'fail\(\s*"([a-z-]+)"', source))
    codes.add("too-large")
    for code in sorted(codes):
        for part in ("title", "why", "fix"):
            assert messages.has(f"diagnosis.{code}.{part}"), f"diagnosis.{code}.{part} is missing from the catalogue"


def test_default_language_follows_the_locale() -> None:
    assert messages.default_language({"LANG": "ko_KR.UTF-8"}) == "ko"
    assert messages.default_language({"LC_ALL": "en_US.UTF-8", "LANG": "ko_KR.UTF-8"}) == "en"
    assert messages.default_language({}) == "en"


# --------------------------------------------------------------------------
# a message names only what exists in the exercise it is shown for

from conftest import PACK6
from grader.authoring import pack_check
from grader.registry import EXERCISES

PARTS = pack_check.PARTS


@pytest.mark.parametrize("exercise", [*sorted(EXERCISES), "exercise6"])
def test_a_message_names_only_what_exists_in_its_exercise(exercise: str) -> None:
    """Every code's title, why, fix and hint, for every function of every pack, in both languages (`grade pack check`'s own rule)."""
    if exercise not in EXERCISES:
        EXERCISES.add(str(PACK6))
    for finding in pack_check.message_findings(EXERCISES[exercise].pack()):
        assert finding.ok, finding.detail


def _params(exercise: str, function: str) -> dict[str, object]:
    return pack_check.sample_params(EXERCISES[exercise].pack(), function)


def _code_names(code: str) -> set[str]:
    return pack_check._names_in(code)


def _codes() -> list[str]:
    return sorted({key.split(".")[1].split("@")[0] for key in messages.CATALOGUE if key.startswith("diagnosis.")})


def _diagnosis_text(code: str, exercise: str, function: str, lang: str = "en") -> str:
    params = _params(exercise, function)
    return "\n".join(messages.render(f"diagnosis.{code}.{part}", lang, **params) for part in PARTS if messages.has(messages.resolve(f"diagnosis.{code}.{part}", params)))


def test_exercise_4_clears_gradients_with_the_optimizer() -> None:
    text = _diagnosis_text("grad-not-cleared", "exercise4", "train_net")
    assert "optimizr.zero_grad()" in text and "without `()`" in text
    assert "What" not in text


def test_mse_alpha_explains_the_factor_n() -> None:
    text = _diagnosis_text("wrong-learning-rate", "exercise3", "mse_alpha")
    assert "n times smaller" in text
    assert "step 4" not in text.lower()
    assert "step 4" in _diagnosis_text("wrong-learning-rate", "exercise3", "train_mse")


@pytest.mark.parametrize("lang", messages.LANGUAGES)
def test_loss_surface_hints_name_neither_X_nor_What(lang: str) -> None:
    for code in _codes():
        key = f"diagnosis.{code}.hint"
        if messages.has(key):
            names = _code_names(messages.render(key, lang, **_params("exercise5", "loss_surface")))
            assert not names & {"X", "What"}, f"{messages.resolve(key, _params('exercise5', 'loss_surface'))}: {names}"


@pytest.mark.parametrize(
    "written, fitted",
    [
        ("X, y을(를) 바꿨습니다", "X, y를 바꿨습니다"),
        ("8242(으)로", "8242로"),
        ("1(으)로", "1로"),
        ("3(으)로", "3으로"),
        ("`train`이(가)", "`train`이"),
        ("`make_net`이(가)", "`make_net`이"),
        ("`loss_surface`이(가)", "`loss_surface`가"),
        ("What을(를)", "What을"),
        ("`net`을(를)", "`net`을"),
        ("`lr`과(와)", "`lr`과"),
        ("`alpha`과(와)", "`alpha`와"),
        ("SSE (오차제곱합)을(를)", "SSE (오차제곱합)를"),
        ("MSE (평균제곱오차)과(와)", "MSE (평균제곱오차)와"),
        ("크기가 (2, 1)이(가)", "크기가 (2, 1)이"),
        ("weight (1, 2)을(를)", "weight (1, 2)를"),
        ("float32이(가)", "float32가"),
        ("torch.optim.SGD, optimizr.step()을(를)", "torch.optim.SGD, optimizr.step()을"),
        ("(2, 1)이(가)", "(2, 1)이"),
    ],
)
def test_korean_particles_follow_the_word_before_them(written: str, fitted: str) -> None:
    assert messages.fit_particles(written) == fitted


def test_no_korean_message_keeps_both_particle_forms() -> None:
    import string

    for key, (_, ko) in messages.CATALOGUE.items():
        # Every field gets a value: a number where the field is formatted as one.
        params = {name: 8242 if spec else "X, y" for _, name, spec, _ in string.Formatter().parse(ko) if name}
        text = messages.render(messages.Message(key, params), "ko")
        assert not re.search(r"을\(를\)|이\(가\)|\(으\)로|과\(와\)|은\(는\)", text), f"{key}: {text}"


def test_english_text_quotes_no_korean() -> None:
    # e.g. the lecture's comment "# .T 를 해야함. 외우세요" belongs in the Korean hint only.
    for key, (en, _) in messages.CATALOGUE.items():
        assert not re.search(r"[가-힣]", en), f"{key}: {en}"
