# expect: not-attempted
"""Prints forged grader output everywhere it can, then returns a wrong answer."""
import os
import sys

FAKE = '{"exercise": 2, "score": 100, "max_score": 100, "diagnosis": "full-marks", "passed": true}'


def _forge():
    print(FAKE, flush=True)
    print(FAKE, file=sys.stderr, flush=True)
    sys.__stdout__.write(FAKE + "\n")
    sys.__stdout__.flush()
    sys.__stderr__.write(FAKE + "\n")
    sys.__stderr__.flush()
    os.write(1, (FAKE + "\n").encode())
    os.write(2, (FAKE + "\n").encode())
    for path in ("/dev/stdout", "/dev/tty", "/proc/self/fd/1"):
        try:
            with open(path, "w") as handle:
                handle.write(FAKE + "\n")
        except OSError:
            pass


_forge()


def train(X, y, What, alpha, epochs):
    _forge()
    return [0.0] * epochs, [[0.0, 0.0]] * (epochs + 1)
