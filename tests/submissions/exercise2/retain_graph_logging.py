# expect: full-marks
# why: backward(retain_graph=True), the loss logged under no_grad (red team, round 4)
import torch

def train(X, y, What, alpha, epochs):
    loss_history = []
    What_history = [What.tolist()[0] + What.tolist()[1]]
    for epoc in range(epochs):
        yhat = X @ What
        loss = torch.sum((y - yhat) ** 2)
        loss.backward(retain_graph=True)
        with torch.no_grad():
            logged = torch.sum((y - X @ What) ** 2)
        loss_history.append(logged.item())
        What.data = What.data - alpha * What.grad
        What.grad = None
        What_history.append(What.tolist()[0] + What.tolist()[1])
    return loss_history, What_history
