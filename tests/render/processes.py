"""A crawl as a process tree, watched from /proc: which programs it runs and how much memory it holds.

Chromium is a dozen processes sharing memory, so the tree's memory is the sum of each process's
PSS (its private pages plus its share of shared ones), not of RSS, which counts shared pages once
per process.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
# Chromium's processes, and Playwright's driver (node; its comm reads "node-MainThread").
BROWSER_PROGRAMS = ("chromium", "chrome", "headless_shell", "node")


def browser_programs(programs: frozenset[str]) -> set[str]:
    return {name for name in programs if name.startswith(BROWSER_PROGRAMS)}


def descendants(pid: int) -> list[int]:
    """``pid`` and every process below it."""
    children: dict[int, list[int]] = {}
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            stat = Path(entry.path, "stat").read_text()
        except OSError:
            continue  # gone meanwhile
        ppid = int(stat.rsplit(")", 1)[1].split()[1])
        children.setdefault(ppid, []).append(int(entry.name))
    tree, todo = [], [pid]
    while todo:
        current = todo.pop()
        tree.append(current)
        todo += children.get(current, [])
    return tree


def program(pid: int) -> str | None:
    try:
        return Path(f"/proc/{pid}/comm").read_text().strip()
    except OSError:
        return None


def pss_bytes(pid: int) -> int:
    try:
        for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
            if line.startswith("Pss:"):
                return int(line.split()[1]) * 1024
    except (OSError, ValueError):
        pass
    return 0


@dataclass
class Sample:
    at: float  # seconds since the crawl started
    progress: int  # what the caller counts (e.g. pages the fixture site served)
    memory: int  # PSS of the whole tree, bytes
    programs: frozenset[str]


@dataclass
class WatchedRun:
    returncode: int
    stdout: str
    stderr: str
    samples: list[Sample] = field(default_factory=list)

    @property
    def programs(self) -> frozenset[str]:
        return frozenset().union(*(s.programs for s in self.samples)) if self.samples else frozenset()

    @property
    def peak_memory(self) -> int:
        return max((s.memory for s in self.samples), default=0)


def run_watched(
    args: Sequence[str],
    db_url: str | None,
    progress: Callable[[], int] = lambda: 0,
    every: float = 0.1,
    timeout: float = 600,
    stall: float | None = None,
    env: dict[str, str] | None = None,
) -> WatchedRun:
    """Run ``python -m scrapy ARGS`` in the project (as tests/conftest.run_scrapy does) and sample
    its process tree every ``every`` seconds until it exits. Fail if it runs past ``timeout``, or,
    with ``stall``, if ``progress`` stays the same for that many seconds (a hung crawl)."""
    environ = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"} | (env or {})
    if db_url:
        environ["DATABASE_URL"] = db_url
    with tempfile.TemporaryFile("w+") as stdout, tempfile.TemporaryFile("w+") as stderr:
        # A session of its own, so a crawl that overruns is ended with its browser.
        proc = subprocess.Popen([sys.executable, "-m", "scrapy", *args], cwd=ROOT, env=environ,
                                stdout=stdout, stderr=stderr, text=True, start_new_session=True)  # fmt: skip
        started = moved = time.monotonic()
        samples: list[Sample] = []
        problem = None
        try:
            while proc.poll() is None:
                now, done = time.monotonic(), progress()
                if samples and done != samples[-1].progress:
                    moved = now
                if now - started > timeout:
                    problem = f"the crawl did not end within {timeout:.0f}s (progress {done})"
                elif stall and now - moved > stall:
                    problem = f"the crawl made no progress for {stall:.0f}s, stuck at {done}"
                if problem:
                    break
                tree = descendants(proc.pid)
                samples.append(Sample(
                    at=now - started,
                    progress=done,
                    memory=sum(pss_bytes(p) for p in tree),
                    programs=frozenset(filter(None, map(program, tree))),
                ))  # fmt: skip
                time.sleep(every)
        finally:
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()
        stdout.seek(0)
        stderr.seek(0)
        if problem:
            raise TimeoutError(f"{problem}; its log ends:\n{stderr.read()[-3000:]}")
        return WatchedRun(proc.returncode, stdout.read(), stderr.read(), samples)
