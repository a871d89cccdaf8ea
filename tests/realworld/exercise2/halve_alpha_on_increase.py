# expect: wrong-learning-rate
# cause: train halves alpha whenever the loss goes up ("to stop the divergence"), so at a divergent alpha the steps shrink instead of showing the divergence the exercise asks for
# cause-words: learning rate|alpha, chang*|halv*|reduc*|decay*
# inspired-by: https://kiwix.lema.org/stackoverflow.com_en_all_2023-11/questions/48335501/how-to-know-correct-learning-rate-for-gradientdescentoptimizer-in-tensorflow
import torch


def train(X, y, What, alpha, epochs):
    loss_history = []
    What_history = [What.data.reshape(-1).tolist()]
    prev = None
    for epoc in range(epochs):
        yhat = X @ What
        loss = torch.sum((y - yhat) ** 2)
        if prev is not None and loss.item() > prev:
            alpha = alpha / 2  # 발산하면 학습률을 줄인다
        loss.backward()
        What.data = What.data - alpha * What.grad
        What.grad = None
        prev = loss.item()
        loss_history.append(loss.item())
        What_history.append(What.data.reshape(-1).tolist())
    return loss_history, What_history
