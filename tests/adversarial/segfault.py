# expect: crashed
"""Dereferences a null pointer through ctypes."""
import ctypes


def train(X, y, What, alpha, epochs):
    return ctypes.string_at(0), []
