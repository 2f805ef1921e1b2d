"""The suite's results: the targets of issue 4 judged against them, and
``docs/benchmarks.md`` with its plot."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from bench.small_uploads import SmallUploadsResult
from bench.task_query import TaskQueryResult
from bench.transfer import SizeResult, label
from bench.variables import VariablesResult

GIB = 1024**3
MAX_GROWTH_MIB = 64
MAX_UPLOAD_VS_SINK = 3.0
MAX_DOWNLOAD_VS_SINK = 2.0
MIN_SMALL_UPLOADS_VS_REFERENCE = 1.0
MAX_LARGE_DATABASE_RATIO = 1.5
MIN_TWO_WORKERS_GAIN = 1.3


@dataclass
class Run:
    started: datetime
    machine: str
    quick: bool
    transfers: dict[str, list[SizeResult]] = field(default_factory=dict)
    small_uploads: dict[str, SmallUploadsResult] = field(default_factory=dict)
    variables: dict[str, VariablesResult] = field(default_factory=dict)
    task_queries: dict[str, TaskQueryResult] = field(default_factory=dict)
    skipped: list[str] = field(default_factory=list)


def _verdict(met: bool) -> str:
    return "met" if met else "NOT met"


def target_lines(run: Run) -> list[str]:
    """One line per target: what it asks, what was measured, met or not."""
    lines = ["Targets (SQLite, one server process, unless named):"]
    transfers = run.transfers.get("sqlite", [])
    if transfers:
        largest = transfers[-1]
        size = label(largest.size)
        growth = max(largest.upload.growth_mib, largest.download.growth_mib)
        lines.append(
            f"- {size} peak RSS growth <= {MAX_GROWTH_MIB} MiB: upload "
            f"{largest.upload.growth_mib:.1f}, download {largest.download.growth_mib:.1f} MiB: "
            f"{_verdict(growth <= MAX_GROWTH_MIB)}"
        )
        uploads = ", ".join(f"{label(r.size)} {r.upload_vs_sink:.2f}x" for r in transfers)
        lines.append(
            f"- upload <= {MAX_UPLOAD_VS_SINK:.0f}x the sink's time: {uploads}; at {size} "
            f"{largest.upload.seconds:.2f} s against the sink's "
            f"{largest.sink_upload.seconds:.2f} s and the disk's own "
            f"{largest.disk_seconds:.2f} s to write and sync the same bytes: "
            f"{_verdict(all(r.upload_vs_sink <= MAX_UPLOAD_VS_SINK for r in transfers))}"
        )
        downloads = ", ".join(f"{label(r.size)} {r.download_vs_sink:.2f}x" for r in transfers)
        lines.append(
            f"- download <= {MAX_DOWNLOAD_VS_SINK:.0f}x the sink's time: {downloads}: "
            f"{_verdict(all(r.download_vs_sink <= MAX_DOWNLOAD_VS_SINK for r in transfers))}"
        )
    uploads = run.small_uploads.get("sqlite")
    if uploads is not None:
        ours = uploads.rows["taskvars"]
        ratio = ours.requests_per_second / uploads.reference.requests_per_second
        met = ratio >= MIN_SMALL_UPLOADS_VS_REFERENCE and ours.errors == 0
        lines.append(
            f"- 1 KiB uploads >= {MIN_SMALL_UPLOADS_VS_REFERENCE:.1f}x the FastAPI reference, "
            f"no error: {ratio:.2f}x ({ours.requests_per_second:.0f} against "
            f"{uploads.reference.requests_per_second:.0f} requests/s), {ours.errors} errors: "
            f"{_verdict(met)}"
        )
    lines.append(
        "- SQL statements of a variable listing do not grow with variables or depth: "
        "counted by tests/integration/test_store.py in the test suite, not here"
    )
    latency = run.variables.get("sqlite")
    if latency is not None:
        worst = max(latency.set_ratio, latency.get_ratio)
        lines.append(
            f"- set/get p50 with {latency.large_database:,} variables <= "
            f"{MAX_LARGE_DATABASE_RATIO}x that with {latency.small_database:,}: set "
            f"{latency.set_ratio:.2f}x, get {latency.get_ratio:.2f}x: "
            f"{_verdict(worst <= MAX_LARGE_DATABASE_RATIO)}"
        )
    postgres = run.small_uploads.get("postgresql")
    if postgres is not None:
        one = postgres.rows["taskvars"].requests_per_second
        two = postgres.rows["taskvars, 2 workers"].requests_per_second
        lines.append(
            f"- PostgreSQL, 2 workers >= {MIN_TWO_WORKERS_GAIN}x the requests/s of 1: "
            f"{two / one:.2f}x ({two:.0f} against {one:.0f}): "
            f"{_verdict(two / one >= MIN_TWO_WORKERS_GAIN)}"
        )
    return lines


def _transfer_table(results: list[SizeResult]) -> list[str]:
    lines = [
        "| size | direction | taskvars s | MB/s | sink s | disk s | x sink | peak RSS +MiB |",
        "|---:|---|---:|---:|---:|---:|---:|---:|",
    ]
    for result in results:
        for direction, ours, sink, disk in (
            ("upload", result.upload, result.sink_upload, f"{result.disk_seconds:.3f}"),
            ("download", result.download, result.sink_download, ""),
        ):
            lines.append(
                f"| {label(result.size)} | {direction} | {ours.seconds:.3f} | "
                f"{ours.megabytes_per_second:.1f} | {sink.seconds:.3f} | {disk} | "
                f"{ours.seconds / sink.seconds:.2f} | {ours.growth_mib:.1f} |"
            )
    return lines


def _small_uploads_table(result: SmallUploadsResult) -> list[str]:
    lines = [
        "| server | requests/s | p50 ms | p99 ms | errors | x reference |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for name, row in result.rows.items():
        ratio = row.requests_per_second / result.reference.requests_per_second
        lines.append(
            f"| {name} | {row.requests_per_second:.1f} | {row.p50_ms:.2f} | {row.p99_ms:.2f} | "
            f"{row.errors} | {ratio:.2f} |"
        )
    return lines


def _variables_table(result: VariablesResult) -> list[str]:
    lines = ["| request | p50 ms | p99 ms |", "|---|---:|---:|"]
    lines += [f"| {name} | {lat.p50_ms:.2f} | {lat.p99_ms:.2f} |" for name, lat in result.rows()]
    return lines


def _task_queries_table(result: TaskQueryResult) -> list[str]:
    lines = ["| query | matching | requests | p50 ms | p99 ms |", "|---|---:|---:|---:|---:|"]
    lines += [
        f"| {name} | {query.matching:,} | {query.samples} | {query.latency.p50_ms:.2f} | "
        f"{query.latency.p99_ms:.2f} |"
        for name, query in result.queries.items()
    ]
    return lines


def markdown(run: Run, plot_name: str) -> str:
    command = "python -m bench --quick" if run.quick else "tox -e bench"
    lines = [
        "# Benchmarks",
        "",
        f"Last run: {run.started:%Y-%m-%d %H:%M} UTC, `{command}`, on {run.machine}. "
        "Every number was measured in the same run as the reference beside it.",
        "",
        "References: the **sink** (`bench/sink.py`) is a loopback HTTP server that only "
        "reads and discards a body or sends N bytes: the most one connection carries here. "
        "**disk** is the time to write and sync the same bytes to a file beside the "
        "database, which a stored upload cannot beat. The **FastAPI reference** "
        "(`bench/reference_app.py`) is the endpoint a user would write by hand: FastAPI, "
        "python-multipart and SQLAlchemy storing the upload in one table. **connexion, "
        "no-op** (`bench/connexion_floor.py`) is a stock connexion app with one operation "
        "whose handler stores nothing: the framework's own cost.",
        "",
        "## Targets",
        "",
        *target_lines(run)[1:],
        "",
    ]
    for database, results in run.transfers.items():
        lines += [f"## File transfers, {database}", "", *_transfer_table(results), ""]
    for database, result in run.small_uploads.items():
        lines += [
            f"## 1 KiB uploads, {result.connections} connections, {result.seconds} s, {database}",
            "",
            *_small_uploads_table(result),
            "",
        ]
    for database, result in run.variables.items():
        lines += [f"## Variable requests, {database}", "", *_variables_table(result), ""]
    for database, queries in run.task_queries.items():
        lines += [
            f"## Task queries, {queries.tasks:,} tasks and {queries.variables:,} variables, "
            f"{database}",
            "",
            f"Filled in {queries.fill_seconds:.1f} s; one request at a time, 50 tasks a page "
            "(`bench/task_query.py`).",
            "",
            *_task_queries_table(queries),
            "",
        ]
    if run.skipped:
        lines += ["## Not measured", "", *[f"- {reason}" for reason in run.skipped], ""]
    lines += [f"![Throughput and peak memory against value size]({plot_name})", ""]
    return "\n".join(lines)


def plot(run: Run, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib import pyplot

    figure, (speed, memory) = pyplot.subplots(1, 2, figsize=(12, 4.5))
    sink_drawn = False
    for database, results in run.transfers.items():
        sizes = [r.size for r in results]
        for direction, style in (("upload", "-o"), ("download", "-s")):
            speed.plot(
                sizes,
                [getattr(r, direction).megabytes_per_second for r in results],
                style,
                label=f"taskvars {direction}, {database}",
            )
            memory.plot(
                sizes,
                [getattr(r, direction).growth_mib for r in results],
                style,
                label=f"{direction}, {database}",
            )
        if not sink_drawn:
            speed.plot(
                sizes,
                [r.size / 1e6 / r.disk_seconds if r.disk_seconds else None for r in results],
                "--^",
                color="black",
                label="disk, write and sync",
            )
            for direction, style in (("upload", ":o"), ("download", ":s")):
                speed.plot(
                    sizes,
                    [getattr(r, f"sink_{direction}").megabytes_per_second for r in results],
                    style,
                    color="grey",
                    label=f"sink {direction}",
                )
            sink_drawn = True
    for axes in (speed, memory):
        axes.set_xscale("log", base=2)
        axes.set_xlabel("value size (bytes)")
        axes.grid(True, which="both", alpha=0.3)
        axes.legend(fontsize="small")
    speed.set_ylabel("MB/s")
    speed.set_title("Throughput, one connection")
    memory.set_ylabel("peak RSS growth (MiB)")
    memory.axhline(MAX_GROWTH_MIB, color="red", linestyle="--", linewidth=1)
    memory.set_title(f"Server peak memory growth (target <= {MAX_GROWTH_MIB} MiB)")
    figure.tight_layout()
    figure.savefig(path, dpi=100)
    pyplot.close(figure)


# Below this line docs/benchmarks.md is written by hand (measurements behind design
# decisions, which the code's comments point to); a new report keeps it.
KEPT_MARKER = "<!-- Written by hand from here on; bench/report.py keeps it. -->"


def write(run: Run, directory: Path) -> list[Path]:
    directory.mkdir(parents=True, exist_ok=True)
    image = directory / "benchmarks.png"
    document = directory / "benchmarks.md"
    plot(run, image)
    kept = ""
    if document.exists():
        _, marker, rest = document.read_text().partition(KEPT_MARKER)
        kept = f"\n{marker}{rest}" if marker else ""
    document.write_text(markdown(run, image.name) + kept)
    return [document, image]
