# expect: full-marks
"""Leaves a detached sleeper, a double-forked daemon and a non-daemon thread behind,
then returns the right answer."""
import os
import subprocess
import sys
import threading
import time

import torch

# The test looks for processes whose command line contains this marker.
MARKER = "grader-adversarial-detached"


def _sleeper():
    code = "import time; time.sleep(10**6)"
    try:
        subprocess.Popen(
            [sys.executable, "-c", code, MARKER + "-popen"],
            start_new_session=True,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
    except OSError:
        pass
    try:
        if os.fork() == 0:
            try:
                os.setsid()
                if os.fork() == 0:
                    os.execv(sys.executable, [sys.executable, "-c", code, MARKER + "-daemon"])
            finally:
                os._exit(0)
    except OSError:
        pass
    threading.Thread(target=time.sleep, args=(10**6,), daemon=False).start()


def train(X, y, What, alpha, epochs):
    _sleeper()
    loss_history = []
    What_history = [What.data.reshape(-1).tolist()]
    for _ in range(epochs):
        loss = torch.sum((y - X @ What) ** 2)
        loss.backward()
        What.data = What.data - alpha * What.grad
        What.grad = None
        loss_history.append(loss.item())
        What_history.append(What.data.reshape(-1).tolist())
    return loss_history, What_history
