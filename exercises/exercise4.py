# Student stub: fill in each function, then run `grade exercise4.py`.
# 학생용 스텁: 각 함수를 완성한 뒤 `grade exercise4.py`로 채점하세요.
"""Exercise 4: the PyTorch coding pattern (net, loss_fn, optimizer).
연습 4: 파이토치식 코딩패턴 (net, loss_fn, optimizr).

Inputs are float32 tensors on the CPU, as in the lecture; one check also passes float64 tensors
on a GPU (cuda): a tensor you make must follow the inputs' dtype and device (dtype=X.dtype, device=X.device).
입력은 강의처럼 CPU의 float32 텐서입니다. 한 검사는 GPU(cuda)의 float64 텐서도 넘기므로,
새로 만드는 텐서는 입력의 dtype과 device를 따라야 합니다 (dtype=X.dtype, device=X.device).
"""
import torch


def make_net(What):
    """Return torch.nn.Linear(2, 1, bias=False) whose weight holds What transposed.
    가중치가 What의 전치(.T)인 torch.nn.Linear(2, 1, bias=False)를 반환하세요.

    What: (2, 1). nn.Linear stores its weight as (1, 2). / nn.Linear의 weight는 (1, 2) 크기입니다.
    """
    raise NotImplementedError("write your code here / 여기에 코드를 작성하세요")


def train_net(X, y, net, lr, epochs):
    """Train `net` in place with torch.nn.MSELoss() and torch.optim.SGD(net.parameters(), lr=lr).
    torch.nn.MSELoss()와 torch.optim.SGD(net.parameters(), lr=lr)로 net을 학습하세요.

    Each epoch: yhat = net(X); loss = loss_fn(yhat, y); loss.backward();
    optimizr.step(); optimizr.zero_grad().  Return loss_history (`epochs` losses,
    each computed before its update). / 업데이트 전 손실을 담은 loss_history를 반환하세요.
    """
    raise NotImplementedError("write your code here / 여기에 코드를 작성하세요")
