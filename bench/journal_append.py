"""How many durable journal appends a second: sync, grouped, and the group-commit writer.

usage: python bench/journal_append.py [--entries 20000] [--rounds 3] [--dir DIR]

Issue 6, acceptance 4 wants 10,000 `execute` items at concurrency 100 with the journal costing at
most 20 % of the bare call rate (~10-20k calls/s against the mock). Each item journals two entries
(intent, done), each durable (written and fsynced) before it is acknowledged. Printed: the bare
write+fsync rate of this disk, then appends/s for one appender (one fsync each), a sync group of 100
(one fsync per group), and the trio JournalWriter with 1 and with 100 concurrent appenders (every
append queued during a write+fsync shares the next one). DIR defaults to the system temp dir: put it
on the disk .mcpctl/ lives on.
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import trio

from mcpctl.engine.batch.journal import Journal, JournalWriter, open_journal_writer, read_entries

LINE = b'{"seq":1,"step":"execute/000123","phase":"done","op":"execute","item":"000123","at":1764089520.1}\n'


def bare_fsync(run_dir: Path, entries: int) -> None:
    descriptor = os.open(run_dir / "bare.jsonl", os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
    try:
        for _ in range(entries):
            os.write(descriptor, LINE)
            os.fsync(descriptor)
    finally:
        os.close(descriptor)


def sync_single(run_dir: Path, entries: int) -> None:
    with Journal.open(run_dir) as journal:
        for number in range(entries):
            journal.intent(f"execute/{number}", op="execute", item=str(number))


def sync_group_100(run_dir: Path, entries: int) -> None:
    with Journal.open(run_dir) as journal:
        for start in range(0, entries, 100):
            with journal.group():
                for number in range(start, min(entries, start + 100)):
                    journal.intent(f"execute/{number}", op="execute", item=str(number))


def writer(appenders: int) -> Callable[[Path, int], None]:
    def run(run_dir: Path, entries: int) -> None:
        async def main() -> None:
            with Journal.open(run_dir) as journal:
                async with open_journal_writer(journal) as journal_writer, trio.open_nursery() as nursery:
                    for first in range(appenders):
                        nursery.start_soon(append_from, journal_writer, first)

        async def append_from(journal_writer: JournalWriter, first: int) -> None:
            for number in range(first, entries, appenders):
                await journal_writer.intent(f"execute/{number}", op="execute", item=str(number))

        trio.run(main)

    return run


def measure(name: str, run: Callable[[Path, int], None], entries: int, rounds: int, base: Path) -> float:
    rates = []
    for _ in range(rounds):
        with tempfile.TemporaryDirectory(dir=base) as directory:
            started = time.perf_counter()
            run(Path(directory), entries)
            rates.append(entries / (time.perf_counter() - started))
            if name != "bare write+fsync":
                assert len(read_entries(Path(directory) / "journal.jsonl")) == entries
    rate = statistics.median(rates)
    print(f"{name:<34} {rate:>10,.0f} /s   (rounds: {', '.join(f'{r:,.0f}' for r in rates)})")
    return rate


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--entries", type=int, default=20_000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--dir", default=tempfile.gettempdir())
    args = parser.parse_args()
    base = Path(args.dir)
    print(f"{args.entries:,} durable appends per round, median of {args.rounds}, in {base}")
    few = max(1, args.entries // 10)  # one fsync an entry is slow: a tenth is enough to measure
    measure("bare write+fsync", bare_fsync, few, args.rounds, base)
    measure("Journal, one fsync each", sync_single, few, args.rounds, base)
    measure("Journal, group() of 100", sync_group_100, args.entries, args.rounds, base)
    measure("JournalWriter, 1 appender", writer(1), few, args.rounds, base)
    rate = measure("JournalWriter, 100 appenders", writer(100), args.entries, args.rounds, base)
    print(f"execute items/s the journal allows at concurrency 100 (2 entries each): {rate / 2:,.0f}")


if __name__ == "__main__":
    main()
