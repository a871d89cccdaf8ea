# expect: full-marks
"""Tries to phone home over TCP (and to open a listener), then returns the right answer."""
import socket

import torch

# The test opens a listener on 127.0.0.1 and writes its port here.
PORT = 0


def _phone_home():
    for port in [PORT] if PORT else [80, 8000, 8080]:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5) as conn:
                conn.sendall(b"exfiltrated answers\n")
        except OSError:
            pass
    try:
        server = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        server.bind(("127.0.0.1", 0))
        server.listen()
        server.close()
    except OSError:
        pass
    try:
        udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        udp.sendto(b"exfiltrated answers\n", ("127.0.0.1", PORT or 9))
        udp.close()
    except OSError:
        pass


def train(X, y, What, alpha, epochs):
    _phone_home()
    loss_history = []
    What_history = [What.data.reshape(-1).tolist()]
    for _ in range(epochs):
        loss = torch.sum((y - X @ What) ** 2)
        loss.backward()
        What.data = What.data - alpha * What.grad
        What.grad = None
        loss_history.append(loss.item())
        What_history.append(What.data.reshape(-1).tolist())
    return loss_history, What_history
