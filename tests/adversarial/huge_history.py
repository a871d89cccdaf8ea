# expect: result-too-large
"""Returns a loss history of ten million entries."""


def train(X, y, What, alpha, epochs):
    What_history = [What.data.reshape(-1).tolist()] * (epochs + 1)
    return [0.5] * 10_000_000, What_history
