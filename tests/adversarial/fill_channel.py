# expect: full-marks
"""Re-opens each of its descriptors for writing and fills what it can, then trains correctly.

Against a pipe, re-opening /proc/self/fd/N gives a write end of the grader's
request pipe, and filling it would block the grader's next write forever.
"""
import os

import torch


def _fill() -> None:
    for name in os.listdir("/proc/self/fd"):
        if int(name) <= 2:
            continue  # its own output: filling that is a print flood, tested elsewhere
        try:
            fd = os.open(f"/proc/self/fd/{name}", os.O_WRONLY | os.O_NONBLOCK)
        except OSError:
            continue
        try:
            for _ in range(16):  # 1 MiB: more than a pipe holds; /dev/null never fills
                os.write(fd, b"\0" * 65536)
        except OSError:
            pass


_fill()


def train(X, y, What, alpha, epochs):
    loss_history, What_history = [], [What.data.clone()]
    for epoch in range(epochs):
        yhat = X @ What
        loss = torch.sum((y - yhat) ** 2)
        loss.backward()
        What.data = What.data - alpha * What.grad
        What.grad = None
        loss_history.append(loss.item())
        What_history.append(What.data.clone())
    return loss_history, What_history
