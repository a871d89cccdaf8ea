# expect: python-loop
# why: the double loop runs in a thread started at import and fed through queues (red team, round 3)
import queue
import threading

import torch

_jobs = queue.Queue()
_done = queue.Queue()


def _serve():
    while True:
        w0, w1, x, y = _jobs.get()
        out = torch.zeros(len(w0), len(w1), dtype=x.dtype, device=x.device)
        for i in range(len(w0)):
            for j in range(len(w1)):
                out[i, j] = torch.sum((y - w0[i] - w1[j] * x) ** 2)
        _done.put(out)


threading.Thread(target=_serve, daemon=True).start()


def loss_surface(w0, w1, x, y):
    _jobs.put((w0, w1, x, y))
    out = torch.zeros(len(w0), len(w1), dtype=x.dtype, device=x.device)
    return out + _done.get().to(out.device)


def critical_alpha(X):
    return (1.0 / torch.linalg.eigvalsh(X.T @ X).max()).item()


def classify_alpha(X, alpha):
    lam_max = torch.linalg.eigvalsh(X.T @ X).max().item()
    if alpha >= 1.0 / lam_max:
        return "divergent"
    if alpha > 1.0 / (2.0 * lam_max):
        return "oscillating"
    return "monotone"
