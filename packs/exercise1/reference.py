"""Exercise 1: one gradient step by hand.
연습 1: 경사하강법 한 스텝을 직접 구현하기.

The four steps of the lecture:
    step1: yhat = X @ What
    step2: loss = torch.sum((y - yhat) ** 2)
    step3: loss.backward()
    step4: What.data = What.data - alpha * What.grad; What.grad = None

Inputs are float32 tensors on the CPU, as in the lecture; one check also passes float64 tensors
on a GPU (cuda): a tensor you make must follow the inputs' dtype and device (dtype=X.dtype, device=X.device).
입력은 강의처럼 CPU의 float32 텐서입니다. 한 검사는 GPU(cuda)의 float64 텐서도 넘기므로,
새로 만드는 텐서는 입력의 dtype과 device를 따라야 합니다 (dtype=X.dtype, device=X.device).
"""
import torch


def predict(X, What):
    """Return yhat = X @ What, with shape (n, 1).
    yhat = X @ What 를 계산해 (n, 1) 크기로 반환하세요.

    X: (n, 2), its first column is ones. / 첫 번째 열이 1인 (n, 2) 행렬
    What: (2, 1), the current estimate of W. / W의 현재 추정값
    """
    # BEGIN SOLUTION
    return X @ What
    # END SOLUTION


def sse_loss(yhat, y):
    """Return the sum of squared errors, sum((y - yhat)**2), as a tensor holding one number
    (shape (), or (1, 1) as (y - yhat).T @ (y - yhat) gives; not a Python float: gradient_step calls backward() on it).
    오차제곱합(SSE) sum((y - yhat)**2)을 숫자 하나를 담은 텐서로 반환하세요
    (크기 () 또는 (1, 1); 파이썬 float는 안 됩니다: backward()를 호출해야 합니다).
    """
    # BEGIN SOLUTION
    return torch.sum((y - yhat) ** 2)
    # END SOLUTION


def gradient_step(X, y, What, alpha):
    """Do step 1 to step 4 once and return the loss computed before the update.
    step1~step4를 한 번 수행하고, 업데이트 전에 계산한 손실(loss)을 반환하세요.

    Update What in place (the same tensor object) and leave What.grad cleared.
    What은 같은 텐서 객체를 제자리에서 업데이트하고, What.grad는 비워 두세요(None 또는 0).
    """
    # BEGIN SOLUTION
    yhat = predict(X, What)  # step1
    loss = sse_loss(yhat, y)  # step2
    loss.backward()  # step3
    What.data = What.data - alpha * What.grad  # step4
    What.grad = None
    return loss
    # END SOLUTION
