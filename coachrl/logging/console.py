"""Console progress: a rich progress bar on a terminal, one plain line per update otherwise."""

from __future__ import annotations

import sys
from typing import Any


def _fmt(value: float | None, digits: int = 1) -> str:
    return "-" if value is None else f"{value:.{digits}f}"


class ConsoleProgress:
    """Shows env steps, episodes, recent return, eval return and steps/s."""

    def __init__(self, *, total: int, title: str, enabled: bool = True) -> None:
        self.total, self.title, self.enabled = total, title, enabled
        self.interactive = enabled and sys.stdout.isatty()
        self._progress: Any = None
        if self.interactive:
            from rich.progress import BarColumn, Progress, TextColumn, TimeRemainingColumn

            self._progress = Progress(
                BarColumn(bar_width=16), TextColumn("{task.completed:,}/{task.total:,} steps"),
                TextColumn("{task.fields[info]}"), TimeRemainingColumn(),
            )
            self._task = self._progress.add_task(title, total=total, info="")
            self._progress.start()

    def update(self, *, steps: int, episodes: int, recent_return: float | None,
               eval_return: float | None, steps_per_s: float, detail: str = "") -> None:
        if not self.enabled:
            return
        info = (f"ep {episodes:,} | ret {_fmt(recent_return)} | eval {_fmt(eval_return)} | "
                f"{steps_per_s:,.0f}/s" + (f" | {detail}" if detail else ""))
        if self._progress is not None:
            self._progress.update(self._task, completed=min(steps, self.total), info=info)
        else:
            print(f"[{self.title}] {steps:,}/{self.total:,} steps | {info}", flush=True)

    def message(self, text: str) -> None:
        if not self.enabled:
            return
        if self._progress is not None:
            self._progress.console.print(text)
        else:
            print(text, flush=True)

    def close(self) -> None:
        if self._progress is not None:
            self._progress.stop()
            self._progress = None
