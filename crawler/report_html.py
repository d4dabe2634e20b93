"""`scrapy report --html FILE`: one self-contained page of charts about the recent crawls.

Runs over time, new articles per source and day, the duplicates share, errors and drops by reason,
and the share of pages rendered in a browser. Charts are drawn by matplotlib and embedded as SVG
data URIs: the file needs no network and no other file, and can be mailed or kept as a CI artifact.
"""

from __future__ import annotations

import base64
import html
import io
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

import matplotlib

matplotlib.use("Agg")  # files only, never a window
import matplotlib.pyplot as plt
import psycopg

from crawler.outcome import drops_by_reason, error_rate, errors_by_reason, rendered_share

MAX_RUNS = 60  # runs drawn in the per-run charts (the most recent ones)
COLORS = ["#4C78A8", "#F58518", "#54A24B", "#E45756", "#72B7B2", "#B279A2", "#FF9DA6", "#9D755D"]


@dataclass
class Run:
    id: int
    spider: str
    worker: str | None
    started_at: datetime
    finished_at: datetime | None
    finish_reason: str | None
    stats: dict[str, Any]

    @property
    def pages(self) -> int:
        return int(self.stats.get("downloader/response_count", 0))

    @property
    def stored(self) -> int:
        return int(self.stats.get("store/inserted", 0)) + int(self.stats.get("store/updated", 0))


@dataclass
class ReportData:
    days: int
    generated_at: datetime
    runs: list[Run]
    per_source_day: dict[str, dict[date, int]]
    dedupe_reasons: Counter[str]
    errors: Counter[str] = field(default_factory=Counter)
    drops: Counter[str] = field(default_factory=Counter)


def collect(conn: psycopg.Connection, days: int) -> ReportData:
    """Everything the page shows, for the last ``days`` days."""
    since = {"days": days}
    runs = [
        Run(row[0], row[1], row[2], row[3], row[4], row[5], row[6] or {})
        for row in conn.execute(
            "SELECT id, spider, worker, started_at, finished_at, finish_reason, stats FROM crawl_runs "
            "WHERE started_at >= now() - make_interval(days => %(days)s) ORDER BY id",
            since,
        )
    ]
    per_source_day: dict[str, dict[date, int]] = defaultdict(dict)
    for source, day, n in conn.execute(
        "SELECT s.name, (a.first_seen_at AT TIME ZONE 'UTC')::date, count(*) FROM articles a "
        "JOIN sources s ON s.id = a.source_id "
        "WHERE a.first_seen_at >= now() - make_interval(days => %(days)s) GROUP BY 1, 2 ORDER BY 2, 1",
        since,
    ):
        per_source_day[source][day] = n
    reasons = Counter(
        {
            reason: n
            for reason, n in conn.execute(
                "SELECT coalesce(dedupe_reason, 'not decided'), count(*) FROM articles "
                "WHERE first_seen_at >= now() - make_interval(days => %(days)s) GROUP BY 1",
                since,
            )
        }
    )
    now = conn.execute("SELECT now()").fetchone()[0]  # type: ignore[index]
    data = ReportData(days, now, runs, dict(per_source_day), reasons)
    for run in runs:
        data.errors.update(errors_by_reason(run.stats))
        data.drops.update(drops_by_reason(run.stats))
    return data


# --- charts -------------------------------------------------------------------------------------
def _svg(fig: Any) -> str:
    buffer = io.StringIO()
    fig.savefig(buffer, format="svg", bbox_inches="tight")
    plt.close(fig)
    return "data:image/svg+xml;base64," + base64.b64encode(buffer.getvalue().encode("utf-8")).decode("ascii")


def _figure(width: float = 9.0, height: float = 3.2) -> tuple[Any, Any]:
    fig, ax = plt.subplots(figsize=(width, height))
    ax.spines[["top", "right"]].set_visible(False)
    return fig, ax


def _nothing(ax: Any, text: str) -> None:
    ax.text(0.5, 0.5, text, ha="center", va="center", transform=ax.transAxes, color="#666")
    ax.set_xticks([])
    ax.set_yticks([])


def _run_labels(runs: list[Run]) -> list[str]:
    return [f"#{r.id}\n{r.started_at:%m-%d %H:%M}" for r in runs]


def chart_runs(runs: list[Run]) -> str:
    fig, ax = _figure()
    runs = runs[-MAX_RUNS:]
    if not runs:
        _nothing(ax, "no crawl runs in this period")
    else:
        x = range(len(runs))
        ax.bar([i - 0.2 for i in x], [r.pages for r in runs], 0.4, label="pages fetched", color=COLORS[0])
        ax.bar([i + 0.2 for i in x], [r.stored for r in runs], 0.4, label="articles stored", color=COLORS[2])
        for i, run in enumerate(runs):
            if run.finish_reason != "finished":
                ax.annotate(run.finish_reason or "unfinished", (i, max(run.pages, run.stored)),
                            ha="center", va="bottom", fontsize=7, color=COLORS[3])  # fmt: skip
        ax.set_xticks(list(x), _run_labels(runs), fontsize=7)
        ax.legend(frameon=False, loc="upper left", bbox_to_anchor=(1.0, 1.0))
    ax.set_title("Crawl runs")
    return _svg(fig)


