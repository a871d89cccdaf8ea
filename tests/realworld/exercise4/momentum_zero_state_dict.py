# expect: full-marks
# cause: correct variant: Linear built with dtype= and device= of What and filled by load_state_dict; SGD given momentum=0, dampening=0, weight_decay=0, nesterov=False explicitly
# cause-words: -
# inspired-by: https://github.com/pytorch/pytorch/issues/5949
import torch


def make_net(What):
    net = torch.nn.Linear(2, 1, bias=False, dtype=What.dtype, device=What.device)
    net.load_state_dict({"weight": What.detach().T})
    return net


def train_net(X, y, net, lr, epochs):
    loss_fn = torch.nn.MSELoss(reduction="mean")
    optimizr = torch.optim.SGD(net.parameters(), lr=lr, momentum=0, dampening=0, weight_decay=0, nesterov=False)
    history = []
    for _ in range(epochs):
        optimizr.zero_grad()
        loss = loss_fn(net(X), y)
        history.append(loss.item())
        loss.backward()
        optimizr.step()
    return history
