# expect: runtime-error
# why: critical_alpha and classify_alpha call np.linalg.eigvalsh like the lecture's numpy cells, but numpy is never imported (NameError)
import torch


def loss_surface(w0, w1, x, y):
    yhat = w0[:, None, None] + w1[None, :, None] * x.reshape(1, 1, -1)
    return ((y.reshape(1, 1, -1) - yhat) ** 2).sum(-1)


def critical_alpha(X):
    return 1 / np.linalg.eigvalsh((X.T @ X).numpy()).max()


def classify_alpha(X, alpha):
    lam_max = np.linalg.eigvalsh((X.T @ X).numpy()).max()
    if alpha >= 1 / lam_max:
        return "divergent"
    elif alpha > 1 / (2 * lam_max):
        return "oscillating"
    return "monotone"
