"""Benchmark 7, the Python side: the seed's countdown with multiprocessing
and threading (Debian's /usr/bin/python3), on this machine, now.

Prints one line per measurement: `name=... workers=... seconds=... ` or
`name=... tasks_per_second=...`, which bench-seed_compare reads.
"""
import argparse
import time
from concurrent.futures import ThreadPoolExecutor
from multiprocessing import Pool


def countdown(n):
    while n > 0:
        n -= 1
    return 0


def timed(fn):
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, default=60_000_000, help="decrements in all")
    parser.add_argument("--tasks", type=int, default=8, help="tasks the n is split into")
    parser.add_argument("--tiny", type=int, default=100_000, help="tiny tasks (1 decrement)")
    args = parser.parse_args()
    work = [args.n // args.tasks] * args.tasks
    for workers in (1, 2):
        with Pool(workers) as pool:
            seconds = timed(lambda: pool.map(countdown, work, chunksize=1))
        print(f"name=pool workers={workers} seconds={seconds:.4f}", flush=True)
        with ThreadPoolExecutor(workers) as executor:
            seconds = timed(lambda: list(executor.map(countdown, work)))
        print(f"name=threading workers={workers} seconds={seconds:.4f}", flush=True)
    tiny = [1] * args.tiny
    with Pool(2) as pool:
        seconds = timed(lambda: pool.map(countdown, tiny, chunksize=1))
    print(f"name=pool-tiny tasks_per_second={args.tiny / seconds:.0f}", flush=True)
    with ThreadPoolExecutor(2) as executor:
        seconds = timed(lambda: list(executor.map(countdown, tiny)))
    print(f"name=threading-tiny tasks_per_second={args.tiny / seconds:.0f}", flush=True)


if __name__ == "__main__":
    main()
