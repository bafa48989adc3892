"""Rich progress bars for ingest jobs: one overall bar, one bar for the job at work."""

from __future__ import annotations

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    SpinnerColumn,
    TextColumn,
    TimeElapsedColumn,
)

STAGE_LABELS = {
    "fetch": "读取 fetch",
    "parse": "解析 parse",
    "ocr": "识别 OCR",
    "chunk": "切分 chunk",
    "index": "索引 index",
    "embed": "向量 embed",
}


class RichJobProgress:
    """A ProgressSink that draws bars; use as a context manager."""

    def __init__(self, console: Console, total: int, title: str) -> None:
        self.console = console
        self.progress = Progress(
            SpinnerColumn(),
            TextColumn("[bold]{task.description}", justify="left"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            console=console,
            transient=False,
        )
        self.overall = self.progress.add_task(title, total=total)
        self.current = self.progress.add_task("", total=1.0, visible=False)
        self.names: dict[int, str] = {}
        self.failures: list[tuple[str, str]] = []

    def __enter__(self) -> RichJobProgress:
        self.progress.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.progress.stop()

    def job_started(self, job_id: int, name: str) -> None:
        self.names[job_id] = name
        self.progress.update(self.current, description=name, completed=0, visible=True)

    def job_stage(self, job_id: int, stage: str, fraction: float) -> None:
        label = STAGE_LABELS.get(stage, stage)
        self.progress.update(
            self.current, description=f"{self.names.get(job_id, '')} · {label}", completed=fraction
        )

    def job_finished(self, job_id: int, status: str, message: str) -> None:
        self.progress.advance(self.overall)
        self.progress.update(self.current, visible=False)
        if status == "failed":
            self.failures.append((self.names.get(job_id, str(job_id)), message))
            self.console.print(f"[red]✗[/red] {self.names.get(job_id, job_id)}: {message}")
