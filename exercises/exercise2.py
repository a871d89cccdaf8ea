# Student stub: fill in each function, then run `grade exercise2.py`.
# 학생용 스텁: 각 함수를 완성한 뒤 `grade exercise2.py`로 채점하세요.
"""Exercise 2: the training loop.
연습 2: 학습 루프 (for epoc in range(epochs)) 작성하기.

Inputs are float32 tensors on the CPU, as in the lecture; one check also passes float64 tensors
on a GPU (cuda): a tensor you make must follow the inputs' dtype and device (dtype=X.dtype, device=X.device).
입력은 강의처럼 CPU의 float32 텐서입니다. 한 검사는 GPU(cuda)의 float64 텐서도 넘기므로,
새로 만드는 텐서는 입력의 dtype과 device를 따라야 합니다 (dtype=X.dtype, device=X.device).
"""
import torch


def train(X, y, What, alpha, epochs):
    """Run `epochs` gradient-descent steps on the SSE loss, updating What in place.
    SSE 손실로 경사하강법을 `epochs` 번(에폭) 반복하고, What을 제자리에서 업데이트하세요.

    Return (loss_history, What_history):
    (loss_history, What_history)를 반환하세요:
      loss_history: `epochs` losses, each computed before its update.
                    에폭마다 업데이트 전에 계산한 손실, 모두 `epochs` 개.
      What_history: `epochs + 1` entries [w0, w1], starting with the initial What.
                    초기값으로 시작하는 [w0, w1] 항목 `epochs + 1` 개.
    """
    raise NotImplementedError("write your code here / 여기에 코드를 작성하세요")
