"""Views of a `bench.Bench`: the chapter's table (rich), a log-scale plot
(matplotlib) and JSON."""

from __future__ import annotations

import json
from pathlib import Path

from autograder.bench.measure import Bench, Measurement, VARIANTS
from autograder.safe_text import NAME_LIMIT, clean, terminal

COLOURS = {"ok": "green", "too slow": "yellow", "not implemented": "magenta", "missing": "magenta"}


def per_call(m: Measurement) -> str:
    """A time per call in a readable unit; '≈' marks an estimate."""
    if m.seconds is None:
        return "—"
    s = m.seconds
    text = (f"{s:.3g} s" if s >= 1 else f"{s * 1e3:.3g} ms" if s >= 1e-3
            else f"{s * 1e6:.3g} µs")
    return f"≈ {text}" if m.estimated else text


def speedup_text(bench: Bench, row, side: str) -> str:
    value, base = bench.speedup(row, side)
    if value is None:
        return "—"
    text = f"{value:,.0f}x" if value >= 10 else f"{value:.2g}x"
    if base.startswith("estimated"):
        text = f"≈ {text}"
    if "reference" in base and side == "student":
        text += " (over the reference's loops)"
    return text


def status_text(m: Measurement):
    """The status in its colour and what went wrong: a rich Text, never markup
    (the detail quotes the student's exception)."""
    text = terminal(m.status, NAME_LIMIT, style=COLOURS.get(m.status, "red"))
    quiet = ("ok", "not implemented")  # the stub's own message only repeats the item id
    if m.detail and m.status not in quiet:
        text.append(f": {clean(m.detail, 200)}")
    return text


def to_table(bench: Bench, console=None) -> None:
    from rich.console import Console
    from rich.table import Table
    from rich.text import Text

    table = Table(title=f"matmul speed ladder on {bench.device}: best batch per call ({bench.rounds} rounds "
                        f"after calibration), budget {bench.budget:g} s per variant and side",
                  show_lines=False)
    for column in ("size", "variant", "yours", "reference", "your speed-up", "reference speed-up",
                   "your status"):
        table.add_column(column, overflow="fold")
    last = None
    for row in bench.rows:
        if last is not None and row.size != last:
            table.add_section()
        table.add_row(
            str(row.size) if row.size != last else "", row.variant,
            per_call(row.student), per_call(row.reference),
            speedup_text(bench, row, "student"), speedup_text(bench, row, "reference"),
            status_text(row.student),
        )
        last = row.size
    console = console or Console()
    if not console.is_terminal:
        console.width = 160  # a log or a pipe: do not wrap at 80 columns
    console.print(table)
    if bench.student_note:
        console.print(terminal(bench.student_note, style="magenta") + ": only the reference was timed.")
    for row in bench.rows:
        if row.reference.status != "ok" and not row.reference.estimated:  # should never happen
            console.print(Text(f"reference {row.variant} on {row.size}: ") + status_text(row.reference))
    console.print("Speed-up: time per call of the loops on the same size over the variant's; "
                  "≈ marks times scaled from a smaller size, not measured.")


def to_json(bench: Bench) -> str:
    return json.dumps(bench.to_dict(), indent=2) + "\n"


def plot(bench: Bench, path: Path) -> None:
    """Time per call on a log scale, yours next to the reference, one panel per size."""
    import matplotlib

    matplotlib.use("Agg")  # files only, no display needed
    import matplotlib.pyplot as plt

    sizes = list(dict.fromkeys(row.size for row in bench.rows))
    figure, axes = plt.subplots(1, len(sizes), figsize=(6 * len(sizes), 4.5), squeeze=False,
                                sharey=True)
    width = 0.38
    for ax, size in zip(axes[0], sizes):
        rows = [bench.row(size, v) for v in VARIANTS]
        for offset, side, label, colour in ((-width / 2, "student", "yours", "tab:blue"),
                                            (width / 2, "reference", "reference", "tab:orange")):
            for x, row in enumerate(rows):
                m = getattr(row, side)
                if m.seconds is None:
                    ax.text(x + offset, 0.02, "n/a", transform=ax.get_xaxis_transform(),
                            ha="center", va="bottom", fontsize=8, rotation=90)
                    continue
                ax.bar(x + offset, m.seconds, width, color=colour,
                       hatch="//" if m.estimated else None, alpha=0.5 if m.estimated else 1.0,
                       label=label)
        ax.set_yscale("log")
        ax.set_xticks(range(len(VARIANTS)))
        ax.set_xticklabels([v.removeprefix("matmul_") for v in VARIANTS])
        ax.set_title(str(size))
        ax.grid(axis="y", which="major", alpha=0.3)
    axes[0][0].set_ylabel("seconds per call (log scale)")
    unique = {}  # one legend entry per side, from whichever panel has its bars
    for ax in axes[0]:
        handles, labels = ax.get_legend_handles_labels()
        unique.update(zip(labels, handles))
    if unique:
        axes[0][-1].legend(unique.values(), unique.keys(), loc="upper right")
    figure.suptitle(f"matmul speed ladder on {bench.device} (hatched: estimated)")
    figure.tight_layout()
    figure.savefig(path, dpi=100)
    plt.close(figure)
