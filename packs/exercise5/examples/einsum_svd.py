# expect: full-marks
# why: residuals broadcast and squared-summed with torch.einsum; λmax(X'X) as the largest singular value of X squared; monotone tested first
import torch


def loss_surface(w0, w1, x, y):
    x = x.reshape(-1)
    y = y.reshape(-1)
    # r[i,j,k] = y_k - w0_i - w1_j * x_k
    r = y - w0.reshape(-1, 1, 1) - torch.einsum("j,k->jk", w1, x)
    return torch.einsum("ijk,ijk->ij", r, r)


def critical_alpha(X):
    s_max = torch.linalg.svdvals(X)[0]   # X'X의 고유값 = X의 특이값^2
    return (1 / s_max ** 2).item()


def classify_alpha(X, alpha):
    lam_max = (torch.linalg.svdvals(X)[0] ** 2).item()
    if alpha <= 1 / (2 * lam_max):
        return "monotone"
    elif alpha < 1 / lam_max:
        return "oscillating"
    else:
        return "divergent"
