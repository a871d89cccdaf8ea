# expect: timeout
"""Loads fine, then never returns from train()."""
import torch


def train(X, y, What, alpha, epochs):
    loss_history = []
    while True:
        loss_history.append(0.0)
        loss_history.clear()
