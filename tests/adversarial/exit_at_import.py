# expect: runtime-error
"""Claims success on stdout, then exits cleanly before train() can be graded."""
import sys

print("all tests passed")
print('{"score": 100, "max_score": 100, "status": "passed"}')
sys.exit(0)


def train(X, y, What, alpha, epochs):
    return [], []
