# expect: not-attempted
# why (red team): odd return / hostile object (v09_nan_everything): try to crash or mis-score the grader
import torch

def train(X, y, What, alpha, epochs):
    with torch.no_grad(): What.fill_(float("nan"))
    return [float("nan")] * epochs, [[float("nan"), float("inf")]] * (epochs + 1)
