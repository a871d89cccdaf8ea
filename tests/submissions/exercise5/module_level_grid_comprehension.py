# expect: full-marks
# why: a module-level w0 built with a comprehension; loss_surface's parameter w0 is its own (false-failure hunt 2)
import torch

torch.manual_seed(43052)
x,_ = torch.randn(100).sort()
eps = torch.randn(100)*0.5
X = torch.stack([torch.ones(100),x],axis=1)
W = torch.tensor([[2.5],[4.0]])
y = X@W + eps.reshape(100,1)
x = X[:,[1]]


def loss_surface(w0, w1, x, y):
    yhat = w0.reshape(-1, 1, 1) + w1.reshape(1, -1, 1) * x.reshape(1, 1, -1)
    return torch.sum((y.reshape(1, 1, -1) - yhat) ** 2, axis=-1)


def critical_alpha(X):
    return 1 / torch.linalg.eigvalsh(X.T @ X).max().item()


def classify_alpha(X, alpha):
    a = critical_alpha(X)
    if alpha >= a:
        return "divergent"
    elif alpha > a / 2:
        return "oscillating"
    return "monotone"


w0 = torch.tensor([-6 + 0.5 * i for i in range(34)])
w1 = torch.tensor([-6 + 0.5 * i for i in range(34)])
print(loss_surface(w0, w1, x, y).shape)
