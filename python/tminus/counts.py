"""Counts as the CLI reads them, and the chunking it picks when none is given.

Both are ports of the C++ (common/parse_count.cc, cli/default_chunks.cc), so
that `submit("40G")` and `tminus submit --n 40G` mean the same job.
"""
import math
from typing import Iterable, Optional

from tminus.v1 import jobs_pb2

_INT64_MAX = 2**63 - 1
_CAP = 2**100  # parse_count.cc's kCap: far above int64
_SUFFIXES = {"k": 3, "K": 3, "M": 6, "G": 9, "T": 12, "P": 15, "E": 18}


def parse_count(text: str, field: str) -> int:
    """common/parse_count.cc, ParseCount: an optional sign, digits (with '_'
    separators after the first), an optional fraction, and either an
    exponent (e/E, at most 3 characters with its sign) or one decimal suffix
    k K M G T P E. The value must be whole and within int64. ValueError
    naming `field`, worded as the CLI words it, for anything else."""
    not_a_count = ValueError(f"{field}: '{text}' is not a count (examples: 1000000, 4e9, 40G)")
    i, negative = 0, False
    if text[:1] in ("-", "+"):
        negative, i = text[0] == "-", 1
    digits = fraction_digits = digit_count = exponent = 0
    in_fraction = False
    while i < len(text):
        c = text[i]
        if c in "0123456789":  # isdigit() would take other scripts' digits too
            if digits < _CAP:
                digits = digits * 10 + int(c)
            elif not in_fraction:
                raise not_a_count  # absurdly long
            if in_fraction:
                fraction_digits += 1
            digit_count += 1
        elif c == "_" and digit_count > 0:
            pass
        elif c == "." and not in_fraction:
            in_fraction = True
        else:
            break
        i += 1
    if digit_count == 0:
        raise not_a_count
    if i < len(text):
        if text[i] == "e" or (text[i] == "E" and i + 1 < len(text)):
            rest = text[i + 1:]
            if not rest or len(rest) > 3:
                raise not_a_count
            j = 1 if rest[0] in "+-" else 0
            if j == len(rest) or not all(ch in "0123456789" for ch in rest[j:]):
                raise not_a_count
            exponent = -int(rest[j:]) if rest[0] == "-" else int(rest[j:])
        elif text[i] in _SUFFIXES and i + 1 == len(text):
            exponent = _SUFFIXES[text[i]]
        else:
            raise not_a_count
    too_big = ValueError(f"{field}: '{text}' is larger than {_INT64_MAX}")
    value, shift = digits, exponent - fraction_digits
    for _ in range(shift):
        if value > _CAP:
            raise too_big
        value *= 10
    for _ in range(-shift):
        if value % 10:
            raise ValueError(f"{field}: '{text}' is not a whole number")
        value //= 10
    if value > _INT64_MAX:
        raise too_big
    return -value if negative else value


# cli/default_chunks.h: chunks of about 100 ms at the cluster's rate per
# slot, at least 4 per slot; never more than n nor than a job may hold.
DEFAULT_CHUNK_SECONDS = 0.1
DEFAULT_CHUNKS_PER_SLOT = 4
MAX_CHUNK_COUNT = 1_000_000_000  # common/job_spec.h, kMaxChunkCount
# cli/scale.h, kFallbackThreadRate: decrements/s when nothing was measured.
FALLBACK_THREAD_RATE = 1e9


def default_chunk_count(n: int, rate_per_slot: float, slots: int) -> int:
    """cli/default_chunks.cc, DefaultChunkCount, for n >= 1 and rate > 0."""
    per_chunk = max(1.0, rate_per_slot * DEFAULT_CHUNK_SECONDS)
    by_time = float(math.ceil(float(n) / per_chunk))  # in doubles, as the C++
    by_slots = float(DEFAULT_CHUNKS_PER_SLOT * max(slots, 1))
    cap = float(min(n, MAX_CHUNK_COUNT))
    return int(min(max(max(by_time, by_slots), 1.0), cap))


def measured_rate_per_slot(workers: Iterable[jobs_pb2.WorkerInfo]) -> float:
    """cli/default_chunks.cc, MeasuredRatePerSlot: the workers' decrements
    over their busy time; 0 under 10 ms of counting (too little to say)."""
    workers = list(workers)
    decrements = float(sum(w.decrements_done for w in workers))
    busy_ns = float(sum(w.busy_ns for w in workers))
    return 0.0 if busy_ns < 10_000_000 else decrements / (busy_ns / 1e9)


def connected_slots(workers: Iterable[jobs_pb2.WorkerInfo]) -> int:
    return sum(w.slots for w in workers if w.state == jobs_pb2.WORKER_STATE_CONNECTED)


def pick_default_chunks(n: int, workers: Iterable[jobs_pb2.WorkerInfo]) -> int:
    """cli/default_chunks.cc, PickDefaultChunking. Where the cluster has no
    history the CLI times the C++ countdown on its own machine for 20 ms;
    Python cannot run that kernel, so it takes the fastest calibrated
    one-slot rate of the workers instead, or 1e9/s when none has one."""
    workers = list(workers)
    rate = measured_rate_per_slot(workers)
    if rate <= 0:
        calibrated: Optional[float] = max((w.calibration.decrements_per_second
                                           for w in workers if w.HasField("calibration")),
                                          default=None)
        rate = calibrated if calibrated else FALLBACK_THREAD_RATE
    return default_chunk_count(n, rate, connected_slots(workers))
