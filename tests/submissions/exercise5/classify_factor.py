# expect: wrong-type
# why: classify_alpha returns the number 1 - 2*alpha*λmax (the error multiplier) instead of a category string
import torch


def loss_surface(w0, w1, x, y):
    yhat = w0[:, None, None] + w1[None, :, None] * x.reshape(1, 1, -1)
    return ((y.reshape(1, 1, -1) - yhat) ** 2).sum(-1)


def critical_alpha(X):
    return 1 / torch.linalg.eigvalsh(X.T @ X).max().item()


def classify_alpha(X, alpha):
    lam_max = torch.linalg.eigvalsh(X.T @ X).max().item()
    factor = 1 - 2 * alpha * lam_max
    # |factor|<1 수렴, factor<0 왔다갔다, |factor|>=1 발산
    return factor
