"""An installed wheel (not only an editable checkout) carries the whole grader, the stubs and the references."""
import subprocess
import sys
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_wheel_carries_every_module_stub_reference_and_template(tmp_path: Path) -> None:
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "--no-build-isolation", "-w", str(tmp_path), str(ROOT)],
        check=True,
        capture_output=True,
        timeout=300,
    )
    (wheel,) = tmp_path.glob("grader-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    expected = {f"grader/{p.relative_to(ROOT / 'grader').as_posix()}" for p in (ROOT / "grader").rglob("*.py")}
    expected |= {f"grader/packs/{p.relative_to(ROOT / 'packs').as_posix()}" for p in (ROOT / "packs").rglob("*") if p.is_file() and "__pycache__" not in p.parts}
    expected |= {f"grader/exercises/{p.name}" for p in (ROOT / "exercises").glob("*.py")}
    expected |= {f"grader/exercises/{p.name}" for p in (ROOT / "exercises").glob("*.ipynb")}
    expected |= {"grader/exercises/.github/workflows/grade.yml"}
    expected |= {f"grader/report/templates/{p.name}" for p in (ROOT / "grader" / "report" / "templates").iterdir()}
    missing = sorted(expected - names)
    assert not missing, f"the wheel lacks {missing}: add the package to pyproject.toml"
    entry_points = next(n for n in names if n.endswith("entry_points.txt"))
    assert "grade = grader.cli.main:main" in zipfile.ZipFile(wheel).read(entry_points).decode()
