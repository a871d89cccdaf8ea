# expect: full-marks
# why: w0.reshape(-1,1,1) + w1.reshape(1,-1,1)*x.T[None] broadcasting; critical_alpha returns a 0-d tensor (1/λmax) rather than a float
import torch


def loss_surface(w0, w1, x, y):
    yhat = w0.reshape(-1, 1, 1) + w1.reshape(1, -1, 1) * x.T[None]   # (len(w0), len(w1), n)
    return torch.sum((y.T[None] - yhat) ** 2, dim=-1)


def critical_alpha(X):
    lam = torch.linalg.eigvalsh(X.T @ X)   # 오름차순
    return 1 / lam[-1]


def classify_alpha(X, alpha):
    lam_max = torch.linalg.eigvalsh(X.T @ X)[-1].item()
    factor = 1 - 2 * alpha * lam_max   # 오차에 곱해지는 가장 큰 배율
    if alpha >= 1 / lam_max:
        return "divergent"
    if factor < 0:
        return "oscillating"
    return "monotone"
