"""Speed: the parser is linear and fast (target >= 1 MB/s on an idle machine)."""

from __future__ import annotations

import random
import time

from dxplan.parse import parse_bytes


def test_one_megabyte_of_report(seed_bytes):
    text = seed_bytes.decode("utf-8")
    rnd = random.Random(3)
    pages = []
    while sum(len(p.encode()) for p in pages) < 1_000_000:
        # vary the digits so that no cache makes a repeated page free
        pages.append(
            "".join(
                rnd.choice("0123456789") if c.isdigit() and rnd.random() < 0.5 else c for c in text
            )
        )
    data = "\n\n".join(pages).encode()
    t = time.process_time()  # CPU time: other processes (tests run in parallel) don't count
    r = parse_bytes(data, "big.txt")
    dt = time.process_time() - t
    rate = len(data) / dt / 1e6
    print(f"\nparsed {len(data) / 1e6:.2f} MB, {len(r.rows)} rows in {dt:.2f} CPU s: "
          f"{rate:.2f} MB/s")
    assert len(r.rows) > 1000
    # generous bound; an idle machine does about 0.8-1 MB/s on this input
    assert rate > 0.25
