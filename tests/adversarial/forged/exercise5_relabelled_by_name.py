# expect: python-loop
# why: the same double loop, relabelled without naming co_filename in the source (getattr and a built string); the lines it runs still count
import torch


def _fill(w0, w1, x, y):
    out = torch.zeros(len(w0), len(w1), dtype=x.dtype, device=x.device)
    for i in range(len(w0)):
        for j in range(len(w1)):
            out[i, j] = torch.sum((y - w0[i] - w1[j] * x) ** 2)
    return out


_code = getattr(_fill, "__" + "code" + "__")
_fill = type(_fill)(getattr(_code, "re" + "place")(**{"co_" + "filename": torch.__file__}), globals())


def loss_surface(w0, w1, x, y):
    return _fill(w0, w1, x, y)


def critical_alpha(X):
    return (1.0 / torch.linalg.eigvalsh(X.T @ X).max()).item()


def classify_alpha(X, alpha):
    lam_max = torch.linalg.eigvalsh(X.T @ X).max().item()
    if alpha >= 1.0 / lam_max:
        return "divergent"
    if alpha > 1.0 / (2.0 * lam_max):
        return "oscillating"
    return "monotone"
