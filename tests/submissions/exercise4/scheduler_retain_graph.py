# expect: full-marks
# why: a StepLR with gamma=1, zero_grad(set_to_none=False), backward(retain_graph=True), net.train(), logging under no_grad (red team, round 4)
import torch

def make_net(What):
    net = torch.nn.Linear(2, 1, bias=False)
    with torch.no_grad():
        net.weight.copy_(What.T)
    return net.to(What.device, What.dtype)

def train_net(X, y, net, lr, epochs):
    net.train()
    loss_fn = torch.nn.MSELoss()
    optimizr = torch.optim.SGD(net.parameters(), lr=lr)
    scheduler = torch.optim.lr_scheduler.StepLR(optimizr, step_size=1, gamma=1.0)
    loss_history = []
    for epoc in range(epochs):
        optimizr.zero_grad(set_to_none=False)
        yhat = net(X)
        loss = loss_fn(yhat, y)
        loss.backward(retain_graph=True)

        optimizr.step()
        scheduler.step()
        with torch.no_grad():
            loss_history.append(loss_fn(net(X), y).item() if False else loss.item())
    return loss_history
