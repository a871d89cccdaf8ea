# expect: runtime-error
"""Puts text that attacks every output medium wherever a submission's text
reaches a report: printed output, the exception's type name and message, and a
frame whose file name it chose.  A workflow command after a line break, a
legacy `##[` command, a screen-clearing escape, a carriage return, Unicode line
separators, a bidi override, two leading backticks before raw HTML, a table
pipe and a javascript: link."""
import sys

HOSTILE = (
    "``<img src=x onerror=alert(1)>`\n::add-mask::secret-mask\n"
    "\x1b[2J\x1b[H\r::error::forged\u2028::warning::sep\x85::notice::nel "
    "##[add-mask]legacy %0A::debug::pct |a|b| [x](javascript:alert(1)) \u202eevil"
)

Evil = type("Evil\n::add-mask::typename\x1b[2J", (RuntimeError,), {})



def boom(m):
    raise Evil(m)


# (A frame whose file name the submission chose, by relabelling a code object, is `tampering` now:
# tests/adversarial/relabelled_loop.py.)
_space: dict = {"boom": boom}


def train(X, y, What, alpha, epochs):
    print(HOSTILE, flush=True)
    print(HOSTILE, file=sys.stderr, flush=True)
    _space["boom"](HOSTILE)
