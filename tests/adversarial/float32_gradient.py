# expect: dtype-changed
"""Every loss and gradient is computed in float32 (X.float(), What.float()),
even when the inputs are float64.  Only the final update adds the float32
gradient to What in What's own dtype, so What's float64 values are not float32
numbers and _float64_in_fact (grader/checks/device.py), which only looks at
tensors, sees nothing; the histories are Python floats, which it never looks at.
Compare baselines/exercise2_float32.py: the same float32 training, written back
at the end, which loses the device point."""
import torch


def train(X, y, What, alpha, epochs):
    Xf, yf = X.float(), y.float()
    loss_history = []
    What_history = [What.data.reshape(-1).tolist()]
    for epoc in range(epochs):
        W32 = What.detach().float().requires_grad_(True)
        loss = torch.sum((yf - Xf @ W32) ** 2)
        loss.backward()
        What.data = What.data - alpha * W32.grad.to(What.dtype)
        loss_history.append(loss.item())
        What_history.append(What.data.reshape(-1).tolist())
    return loss_history, What_history
