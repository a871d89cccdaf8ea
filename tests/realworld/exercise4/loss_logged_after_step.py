# expect: history-misaligned
# cause: the loss is logged by evaluating loss_fn(net(X), y) again after optimizr.step(), so each entry is the loss after the update (the next epoch's loss), not the one before it
# cause-words: after, update*|step()
# inspired-by: https://github.com/AUTOMATIC1111/stable-diffusion-webui/issues/3847
import torch


def make_net(What):
    net = torch.nn.Linear(2, 1, bias=False)
    net = net.to(device=What.device, dtype=What.dtype)
    net.weight.data = What.detach().T.clone()
    return net


def train_net(X, y, net, lr, epochs):
    loss_fn = torch.nn.MSELoss()
    optimizr = torch.optim.SGD(net.parameters(), lr=lr)
    loss_history = []
    for epoc in range(epochs):
        loss = loss_fn(net(X), y)
        loss.backward()
        optimizr.step()
        optimizr.zero_grad()
        with torch.no_grad():
            loss_history.append(loss_fn(net(X), y).item())  # 업데이트 결과 기록
    return loss_history
