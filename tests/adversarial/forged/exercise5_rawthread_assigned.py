# expect: tampering
# why: the double loop in a _thread.start_new_thread thread, loss_surface bound by assignment (red team, round 2)
import _thread
import torch


def _grid(w0, w1, x, y, out, done):
    for i in range(len(w0)):
        for j in range(len(w1)):
            out[i, j] = torch.sum((y - w0[i] - w1[j] * x) ** 2)
    done.release()


def _make():
    def surface(w0, w1, x, y):
        out = torch.zeros(len(w0), len(w1), dtype=x.dtype, device=x.device)
        done = _thread.allocate_lock()
        done.acquire()
        _thread.start_new_thread(_grid, (w0, w1, x, y, out, done))
        done.acquire()
        return out
    return surface


loss_surface = _make()


def critical_alpha(X):
    return (1.0 / torch.linalg.eigvalsh(X.T @ X).max()).item()


def classify_alpha(X, alpha):
    lam_max = torch.linalg.eigvalsh(X.T @ X).max().item()
    if alpha >= 1.0 / lam_max:
        return "divergent"
    if alpha > 1.0 / (2.0 * lam_max):
        return "oscillating"
    return "monotone"
