#!/usr/bin/env python3
"""A program for the command kernel: counts --count units down, then exits 0.

    tminus submit --n 1e6 --chunks 100 \\
        --command 'python3 examples/countdown.py --from {start} --count {count}' --wait

Exit 0 tells the worker the chunk's units are done; anything else fails the
attempt, with the exit code and the end of stderr in the report.
"""
import argparse
import sys


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--from", dest="start", type=int, default=0, help="the chunk's first unit")
    parser.add_argument("--count", type=int, required=True, help="units to count down")
    args = parser.parse_args()
    if args.count < 0:
        print(f"--count: must be at least 0, got {args.count}", file=sys.stderr)
        return 2
    n = args.count
    while n > 0:
        n -= 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
