# expect: full-marks
# why: the lecture's final pattern: nn.Linear(bias=False), net.weight.data = What.T ("외우세요"), MSELoss, SGD, step then zero_grad
import torch


def make_net(What):
    # step1을 위한 사전준비
    net = torch.nn.Linear(
        in_features=2,
        out_features=1,
        bias=False
    )
    net.weight.data = What.T  # .T 를 해야함. 외우세요
    return net


def train_net(X, y, net, lr, epochs):
    # step2를 위한 사전준비
    loss_fn = torch.nn.MSELoss()
    # step4를 위한 사전준비
    optimizr = torch.optim.SGD(net.parameters(), lr=lr)
    loss_history = []
    for epoc in range(epochs):
        # step1: yhat
        yhat = net(X)
        # step2: loss
        loss = loss_fn(yhat, y)
        # step3: 미분
        loss.backward()
        # step4: update
        optimizr.step()
        optimizr.zero_grad()
        loss_history.append(loss.item())
    return loss_history
