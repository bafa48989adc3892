"""Shared helpers for the benchmark scripts: paths, data checks, machine info, output files.

Every script imports this module first; it puts the project's `src/` on `sys.path` so the
scripts run from the project root without installing the package.
"""

from __future__ import annotations

import json
import os
import platform
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
SRC = ROOT / "src"
if str(SRC) not in sys.path:
    sys.path.insert(0, str(SRC))

# Public benchmark data lives beside the project, never inside it (licences forbid copying).
BENCH_DATA = Path(os.environ.get("TOKENBASE_BENCH_DATA", ROOT.parent / "shared" / "bench-data"))
OUT = ROOT / "bench" / "out"
RETRIEVAL_SETS = ("domainrag", "cmrc2018", "dureader_search_demo")


def require_data(*relative: str) -> Path:
    """Return BENCH_DATA, or exit cleanly (status 0) with a message if a file is missing."""
    missing = [r for r in relative if not (BENCH_DATA / r).exists()]
    if missing:
        print(
            f"SKIP: benchmark data not found under {BENCH_DATA} ({', '.join(missing)}). "
            "Set TOKENBASE_BENCH_DATA to the bench-data folder to run this benchmark."
        )
        raise SystemExit(0)
    return BENCH_DATA


def read_jsonl(path: Path) -> list[dict[str, Any]]:
    with path.open(encoding="utf-8") as handle:
        return [json.loads(line) for line in handle if line.strip()]


def read_json(path: Path) -> Any:
    return json.loads(path.read_text(encoding="utf-8"))


def write_json(path: Path, payload: Any) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(payload, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    print(f"wrote {path.relative_to(ROOT) if path.is_relative_to(ROOT) else path}")


def machine_info() -> dict[str, Any]:
    """nproc, CPU model, RAM, load average and the date, for every results file."""
    cpu = platform.processor() or "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
        mem_kb = next(
            int(line.split()[1])
            for line in Path("/proc/meminfo").read_text().splitlines()
            if line.startswith("MemTotal")
        )
        load = Path("/proc/loadavg").read_text().split()[:3]
    except (OSError, StopIteration):
        mem_kb, load = 0, []
    return {
        "date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "nproc": os.cpu_count(),
        "cpu": cpu,
        "ram_gb": round(mem_kb / 1024 / 1024, 1),
        "loadavg_at_start": " ".join(load),
        "python": platform.python_version(),
        "omp_env": {k: v for k, v in os.environ.items() if k.startswith("OMP_")},
        "command": "python " + " ".join([os.path.relpath(sys.argv[0], ROOT), *sys.argv[1:]]),
    }


def print_machine(info: dict[str, Any]) -> None:
    print(
        f"# {info['date']} · {info['nproc']} CPU ({info['cpu']}) · {info['ram_gb']} GB RAM · "
        f"load {info['loadavg_at_start']}\n# {info['command']}"
    )


def percentile(values: list[float], q: float) -> float:
    """Linear-interpolated percentile, q in [0, 100]."""
    return float(np.percentile(values, q)) if values else float("nan")


@contextmanager
def timed(label: str, store: dict[str, float] | None = None) -> Iterator[None]:
    """Print (and optionally store) the wall time of a block."""
    start = time.perf_counter()
    yield
    elapsed = time.perf_counter() - start
    if store is not None:
        store[label] = elapsed
    print(f"  {label}: {elapsed:.1f} s")


def markdown_table(headers: list[str], rows: list[list[Any]]) -> str:
    def cell(value: Any) -> str:
        return f"{value:.3f}" if isinstance(value, float) else str(value)

    lines = ["| " + " | ".join(headers) + " |", "|" + "---|" * len(headers)]
    lines += ["| " + " | ".join(cell(v) for v in row) + " |" for row in rows]
    return "\n".join(lines)


class CountingProgress:
    """An Ingestor ProgressSink that drives a rich progress bar by finished jobs."""

    def __init__(self, total: int, label: str) -> None:
        from rich.progress import (
            BarColumn,
            MofNCompleteColumn,
            Progress,
            TextColumn,
            TimeElapsedColumn,
            TimeRemainingColumn,
        )

        self._progress = Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            TimeRemainingColumn(),
            transient=False,
        )
        self._task = self._progress.add_task(label, total=total)
        self.failed: list[str] = []

    def __enter__(self) -> CountingProgress:
        self._progress.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._progress.stop()

    def job_started(self, job_id: int, name: str) -> None:
        pass

    def job_stage(self, job_id: int, stage: str, fraction: float) -> None:
        pass

    def job_finished(self, job_id: int, status: str, message: str) -> None:
        if status == "failed":
            self.failed.append(message)
        self._progress.advance(self._task)
