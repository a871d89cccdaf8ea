# expect: wrong-type
"""Returns an object whose unpickling (or copying) runs a shell command."""
import os
import tempfile

# The test points this at a path it watches; if anything ever unpickles or
# copies the returned object outside the sandbox, the file appears.
MARKER_PATH = ""


def _marker():
    return MARKER_PATH or os.path.join(tempfile.gettempdir(), "grader-reduce-payload-ran")


class Payload:
    def __reduce__(self):
        return (os.system, (f"touch {_marker()}",))

    def __reduce_ex__(self, protocol):
        return self.__reduce__()

    def __deepcopy__(self, memo):
        os.system(f"touch {_marker()}")
        return self

    def __float__(self):
        os.system(f"touch {_marker()}")
        return 0.0


def train(X, y, What, alpha, epochs):
    return [Payload() for _ in range(epochs)], Payload()
