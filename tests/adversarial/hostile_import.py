# expect: runtime-error
"""Fails at import with a message and an exception type name that attack every
output medium (see hostile_text.py): the whole submission's error, not one
check's, carries them.  The invalid escape makes Python warn, naming the
file, wherever the source is compiled: in the grader, that warning must not
reach the log raw."""
import sys

PATTERN = "\d+"

HOSTILE = (
    "``<img src=x onerror=alert(1)>`\n::add-mask::secret-mask\n"
    "\x1b[2J\x1b[H\r::error::forged\u2028::warning::sep\x85::notice::nel "
    "##[add-mask]legacy %0A::debug::pct |a|b| [x](javascript:alert(1)) \u202eevil"
)

print(HOSTILE, flush=True)
print(HOSTILE, file=sys.stderr, flush=True)
raise type("Evil\n::add-mask::typename\x1b[2J", (RuntimeError,), {})(HOSTILE)


def train(X, y, What, alpha, epochs):
    return [], []
