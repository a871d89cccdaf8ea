# expect: runtime-error
"""Asks for keyboard input while being graded."""


def train(X, y, What, alpha, epochs):
    epochs = int(input("how many epochs? "))
    return [], []
