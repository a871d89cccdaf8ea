# Student stub: fill in each function, then run `grade exercise5.py`.
# 학생용 스텁: 각 함수를 완성한 뒤 `grade exercise5.py`로 채점하세요.
"""Exercise 5: choosing the learning rate.
연습 5: 학습률 선택하기.

Inputs are float32 tensors on the CPU, as in the lecture; one check also passes float64 tensors
on a GPU (cuda): a tensor you make must follow the inputs' dtype and device (dtype=X.dtype, device=X.device).
입력은 강의처럼 CPU의 float32 텐서입니다. 한 검사는 GPU(cuda)의 float64 텐서도 넘기므로,
새로 만드는 텐서는 입력의 dtype과 device를 따라야 합니다 (dtype=X.dtype, device=X.device).
"""
import torch


def loss_surface(w0, w1, x, y):
    """Return LOSS with LOSS[i, j] = sum((y - w0[i] - w1[j]*x)**2), shape (len(w0), len(w1)).
    LOSS[i, j] = sum((y - w0[i] - w1[j]*x)**2) 인 (len(w0), len(w1)) 크기의 손실 곡면을 반환하세요.

    Compute it without Python loops (broadcasting). / 파이썬 for 문 없이 (브로드캐스팅으로) 계산하세요.
    x, y: (n, 1); w0, w1: 1-D tensors. / x, y는 (n, 1), w0와 w1은 1차원 텐서입니다.
    """
    raise NotImplementedError("write your code here / 여기에 코드를 작성하세요")


def critical_alpha(X):
    """Return the largest SSE learning rate for which gradient descent converges: 1/λmax(X'X).
    경사하강법(SSE)이 수렴하는 가장 큰 학습률 1/λmax(X'X)를 반환하세요.
    """
    raise NotImplementedError("write your code here / 여기에 코드를 작성하세요")


def classify_alpha(X, alpha):
    """Return "monotone", "oscillating" (converges but overshoots) or "divergent".
    학습률 alpha에서 경사하강법이 "monotone"(단조 수렴), "oscillating"(왔다갔다하며 수렴),
    "divergent"(발산) 중 무엇인지 반환하세요.

    The SSE update multiplies the error by I - 2*alpha*X'X. / SSE 업데이트는 오차에 I - 2*alpha*X'X를 곱합니다.
    """
    raise NotImplementedError("write your code here / 여기에 코드를 작성하세요")
