"""Workers inherit what student code imports, and nothing that knows an answer (issue 19).

The fork server loads, by group, what the run's submissions use (read off
their text): a notebook's import cell then finds numpy, matplotlib on Agg
and IPython already there, and a first ``torch.optim.SGD`` imports nothing.
What it loads is third-party code, and loading it draws no random number.
"""
from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import nbformat
import pytest

from grader.worker import zygote

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="workers are Linux-only")

NOTEBOOK_RUNNER = {"function": "grader.worker.notebook_fast:run_fast", "kwargs": {"cell_timeout": 10.0, "notebook_timeout": 20.0}}

# What the worker had before the student's first line ran, and what its optimizer imported.
PROBE = """
import sys
BEFORE = [name for name in ("numpy", "matplotlib.pyplot", "IPython.core.interactiveshell", "torch._dynamo") if name in sys.modules]
GRADER = sorted(m for m in sys.modules if m.startswith("grader.") and not m.startswith("grader.worker"))
"""
TRAIN = """
def train(X, y, What, alpha, epochs):
    import torch
    import matplotlib
    count = len(sys.modules)
    torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=0.1).step()
    return [BEFORE, GRADER, matplotlib.get_backend().lower(), len(sys.modules) - count]
"""


def _returned(path: Path, spec: Any = None) -> Any:
    """What ``train`` returns, from a worker of a fork server of its own.

    A fresh grader process, as the command line starts one: what this test
    has the server preload (torch._dynamo among it) stays out of the server
    that the other tests share.
    """
    script = textwrap.dedent(
        f"""
        import json
        from grader.worker import zygote
        zygote.start()
        from grader.execution.session import Session
        from grader.worker.sandbox.limits import Limits
        session = Session({str(path)!r}, ["train"], Limits(timeout=30, memory=1024**3), spec={spec!r})
        try:
            load = session.start()
            outcome = session.call("train", [1, 2, 3, 4, 5], quiet=True) if load.functions["train"] else None
        finally:
            info = session.close()
        print(json.dumps([outcome is not None and outcome.ok, outcome.returned if outcome is not None and outcome.ok else None, info.stderr.text[-2000:]]))
        """
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    ok, returned, stderr = json.loads(done.stdout.strip().splitlines()[-1])
    assert ok, stderr
    return returned


def _notebook(tmp_path: Path, *cells: str) -> Path:
    path = tmp_path / "exercise2.ipynb"
    nbformat.write(nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(textwrap.dedent(c)) for c in cells]), str(path))
    return path


def test_a_notebook_s_imports_and_first_optimizer_are_already_in_its_worker(tmp_path: Path) -> None:
    path = _notebook(tmp_path, PROBE, "import numpy as np\nimport matplotlib.pyplot as plt\nfrom torch import optim", TRAIN)
    before, grader_modules, backend, imported = _returned(path, NOTEBOOK_RUNNER)
    assert before == ["numpy", "matplotlib.pyplot", "IPython.core.interactiveshell", "torch._dynamo"]
    assert backend == "agg"
    assert imported == 0, "the first optimizer step imported modules in the worker"
    assert grader_modules == []


def test_a_file_that_names_none_of_them_needs_only_torch(tmp_path: Path) -> None:
    plain = tmp_path / "plain.py"
    plain.write_text("import torch\n\ndef train(X, y, What, alpha, epochs):\n    return X\n")
    assert zygote.needs(str(plain), notebook=False) == ["torch"]
    both = tmp_path / "both.py"
    both.write_text("import numpy as np\nimport matplotlib.pyplot as plt\nimport torch\nopt = torch.optim.SGD\n")
    assert zygote.needs(str(both), notebook=False) == ["torch", "numpy", "matplotlib", "optim"]
    path = _notebook(tmp_path, "import torch")
    assert zygote.needs(str(path), notebook=True) == ["torch", "ipython"]
    assert zygote.needs(str(tmp_path / "missing.py"), notebook=False) == ["torch"]
    assert zygote.needs_of_all([(str(both), False), (str(path), True)]) == ["torch", "ipython", "numpy", "matplotlib", "optim"]


def test_preloading_draws_no_random_number(tmp_path: Path) -> None:
    """torch's generator is where the interpreter's start left it: nothing drew from it before the student's code."""
    untouched = """
    import torch
    seed, state = torch.initial_seed(), torch.get_rng_state()
    torch.manual_seed(seed)
    UNTOUCHED = bool(torch.equal(state, torch.get_rng_state()))
    """
    path = _notebook(tmp_path, untouched, "import numpy as np\nimport matplotlib.pyplot as plt\nfrom torch import optim", "def train(X, y, What, alpha, epochs):\n    return UNTOUCHED")
    assert _returned(path, NOTEBOOK_RUNNER) is True


def test_every_preload_step_loads_third_party_code_only() -> None:
    """Run in a fresh interpreter, as the fork server would: no grader module beyond the worker's own
    appears, and nothing stays in the line cache (where a submission could read source files)."""
    script = textwrap.dedent(
        """
        import sys
        import grader.worker.runtime
        from grader.worker import zygote

        before = {m for m in sys.modules if m.startswith("grader")}
        preloader = zygote._Preloader()
        preloader.ask(list(zygote.PRELOADS))
        while preloader.queue:
            preloader.step()
        import linecache
        assert not linecache.cache, sorted(linecache.cache)  # a worker's line cache starts empty
        for group, steps in zygote.PRELOADS.items():
            for step in steps:
                step()  # each step works (a failing one would be skipped silently in the server)
        grader = sorted({m for m in sys.modules if m.startswith("grader")} - before)
        print(grader)
        """
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    added = eval(done.stdout.strip().splitlines()[-1])
    assert all(zygote.is_runtime(name) for name in added), added
