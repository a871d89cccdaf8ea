"""Exercise 3: from SSE to MSE.
연습 3: SSE에서 MSE로.

Inputs are float32 tensors on the CPU, as in the lecture; one check also passes float64 tensors
on a GPU (cuda): a tensor you make must follow the inputs' dtype and device (dtype=X.dtype, device=X.device).
입력은 강의처럼 CPU의 float32 텐서입니다. 한 검사는 GPU(cuda)의 float64 텐서도 넘기므로,
새로 만드는 텐서는 입력의 dtype과 device를 따라야 합니다 (dtype=X.dtype, device=X.device).
"""
import torch


def mse_loss(yhat, y):
    """Return the mean squared error, mean((y - yhat)**2), as a tensor holding one number
    (shape (), or (1, 1) as (y - yhat).T @ (y - yhat) gives; not a Python float: train_mse calls backward() on it).
    평균제곱오차(MSE) mean((y - yhat)**2)를 숫자 하나를 담은 텐서로 반환하세요
    (크기 () 또는 (1, 1); 파이썬 float는 안 됩니다: backward()를 호출해야 합니다).
    """
    # BEGIN SOLUTION
    return torch.mean((y - yhat) ** 2)
    # END SOLUTION


def train_mse(X, y, What, alpha, epochs):
    """Same contract as exercise 2's train, with the MSE loss.
    연습 2의 train과 같은 규칙으로, 손실만 MSE로 바꾸어 학습하세요.

    Return (loss_history, What_history) / (loss_history, What_history)를 반환하세요.
    """
    # BEGIN SOLUTION
    loss_history = []
    What_history = [What.data.reshape(-1).tolist()]
    for epoc in range(epochs):
        yhat = X @ What  # step1
        loss = mse_loss(yhat, y)  # step2
        loss.backward()  # step3
        What.data = What.data - alpha * What.grad  # step4
        What.grad = None
        loss_history.append(loss.item())
        What_history.append(What.data.reshape(-1).tolist())
    return loss_history, What_history
    # END SOLUTION


def mse_alpha(sse_alpha, n):
    """Return the MSE learning rate that reproduces the SSE trajectory of `sse_alpha` on n observations.
    n개의 관측값에서 SSE 학습률 `sse_alpha`와 같은 경로를 만드는 MSE 학습률을 반환하세요.
    """
    # BEGIN SOLUTION
    return sse_alpha * n
    # END SOLUTION


def closed_form(X, y):
    """Return (X'X)^-1 X'y with shape (2, 1): the least-squares solution.
    (X'X)^-1 X'y 를 (2, 1) 크기로 반환하세요 (회귀분석의 해).
    """
    # BEGIN SOLUTION
    return torch.linalg.inv(X.T @ X) @ X.T @ y
    # END SOLUTION
