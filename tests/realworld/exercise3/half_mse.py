# expect: wrong-loss
# cause: the MSE is written with the textbook 1/(2n) convention (mean of squares divided by 2), so the loss and every gradient are exactly half of the lecture's MSE
# cause-words: half|1/2
# inspired-by: https://imathworks.com/math/math-the-biggest-step-size-with-guaranteed-convergence-for-constant-step-size-gradient-descent-of-a-convex-function-with-lipschitz-continuous-gradient
import torch


def mse_loss(yhat, y):
    return torch.mean((y - yhat) ** 2) / 2  # J = 1/(2n) * sum(e^2)


def train_mse(X, y, What, alpha, epochs):
    loss_history = []
    What_history = [What.data.reshape(-1).tolist()]
    for epoc in range(epochs):
        loss = mse_loss(X @ What, y)
        loss.backward()
        What.data = What.data - alpha * What.grad
        What.grad = None
        loss_history.append(loss.item())
        What_history.append(What.data.reshape(-1).tolist())
    return loss_history, What_history


def mse_alpha(sse_alpha, n):
    return sse_alpha * n


def closed_form(X, y):
    return torch.linalg.inv(X.T @ X) @ X.T @ y
