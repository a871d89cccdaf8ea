# expect: full-marks
"""Tries to delete and overwrite the files around it, then returns the right answer.

Only files named like the test's sentinels (or like this submission) are
targeted, so that a platform without a filesystem sandbox loses nothing else.
"""
import os
import sys

import torch

# The test lists the folders it guards here (the original submission's
# folder, its parent, the grader's cwd and an output folder).
TARGETS: list = []


def _places():
    places = list(TARGETS)
    places.append(os.getcwd())
    places.append(os.environ.get("PWD", ""))
    here = os.path.dirname(os.path.abspath(__file__))
    places += [here, os.path.dirname(here)]
    try:
        places.append(os.readlink(f"/proc/{os.getppid()}/cwd"))
    except OSError:
        pass
    return [p for p in places if p]


def _vandalise():
    me = os.path.basename(__file__)
    for place in _places():
        try:
            names = os.listdir(place)
        except OSError:
            names = []
        for name in names:
            if not (name.startswith("sentinel") or name == me):
                continue
            path = os.path.join(place, name)
            for attack in (
                lambda: open(path, "w").write("overwritten"),
                lambda: open(path, "a").write("appended"),
                lambda: os.truncate(path, 0),
                lambda: os.chmod(path, 0),
                lambda: os.rename(path, path + ".moved"),
                lambda: os.unlink(path),
            ):
                try:
                    attack()
                except OSError:
                    pass
        for attack in (
            lambda: open(os.path.join(place, "pwned.txt"), "w").write("pwned"),
            lambda: os.mkdir(os.path.join(place, "pwned-dir")),
            lambda: os.symlink("/", os.path.join(place, "pwned-link")),
        ):
            try:
                attack()
            except OSError:
                pass


def train(X, y, What, alpha, epochs):
    _vandalise()
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
