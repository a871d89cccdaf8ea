# expect: not-implemented
# why: the untouched stub of exercise 3: every function still raises NotImplementedError
"""Exercise 3: from SSE to MSE.
연습 3: SSE에서 MSE로.
"""
import torch


def mse_loss(yhat, y):
    """Return the mean squared error, mean((y - yhat)**2), as a scalar tensor.
    평균제곱오차(MSE) mean((y - yhat)**2)를 스칼라 텐서로 반환하세요.
    """
    raise NotImplementedError


def train_mse(X, y, What, alpha, epochs):
    """Same contract as exercise 2's train, with the MSE loss.
    연습 2의 train과 같은 규칙으로, 손실만 MSE로 바꾸어 학습하세요.

    Return (loss_history, What_history) / (loss_history, What_history)를 반환하세요.
    """
    raise NotImplementedError


def mse_alpha(sse_alpha, n):
    """Return the MSE learning rate that reproduces the SSE trajectory of `sse_alpha` on n observations.
    n개의 관측값에서 SSE 학습률 `sse_alpha`와 같은 경로를 만드는 MSE 학습률을 반환하세요.
    """
    raise NotImplementedError


def closed_form(X, y):
    """Return (X'X)^-1 X'y with shape (2, 1): the least-squares solution.
    (X'X)^-1 X'y 를 (2, 1) 크기로 반환하세요 (회귀분석의 해).
    """
    raise NotImplementedError
