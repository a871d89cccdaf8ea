# expect: timeout
"""Sleeps (no CPU used, so only the wall-clock deadline can stop it)."""
import time


def train(X, y, What, alpha, epochs):
    time.sleep(10**6)
    return [], []
