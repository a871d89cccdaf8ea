# expect: crashed
"""Leaves the process with status 0 from inside train(), skipping the reply."""
import os


def train(X, y, What, alpha, epochs):
    print("all tests passed", flush=True)
    os._exit(0)
