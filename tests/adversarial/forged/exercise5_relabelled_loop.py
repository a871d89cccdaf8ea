# expect: tampering
# why: a Python double loop in a class's static method, its code object relabelled so that it seems to belong to a library
import torch


class _Grid:
    @staticmethod
    def fill(w0, w1, x, y):
        out = torch.zeros(len(w0), len(w1), dtype=x.dtype, device=x.device)
        for i in range(len(w0)):
            for j in range(len(w1)):
                out[i, j] = torch.sum((y - w0[i] - w1[j] * x) ** 2)
        return out


_Grid.fill.__code__ = _Grid.fill.__code__.replace(co_filename=torch.__file__)


def loss_surface(w0, w1, x, y):
    return _Grid.fill(w0, w1, x, y)


def critical_alpha(X):
    return (1.0 / torch.linalg.eigvalsh(X.T @ X).max()).item()


def classify_alpha(X, alpha):
    lam_max = torch.linalg.eigvalsh(X.T @ X).max().item()
    if alpha >= 1.0 / lam_max:
        return "divergent"
    if alpha > 1.0 / (2.0 * lam_max):
        return "oscillating"
    return "monotone"
