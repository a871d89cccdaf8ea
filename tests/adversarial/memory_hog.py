# expect: memory-limit
"""Allocates (and touches) memory in 256 MB chunks until something gives."""

chunks = []


def train(X, y, What, alpha, epochs):
    while True:
        chunks.append(bytearray(256 * 1024 * 1024))
