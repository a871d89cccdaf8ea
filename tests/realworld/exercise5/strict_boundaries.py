# expect: wrong-classification
# cause: classify_alpha tests the ranges with strict `<` (alpha < 1/(2λ) monotone), so exactly at alpha = 1/(2λmax), where the error is removed in one step, it answers "oscillating" instead of "monotone"
# cause-words: monotone, boundary|<=|>=|exactly
# inspired-by: https://imathworks.com/math/math-the-biggest-step-size-with-guaranteed-convergence-for-constant-step-size-gradient-descent-of-a-convex-function-with-lipschitz-continuous-gradient
import torch


def loss_surface(w0, w1, x, y):
    yhat = w0[:, None, None] + w1[None, :, None] * x.reshape(1, 1, -1)
    return ((y.reshape(1, 1, -1) - yhat) ** 2).sum(-1)


def critical_alpha(X):
    return 1.0 / torch.linalg.eigvalsh(X.T @ X)[-1].item()


def classify_alpha(X, alpha):
    lam = torch.linalg.eigvalsh(X.T @ X)[-1].item()
    if alpha < 1.0 / (2.0 * lam):
        return "monotone"
    elif alpha < 1.0 / lam:
        return "oscillating"
    else:
        return "divergent"
