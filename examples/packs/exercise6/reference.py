"""Exercise 6: logistic regression, the PyTorch way.
연습 6: 로지스틱 회귀 (파이토치식 코딩패턴).

The lecture's data / 강의 데이터:
    torch.manual_seed(43052)
    x = torch.linspace(-1, 1, 2000).reshape(2000, 1)
    u = -1 + 5*x
    v = torch.exp(u) / (1 + torch.exp(u))
    y = torch.bernoulli(v)
"""
import torch


def make_net(w0, w1):
    """Return torch.nn.Sequential(torch.nn.Linear(1, 1), torch.nn.Sigmoid()) whose bias is w0 and whose weight is w1.
    bias가 w0, weight가 w1인 torch.nn.Sequential(torch.nn.Linear(1, 1), torch.nn.Sigmoid())을 반환하세요.

    w0, w1: Python floats. The parameters are float32, as nn.Linear makes them.
    w0, w1은 파이썬 실수입니다. 파라메터는 nn.Linear가 만드는 대로 float32입니다.
    """
    # BEGIN SOLUTION
    net = torch.nn.Sequential(torch.nn.Linear(1, 1), torch.nn.Sigmoid())
    net[0].bias.data = torch.tensor([float(w0)])
    net[0].weight.data = torch.tensor([[float(w1)]])
    return net
    # END SOLUTION


def train_logistic(net, x, y, lr, epochs):
    """Train `net` in place: `epochs` updates with torch.nn.BCELoss() and torch.optim.SGD(net.parameters(), lr=lr).
    torch.nn.BCELoss()와 torch.optim.SGD(net.parameters(), lr=lr)로 net을 `epochs`번 업데이트하세요 (제자리에서).

    x, y: (n, 1) tensors (float32; float64 on a GPU in the device check), y holds 0s and 1s.
    x, y는 (n, 1) 텐서입니다 (float32; GPU 점검에서는 float64). y는 0과 1입니다.
    Return loss_history: the loss before each update, `epochs` numbers (floats or 0-d tensors).
    업데이트 전에 계산한 손실을 에폭마다 담은 loss_history(`epochs`개)를 반환하세요.
    """
    # BEGIN SOLUTION
    loss_fn = torch.nn.BCELoss()
    optimizer = torch.optim.SGD(net.parameters(), lr=lr)
    loss_history = []
    for epoc in range(epochs):
        yhat = net(x)  # step1
        loss = loss_fn(yhat, y)  # step2
        loss.backward()  # step3
        optimizer.step()  # step4
        optimizer.zero_grad()
        loss_history.append(loss.item())
    return loss_history
    # END SOLUTION
