"""Damage for the reader fuzz tests: mutations of a yearly file as hypothesis strategies.

Every mutation is a small, realistic way a file gets damaged: a cell dropped or split in
two, random bytes written over or into it, a line cut short, lines lost, a page (a run of
lines) repeated. ``damaged(data, sep)`` draws one to four of them, applied in turn.
"""

from __future__ import annotations

import os
import signal
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

#: cases per fuzz test: a few hundred by default (make test), more with the env variable
FUZZ_EXAMPLES = int(os.environ.get("DXPLAN_FUZZ_EXAMPLES", "0") or 0)
#: seconds one parse may take before it counts as a hang (the seed parses in well under 1 s)
CASE_SECONDS = float(os.environ.get("DXPLAN_FUZZ_CASE_SECONDS", "10"))


def fuzz_settings(default_examples: int) -> settings:
    """Reproducible settings: derandomized (same cases every run) unless asked otherwise."""
    return settings(
        max_examples=FUZZ_EXAMPLES or default_examples,
        derandomize=os.environ.get("DXPLAN_FUZZ_RANDOM", "") == "",
        deadline=None,  # the per-case bound below interrupts a hang instead
        database=None,
        print_blob=True,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    )


class Hang(Exception):
    """A parse ran longer than CASE_SECONDS."""


@contextmanager
def time_bound(seconds: float = CASE_SECONDS) -> Iterator[None]:
    """Raise :class:`Hang` in the main thread when the block runs longer than ``seconds``."""

    def _alarm(signum, frame):  # noqa: ARG001 - signal handler signature
        raise Hang(f"no result after {seconds} s")

    old = signal.signal(signal.SIGALRM, _alarm)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, old)


Mutation = Callable[[list[bytes]], list[bytes]]


def _pick(draw, n: int) -> int:
    return draw(st.integers(0, max(n - 1, 0)))


@st.composite
def _mutation(draw, sep: bytes) -> Mutation:
    kind = draw(
        st.sampled_from(
            [
                "drop_cell",
                "split_cell",
                "bytes_over",
                "bytes_in",
                "cut_line",
                "drop_lines",
                "repeat_page",
                "join_lines",
                "cut_file",
            ]
        )
    )
    a = draw(st.integers(0, 10**6))
    b = draw(st.integers(0, 10**6))
    junk = draw(st.binary(min_size=1, max_size=24))
    span = draw(st.integers(1, 30))

    def apply(lines: list[bytes]) -> list[bytes]:
        if not lines:
            return lines
        i = a % len(lines)
        line = lines[i]
        cells = line.split(sep)
        out = list(lines)
        if kind == "drop_cell":
            del cells[b % len(cells)]
            out[i] = sep.join(cells)
        elif kind == "split_cell":
            j = b % len(cells)
            cut = (a // 7) % (len(cells[j]) + 1)
            cells[j : j + 1] = [cells[j][:cut], cells[j][cut:]]
            out[i] = sep.join(cells)
        elif kind == "bytes_over":
            pos = b % (len(line) + 1)
            out[i] = line[:pos] + junk + line[pos + len(junk) :]
        elif kind == "bytes_in":
            pos = b % (len(line) + 1)
            out[i] = line[:pos] + junk + line[pos:]
        elif kind == "cut_line":
            out[i] = line[: b % (len(line) + 1)]
        elif kind == "drop_lines":
            del out[i : i + span]
        elif kind == "repeat_page":
            out[i:i] = lines[i : i + span]
        elif kind == "join_lines":
            out[i : i + 2] = [b" ".join(lines[i : i + 2])]
        else:  # cut_file: the file ends early, anywhere
            total = b"\n".join(lines)
            out = total[: b % (len(total) + 1)].split(b"\n")
        return out

    return apply


class Damaged(bytes):
    """Bytes that print short (a failing case shows its size and hash, not 46 KB)."""

    def __repr__(self) -> str:
        import hashlib

        return f"<{len(self)} bytes sha256={hashlib.sha256(self).hexdigest()[:12]}>"


@st.composite
def damaged(draw, data: bytes, sep: bytes) -> Damaged:
    """``data`` with one to four mutations applied to its lines (split on ``\\n``)."""
    lines = data.split(b"\n")
    for mutate in draw(st.lists(_mutation(sep), min_size=1, max_size=4)):
        lines = mutate(lines)
    return Damaged(b"\n".join(lines))
