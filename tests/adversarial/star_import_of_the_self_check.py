# expect: full-marks
# why (red team): false `imports-grader` on an honest self-check written as `from grader import *` then `check()`
import torch
from grader import *


def train(X, y, What, alpha, epochs):
    loss_history = []
    What_history = [What.data.reshape(-1).tolist()]
    for _ in range(epochs):
        loss = torch.sum((y - X @ What) ** 2)
        loss_history.append(loss.item())
        loss.backward()
        with torch.no_grad():
            What -= alpha * What.grad
        What.grad = None
        What_history.append(What.data.reshape(-1).tolist())
    return loss_history, What_history


if __name__ == "__main__":
    check("exercise2")
