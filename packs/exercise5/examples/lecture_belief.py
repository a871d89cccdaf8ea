# expect: wrong-classification
# why: hard-codes what the animations seemed to show (0.0083 "왔다갔다하며 수렴", 0.0085 diverges) instead of using λmax(X'X)
import torch


def loss_surface(w0, w1, x, y):
    yhat = w0[:, None, None] + w1[None, :, None] * x.reshape(1, 1, -1)
    return ((y.reshape(1, 1, -1) - yhat) ** 2).sum(-1)


def critical_alpha(X):
    return 1 / torch.linalg.eigvalsh(X.T @ X).max().item()


def classify_alpha(X, alpha):
    # 강의 애니메이션: 0.001 수렴, 0.0083 왔다갔다, 0.0085 발산
    if alpha >= 0.0085:
        return "divergent"
    elif alpha >= 0.0083:
        return "oscillating"
    return "monotone"
