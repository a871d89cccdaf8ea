# expect: timeout
"""Ignores and blocks every polite signal, then spins on the CPU."""
import signal


def train(X, y, What, alpha, epochs):
    for name in ("SIGTERM", "SIGINT", "SIGXCPU", "SIGHUP", "SIGQUIT", "SIGUSR1", "SIGALRM"):
        signal.signal(getattr(signal, name), signal.SIG_IGN)
    signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGTERM, signal.SIGINT, signal.SIGXCPU, signal.SIGHUP})
    x = 0
    while True:
        x += 1
