"""The exercises this grader knows: their names, summaries, functions and checks."""
from __future__ import annotations

import importlib
import importlib.util
import os
import re
from types import ModuleType
from dataclasses import dataclass
from typing import TYPE_CHECKING, Optional

if TYPE_CHECKING:
    from grader.checks import Check


@dataclass(frozen=True)
class Exercise:
    name: str
    summary: str
    summary_ko: str
    checks_module: str

    def functions(self, reference_dir: Optional[str] = None) -> list[str]:
        return list(self._module(reference_dir).FUNCTIONS)

    def checks(self, reference_dir: Optional[str] = None) -> list["Check"]:
        return list(self._module(reference_dir).checks())

    def _module(self, reference_dir: Optional[str]) -> ModuleType:
        """The built-in checks, or an instructor's private ones (``DIR/exerciseN.py``)."""
        if reference_dir is None:
            return importlib.import_module(self.checks_module)
        path = os.path.join(reference_dir, f"{self.name}.py")
        if not os.path.exists(path):
            return importlib.import_module(self.checks_module)
        spec = importlib.util.spec_from_file_location(f"grader_private_{self.name}", path)
        if spec is None or spec.loader is None:
            raise ImportError(f"cannot load private checks from {path}")
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        return module


EXERCISES: dict[str, Exercise] = {
    e.name: e
    for e in [
        Exercise("exercise1", "one gradient step by hand: predict, sse_loss, gradient_step", "경사하강법 한 스텝 직접 구현: predict, sse_loss, gradient_step", "grader.checks.exercise1"),
        Exercise("exercise2", "the training loop on the SSE loss: train", "SSE 손실로 학습 루프 작성: train", "grader.checks.exercise2"),
        Exercise("exercise3", "from SSE to MSE: mse_loss, train_mse, mse_alpha, closed_form", "SSE에서 MSE로: mse_loss, train_mse, mse_alpha, closed_form", "grader.checks.exercise3"),
        Exercise("exercise4", "the PyTorch pattern: make_net, train_net with nn.Linear, MSELoss, optim.SGD", "파이토치식 코딩패턴: make_net, train_net (nn.Linear, MSELoss, optim.SGD)", "grader.checks.exercise4"),
        Exercise("exercise5", "choosing the learning rate: loss_surface, critical_alpha, classify_alpha", "학습률 선택: loss_surface, critical_alpha, classify_alpha", "grader.checks.exercise5"),
    ]
}

_NAME = re.compile(r"exercise[_-]?(\d+)", re.IGNORECASE)


def detect(filename: str) -> Optional[str]:
    """The exercise a file name refers to: exercise3.py, hw_exercise3_kim.ipynb, Exercise_3.py."""
    for match in _NAME.finditer(filename):
        name = f"exercise{int(match.group(1))}"
        if name in EXERCISES:
            return name
    return None
