"""The private overlay's own cases: longer runs than the public checks try (run in the grader only)."""


def long_runs():
    return training(max_epochs=60).filter(lambda call: call["epochs"] > 30)