def chart_articles_per_day(per_source_day: dict[str, dict[date, int]]) -> str:
    fig, ax = _figure()
    days = sorted({d for by_day in per_source_day.values() for d in by_day})
    if not days:
        _nothing(ax, "no new articles in this period")
    else:
        bottom = [0] * len(days)
        for i, (source, by_day) in enumerate(sorted(per_source_day.items())):
            values = [by_day.get(d, 0) for d in days]
            ax.bar([d.isoformat() for d in days], values, bottom=bottom, label=source, color=COLORS[i % 8])
            bottom = [b + v for b, v in zip(bottom, values, strict=True)]
        ax.tick_params(axis="x", labelrotation=45, labelsize=7)
        ax.legend(frameon=False, loc="upper left", bbox_to_anchor=(1.0, 1.0))
    ax.set_title("New articles per source and day")
    return _svg(fig)


def _horizontal(counts: Counter[str], title: str, empty: str, color: str) -> str:
    items = counts.most_common(15)[::-1]
    fig, ax = _figure(height=max(1.6, 0.35 * len(items) + 0.9))
    if not items:
        _nothing(ax, empty)
    else:
        ax.barh([k for k, _ in items], [v for _, v in items], color=color)
        for i, (_, v) in enumerate(items):
            ax.annotate(f"{v:,}", (v, i), xytext=(3, 0), textcoords="offset points", va="center", fontsize=8)
    ax.set_title(title)
    return _svg(fig)


def chart_duplicates(reasons: Counter[str]) -> str:
    total = sum(reasons.values())
    share = 1 - reasons.get("new_story", 0) / total if total else 0.0
    return _horizontal(reasons, f"Dedupe decisions: {share:.0%} joined an existing story",
                       "no new articles in this period", COLORS[1])  # fmt: skip


def chart_trouble(errors: Counter[str], drops: Counter[str]) -> str:
    both = Counter({f"error: {k}": v for k, v in errors.items()}) + drops
    return _horizontal(both, "Errors and drops by reason", "no errors and no drops in this period", COLORS[3])


def chart_rendered(runs: list[Run]) -> str:
    fig, ax = _figure(height=2.6)
    runs = runs[-MAX_RUNS:]
    if not runs:
        _nothing(ax, "no crawl runs in this period")
    else:
        x = range(len(runs))
        ax.bar(list(x), [100 * rendered_share(r.stats) for r in runs], color=COLORS[4])
        ax.set_ylim(0, 100)
        ax.set_ylabel("% of pages")
        ax.set_xticks(list(x), _run_labels(runs), fontsize=7)
    ax.set_title("Pages rendered in a browser")
    return _svg(fig)


# --- page ---------------------------------------------------------------------------------------
_STYLE = """
body { font: 14px/1.4 system-ui, sans-serif; margin: 2em auto; max-width: 1000px; color: #222; }
figure { margin: 1.5em 0; } figure img { max-width: 100%; }
table { border-collapse: collapse; font-size: 12px; } td, th { padding: 2px 8px; text-align: right; }
th { border-bottom: 1px solid #999; } td:nth-child(-n+3) { text-align: left; }
.bad { color: #b00; }
"""


def _runs_table(runs: list[Run]) -> str:
    rows = []
    for r in reversed(runs[-20:]):
        took = f"{(r.finished_at - r.started_at).total_seconds():.0f}s" if r.finished_at else "-"
        reason = r.finish_reason or "unfinished"
        cls = "" if reason == "finished" else ' class="bad"'
        cells = [f"#{r.id}", html.escape(r.spider), html.escape(r.worker or "-"),
                 f"{r.started_at:%Y-%m-%d %H:%M}", took, f"<span{cls}>{html.escape(reason)}</span>",
                 f"{r.pages:,}", f"{r.stored:,}", f"{error_rate(r.stats):.1%}"]  # fmt: skip
        rows.append("<tr>" + "".join(f"<td>{c}</td>" for c in cells) + "</tr>")
    names = ("run", "spider", "worker", "started (UTC)", "took", "outcome", "pages", "stored", "errors")
    head = "".join(f"<th>{h}</th>" for h in names)
    return f"<table><tr>{head}</tr>{''.join(rows)}</table>"


def render(data: ReportData) -> str:
    """The page, as one HTML string with the charts inside."""
    charts = [
        ("runs", "Pages fetched and articles stored by each run (the most recent runs).",
         chart_runs(data.runs)),
        ("articles", "Articles first stored on each day, by source.",
         chart_articles_per_day(data.per_source_day)),
        ("duplicates", "How the deduplication decided for the articles of the period.",
         chart_duplicates(data.dedupe_reasons)),
        ("trouble", "Errors (summed over the period's runs) and items or pages dropped.",
         chart_trouble(data.errors, data.drops)),
        ("rendered", "Share of each run's pages that needed a browser.", chart_rendered(data.runs)),
    ]  # fmt: skip
    figures = "\n".join(
        f'<figure class="chart" id="chart-{name}"><img alt="{html.escape(caption)}" src="{uri}">'
        f"<figcaption>{html.escape(caption)}</figcaption></figure>"
        for name, caption, uri in charts
    )
    new = sum(sum(by_day.values()) for by_day in data.per_source_day.values())
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>newscrawl report</title><style>{_STYLE}</style></head>
<body><h1>newscrawl report</h1>
<p>Last {data.days} days, generated {data.generated_at:%Y-%m-%d %H:%M %Z}: {len(data.runs)} runs,
{new:,} new articles.</p>
{figures}
<h2>Recent runs</h2>
{_runs_table(data.runs)}
</body></html>
"""


def write_report(conn: psycopg.Connection, path: str, days: int) -> None:
    with open(path, "w", encoding="utf-8") as out:
        out.write(render(collect(conn, days)))
