"""Shared pieces of the scale benchmark (:mod:`evals.bench`): timers, memory and disk readings, the settings of a
worker's index, cProfile text, and how the report prints figures."""

from __future__ import annotations

import cProfile
import io
import os
import pstats
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

__all__ = ["log", "latency_stats", "disk_mb", "peak_rss_mb", "rss_mb", "cpu_s", "loadavg", "profile_text", "settings_for",
           "Timed", "files_mb", "fmt", "ratio", "label"]


def log(msg: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


def pct(values: list[float], q: float) -> float | None:
    return float(np.percentile(np.array(values), q)) if values else None


def latency_stats(values_ms: list[float]) -> dict[str, Any]:
    return {"n": len(values_ms), "p50": pct(values_ms, 50), "p95": pct(values_ms, 95), "p99": pct(values_ms, 99),
            "mean": float(np.mean(values_ms)) if values_ms else None}


def disk_mb(path: Path) -> float:
    total = 0
    for dirpath, _, names in os.walk(path):
        for n in names:
            try:
                total += os.stat(os.path.join(dirpath, n)).st_blocks * 512
            except OSError:
                pass
    return total / 1e6


def peak_rss_mb() -> float:
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


def rss_mb() -> float:
    import psutil

    return psutil.Process().memory_info().rss / 1e6


def cpu_s() -> float:
    t = os.times()
    return t.user + t.system


def loadavg() -> float | None:
    try:
        return os.getloadavg()[0]
    except OSError:
        return None


def profile_text(prof: cProfile.Profile, title: str, n: int = 25) -> str:
    out = io.StringIO()
    out.write(f"# {title}\n\n## by cumulative time\n")
    pstats.Stats(prof, stream=out).strip_dirs().sort_stats("cumulative").print_stats(n)
    out.write("\n## by own time\n")
    pstats.Stats(prof, stream=out).strip_dirs().sort_stats("tottime").print_stats(n)
    return out.getvalue()


def settings_for(home: str, corpus: str | None = None):
    from rag.settings import Settings

    env = {k: v for k, v in os.environ.items() if not k.startswith("RAG_CHROMA_")}
    env["RAG_HOME"] = home
    if corpus:
        env["RAG_SEEDS_DIR"] = corpus
    return Settings.from_env(env)


class Timed:
    """Wraps a callable and adds up the time spent in it."""

    def __init__(self, fn):
        self.fn, self.seconds, self.calls = fn, 0.0, 0

    def __call__(self, *a, **k):
        t = time.perf_counter()
        try:
            return self.fn(*a, **k)
        finally:
            self.seconds += time.perf_counter() - t
            self.calls += 1


def files_mb(paths: list[Path]) -> float:
    files = [f for p in paths for f in (sorted(p.glob("*.txt")) if p.is_dir() else [p])]
    return sum(f.stat().st_size for f in files) / 1e6


def fmt(x: Any, digits: int = 1) -> str:
    if x is None:
        return "–"
    if isinstance(x, float):
        return f"{x:,.{digits}f}"
    return f"{x:,}" if isinstance(x, int) else str(x)


def ratio(a: float | None, b: float | None) -> float | None:
    return a / b if a is not None and b else None


def label(n: int) -> str:
    """A corpus size as the report names it: 1000 → "1k"."""
    return f"{n // 1000}k" if n >= 1000 and n % 1000 == 0 else str(n)
