# expect: full-marks
# why: a local LOSS in loss_surface and a module-level LOSS = loss_surface(...) as in the lecture's plot cell: no recursion (false-failure hunt 2)
import torch

torch.manual_seed(43052)
x,_ = torch.randn(100).sort()
eps = torch.randn(100)*0.5
X = torch.stack([torch.ones(100),x],axis=1)
W = torch.tensor([[2.5],[4.0]])
y = X@W + eps.reshape(100,1)
x = X[:,[1]]


def loss_surface(w0, w1, x, y):
    LOSS = torch.sum((y.reshape(1, 1, -1) - w0.reshape(-1, 1, 1) - w1.reshape(1, -1, 1) * x.reshape(1, 1, -1)) ** 2, axis=-1)
    return LOSS


def critical_alpha(X):
    return 1 / torch.linalg.eigvalsh(X.T @ X).max().item()


def classify_alpha(X, alpha):
    a = critical_alpha(X)
    if alpha >= a:
        return "divergent"
    elif alpha > a / 2:
        return "oscillating"
    return "monotone"


w0 = torch.arange(-6, 11, 0.5)
w1 = torch.arange(-6, 11, 0.5)
LOSS = loss_surface(w0, w1, x, y)
print(LOSS.shape)
