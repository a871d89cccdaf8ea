# expect: syntax-error
# why: the double loop pasted from the lecture notes without its indentation: IndentationError (a SyntaxError)
import torch


def loss_surface(w0, w1, x, y):
    LOSS = torch.zeros(len(w0), len(w1))
    for i in range(len(w0)):
    for j in range(len(w1)):
    LOSS[i,j]=torch.sum((y-w0[i]-w1[j]*x)**2)
    return LOSS


def critical_alpha(X):
    return 1 / torch.linalg.eigvalsh(X.T @ X).max().item()


def classify_alpha(X, alpha):
    lam_max = torch.linalg.eigvalsh(X.T @ X).max().item()
    if alpha >= 1 / lam_max:
        return "divergent"
    elif alpha > 1 / (2 * lam_max):
        return "oscillating"
    return "monotone"
