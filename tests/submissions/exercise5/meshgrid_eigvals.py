# expect: full-marks
# why: torch.meshgrid(w0, w1, indexing='ij') like the lecture's W1,W0 = np.meshgrid(w1,w0); λmax via torch.linalg.eigvals(...).real; comparisons written bound-first
import torch


def loss_surface(w0, w1, x, y):
    W0, W1 = torch.meshgrid(w0, w1, indexing="ij")   # (len(w0), len(w1))
    # 관측값 축을 마지막에 추가
    yhat = W0.unsqueeze(-1) + W1.unsqueeze(-1) * x.reshape(1, 1, -1)
    LOSS = torch.sum((y.reshape(1, 1, -1) - yhat) ** 2, dim=2)
    return LOSS


def critical_alpha(X):
    lam_max = torch.linalg.eigvals(X.T @ X).real.max()
    return float(1 / lam_max)


def classify_alpha(X, alpha):
    lam_max = torch.linalg.eigvals(X.T @ X).real.max().item()
    if 1 / lam_max <= alpha:
        return "divergent"
    if 1 / (2 * lam_max) < alpha:
        return "oscillating"
    return "monotone"
