"""The workload tminus grew from: a busy wait in pure Python.

    tminus submit --n 4e7 --chunks 16 --python examples/busy_wait.py:busy_wait --wait
    tminus scale --n 4e7 --chunks 16 --slots 1,2 --executor both \\
        --python examples/busy_wait.py:busy_wait

On the threads executor every call holds the GIL, so slots take turns (no
speedup); on the processes executor each slot has its own interpreter.
"""


def busy_wait(start, count):
    """Counts `count` down to zero; returns the units done (tminus checks it)."""
    n = count
    while n > 0:
        n -= 1
    return count
