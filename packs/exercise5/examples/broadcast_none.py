# expect: full-marks
# why: loss_surface by indexing with None (w0[:,None,None], w1[None,:,None]); eigvalsh for λmax; comparisons as in the docstring
import torch


def loss_surface(w0, w1, x, y):
    # LOSS[i,j] = sum((y - w0[i] - w1[j]*x)**2)
    xx = x.reshape(-1)[None, None, :]
    yy = y.reshape(-1)[None, None, :]
    yhat = w0[:, None, None] + w1[None, :, None] * xx
    return ((yy - yhat) ** 2).sum(axis=-1)


def critical_alpha(X):
    lam = torch.linalg.eigvalsh(X.T @ X)
    return 1 / lam.max().item()


def classify_alpha(X, alpha):
    lam_max = torch.linalg.eigvalsh(X.T @ X).max().item()
    if alpha >= 1 / lam_max:
        return "divergent"
    elif alpha > 1 / (2 * lam_max):
        return "oscillating"
    else:
        return "monotone"
