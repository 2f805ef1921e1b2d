"""The suite's results: the targets of issue 26 (and those of earlier issues still
standing) judged against them, and ``docs/benchmarks.md`` with its plot."""

from __future__ import annotations

import os
import platform
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from bench.engine_loop import MAX_LATE_RATIO, LoopResult
from bench.external_tasks import SECTION_TITLE, ExternalTasksResult, markdown_lines
from bench.jobs import RATE, JobsResult, table_lines, title
from bench.processes import STEPS, ProcessResult
from bench.small_uploads import LoadResult, SmallUploadsResult, cpu_cell
from bench.statement_counts import WARM_UP_ROUNDS, StatementCounts
from bench.statement_counts import table_lines as statement_table_lines
from bench.store_floor import Floor
from bench.task_query import (
    COUNT_AFTER_WRITE_LABEL,
    COUNT_LABEL,
    REFERENCE_LABEL,
    QueryResult,
    TaskQueryResult,
)
from bench.transfer import TABLE_COLUMNS, SizeResult, label
from bench.variables import VariablesResult

GIB = 1024**3
MIB = 1024**2
# Issue 26's targets ("Done when").
MIN_SMALL_UPLOADS_VS_REFERENCE = 1.5  # requests/s, p99 no worse, no error
MIN_SMALL_DOWNLOADS_VS_REFERENCE = 2.0
MIN_STEPS_PER_SECOND = {"sqlite": 120, "postgresql": 90}  # two-task process, engine
STEPS_CONNECTIONS = 8
MAX_GROWTH_MIB = 32  # peak RSS growth at the largest size (1 GiB), upload and download
LARGE = 64 * MIB  # the transfer targets are judged at this size and above
MAX_UPLOAD_VS_LIMIT = 1.5  # SQLite: the slower of sink and disk
MAX_VS_COPY = 1.5  # PostgreSQL, upload against COPY in, download against COPY out
MAX_COUNT_VS_ONE_TASK = 3.0  # the task count query's median against one task's read
COUNT_TASKS = 100_000  # ... over this many tasks
# Earlier issues' targets (13), still checked.
MAX_DOWNLOAD_VS_SINK = 2.0  # SQLite
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
    processes: dict[str, ProcessResult] = field(default_factory=dict)
    external_tasks: dict[str, ExternalTasksResult] = field(default_factory=dict)
    timers: dict[str, JobsResult] = field(default_factory=dict)
    engine_loop: LoopResult | None = None
    statement_counts: dict[str, StatementCounts] = field(default_factory=dict)
    store_floors: list[Floor] = field(default_factory=list)  # SQLite uploads
    skipped: list[str] = field(default_factory=list)


def _verdict(met: bool) -> str:
    return "met" if met else "NOT met"


TARGETS_HEADING = "Targets (one server process unless named):"
ISSUE_26 = "Issue 26 (this round):"
EARLIER = "Earlier issues' targets, still checked:"


def target_lines(run: Run) -> list[str]:
    """One line per target: what it asks, what was measured, met or not; issue 26's
    first, then those of earlier issues."""
    issue_26 = _issue_26_targets(run)
    earlier = _earlier_targets(run)
    met = sum(line.endswith(": met") for line in issue_26)
    judged = sum(line.endswith(("met", "NOT met")) for line in issue_26)
    return [
        TARGETS_HEADING,
        f"{ISSUE_26} {met} of {judged} met",
        *issue_26,
        EARLIER,
        *earlier,
    ]


def _issue_26_targets(run: Run) -> list[str]:
    lines: list[str] = []
    for database, uploads in run.small_uploads.items():
        for noun, rows, reference, minimum in (
            ("uploads", uploads.rows, uploads.reference, MIN_SMALL_UPLOADS_VS_REFERENCE),
            (
                "downloads",
                uploads.downloads,
                uploads.download_reference,
                MIN_SMALL_DOWNLOADS_VS_REFERENCE,
            ),
        ):
            lines.append(
                _small_requests_target(database, noun, rows["taskvars"], reference, minimum)
            )
    for database, result in run.processes.items():
        lines.append(_steps_target(database, result))
    for database, transfers in run.transfers.items():
        lines += _transfer_targets(database, transfers)
        if database == "sqlite" and run.store_floors:
            lines.append(_store_floor_line(run.store_floors))
    for database, queries in run.task_queries.items():
        lines.append(_count_target(database, queries))
    return lines


def _small_requests_target(
    database: str, noun: str, ours: LoadResult, reference: LoadResult, minimum: float
) -> str:
    ratio = ours.requests_per_second / reference.requests_per_second
    met = ratio >= minimum and ours.p99_ms <= reference.p99_ms and ours.errors == 0
    return (
        f"- {database}, 1 KiB {noun} >= {minimum:.1f}x the FastAPI reference's requests/s, "
        f"p99 no worse, no error: {ratio:.2f}x ({ours.requests_per_second:.0f} against "
        f"{reference.requests_per_second:.0f}), p99 {ours.p99_ms:.1f} against "
        f"{reference.p99_ms:.1f} ms, {ours.errors} errors; server CPU {cpu_cell(ours)} "
        f"against {cpu_cell(reference)} ms a request: {_verdict(met)}"
    )


def _steps_target(database: str, result: ProcessResult) -> str:
    minimum = MIN_STEPS_PER_SECOND.get(database)
    rate = result.throughput["engine"]
    p99 = ", ".join(f"{step} {result.steps['engine'][step].p99_ms:.1f}" for step in STEPS)
    measured = (
        f"{rate:.0f} steps/s at {result.connections} connections, {result.errors} errors; "
        f"p99 ms: {p99}"
    )
    if minimum is None:
        return f"- {database}, two-task process: {measured}: no target"
    if result.connections != STEPS_CONNECTIONS:
        return (
            f"- {database}, two-task process >= {minimum} steps/s at {STEPS_CONNECTIONS} "
            f"connections: {measured}: not judged (other connections)"
        )
    met = rate >= minimum and result.errors == 0
    return (
        f"- {database}, two-task process >= {minimum} steps/s at {STEPS_CONNECTIONS} "
        f"connections, p99 reported: {measured}: {_verdict(met)}"
    )


def _count_target(database: str, result: TaskQueryResult) -> str:
    count = result.queries.get(COUNT_LABEL)
    one_task = result.queries.get(REFERENCE_LABEL)
    if count is None or one_task is None:
        return (
            f"- {database}, task count <= {MAX_COUNT_VS_ONE_TASK:g}x one task's read: not measured"
        )
    ratio = count.latency.p50_ms / one_task.latency.p50_ms
    measured = (
        f"{ratio:.2f}x (p50 {count.latency.p50_ms:.2f} against {one_task.latency.p50_ms:.2f} "
        f"ms; p99 {count.latency.p99_ms:.2f} against {one_task.latency.p99_ms:.2f})"
        f"{_after_a_write(result, one_task)}"
    )
    asked = (
        f"- {database}, task count over {COUNT_TASKS:,} tasks, repeated on unchanged data "
        f"(answered from the count kept), <= {MAX_COUNT_VS_ONE_TASK:g}x the single-task read"
    )
    if result.tasks < COUNT_TASKS:
        return f"{asked}: {measured} over {result.tasks:,} tasks: not judged (--quick)"
    return f"{asked}: {measured}: {_verdict(ratio <= MAX_COUNT_VS_ONE_TASK)}"


def _after_a_write(result: TaskQueryResult, one_task: QueryResult) -> str:
    """The same count right after a write, counted anew: no target, its cost shown."""
    cold = result.queries.get(COUNT_AFTER_WRITE_LABEL)
    if cold is None:
        return ""
    ratio = cold.latency.p50_ms / one_task.latency.p50_ms
    return (
        f"; right after a write, counted anew: {ratio:.1f}x "
        f"(p50 {cold.latency.p50_ms:.2f} ms, p99 {cold.latency.p99_ms:.2f}, no target)"
    )


def _earlier_targets(run: Run) -> list[str]:
    lines = []
    for database, transfers in run.transfers.items():
        large = [r for r in transfers if r.size >= LARGE]
        if database == "sqlite" and large:
            measured = ", ".join(f"{label(r.size)} {r.download_vs_sink:.2f}x" for r in large)
            met = all(r.download_vs_sink <= MAX_DOWNLOAD_VS_SINK for r in large)
            lines.append(
                f"- {database}, download <= {MAX_DOWNLOAD_VS_SINK}x the sink: {measured}: "
                f"{_verdict(met)}"
            )
    lines.append(
        "- SQL statements of a variable listing do not grow with variables or depth: "
        "counted by tests/integration/test_store.py in the test suite, not here"
    )
    for database, latency in run.variables.items():
        worst = max(latency.set_ratio, latency.get_ratio)
        lines.append(
            f"- {database}, set/get p50 with {latency.large_database:,} variables <= "
            f"{MAX_LARGE_DATABASE_RATIO}x that with {latency.small_database:,}: set "
            f"{latency.set_ratio:.2f}x, get {latency.get_ratio:.2f}x: "
            f"{_verdict(worst <= MAX_LARGE_DATABASE_RATIO)}"
        )
    if run.engine_loop is not None:
        loop = run.engine_loop
        lines.append(
            f"- sqlite, one instance looped {loop.iterations} times: last completes' median "
            f"<= {MAX_LATE_RATIO}x the first's: {loop.ratio:.2f}x ({loop.late_ms:.2f} against "
            f"{loop.early_ms:.2f} ms), stored state {loop.early_state_bytes:,} -> "
            f"{loop.late_state_bytes:,} bytes: {_verdict(loop.ratio <= MAX_LATE_RATIO)}"
        )
    postgres = run.small_uploads.get("postgresql")
    if postgres is not None and "taskvars, 2 workers" in postgres.rows:
        one = postgres.rows["taskvars"].requests_per_second
        two = postgres.rows["taskvars, 2 workers"].requests_per_second
        lines.append(
            f"- postgresql, 2 workers >= {MIN_TWO_WORKERS_GAIN}x the requests/s of 1: "
            f"{two / one:.2f}x ({two:.0f} against {one:.0f}): "
            f"{_verdict(two / one >= MIN_TWO_WORKERS_GAIN)}"
        )
    return lines


def _transfer_targets(database: str, transfers: list[SizeResult]) -> list[str]:
    largest = transfers[-1]
    growth = max(largest.upload.growth_mib, largest.download.growth_mib)
    lines = [
        f"- {database}, peak RSS growth at {label(largest.size)} <= {MAX_GROWTH_MIB} MiB: "
        f"upload {largest.upload.growth_mib:.1f}, download {largest.download.growth_mib:.1f} "
        f"MiB: {_verdict(growth <= MAX_GROWTH_MIB)}"
    ]
    large = [r for r in transfers if r.size >= LARGE]
    if not large:
        return [*lines, f"- {database}, transfers of 64 MiB and more: not measured (--quick)"]
    if database == "postgresql" and all(r.copy_in_seconds is not None for r in large):
        judged = [
            ("upload", [(r, r.upload_vs_copy or 0.0) for r in large], "COPY in"),
            ("download", [(r, r.download_vs_copy or 0.0) for r in large], "COPY out"),
        ]
        limit = MAX_VS_COPY
    else:  # SQLite: the upload; its download is an earlier issue's target
        judged = [
            (
                "upload",
                [(r, r.upload.seconds / max(r.sink_upload.seconds, r.disk_seconds)) for r in large],
                "the slower of sink and disk",
            )
        ]
        limit = MAX_UPLOAD_VS_LIMIT
    for direction, ratios, reference in judged:
        measured = ", ".join(f"{label(r.size)} {ratio:.2f}x" for r, ratio in ratios)
        met = all(ratio <= limit for _, ratio in ratios)
        lines.append(
            f"- {database}, {direction} <= {limit}x {reference}: {measured}: {_verdict(met)}"
        )
    return lines


def _store_floor_line(floors: list[Floor]) -> str:
    """The SQLite upload target's floor on this machine, as context (not a target)."""
    rounds = floors[0].rounds
    measured = "; ".join(
        f"{label(floor.size)}: minimal server {floor.vs_limit('copy'):.2f}x "
        f"(by splice {floor.vs_limit('splice'):.2f}x), taskvars {floor.vs_limit('taskvars'):.2f}x"
        for floor in floors
    )
    return (
        "  - the floor of that upload here, in the same run (`bench.store_floor`: servers "
        "that only receive into a file and sync it, no HTTP framework, no database; "
        f"median of {rounds} round{'s' if rounds != 1 else ''} against the slower of the "
        f"sink's and the disk's medians): {measured}"
    )


def _transfer_table(results: list[SizeResult]) -> list[str]:
    lines = [
        "| size | direction | " + " | ".join(TABLE_COLUMNS) + " |",
        "|---:|---|" + "---:|" * len(TABLE_COLUMNS),
    ]
    for result in results:
        for direction, cells in result.table_rows():
            lines.append(f"| {label(result.size)} | {direction} | " + " | ".join(cells) + " |")
    return lines


def _small_requests_table(rows: dict[str, LoadResult], reference: LoadResult) -> list[str]:
    lines = [
        "| server | requests/s | p50 ms | p99 ms | errors | x reference | server CPU ms/request |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    for name, row in rows.items():
        ratio = row.requests_per_second / reference.requests_per_second
        lines.append(
            f"| {name} | {row.requests_per_second:.1f} | {row.p50_ms:.2f} | {row.p99_ms:.2f} | "
            f"{row.errors} | {ratio:.2f} | {cpu_cell(row)} |"
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


def _processes_table(result: ProcessResult) -> list[str]:
    lines = [
        "| step | engine p50 ms | engine p99 ms | no engine p50 ms | no engine p99 ms |",
        "|---|---:|---:|---:|---:|",
    ]
    for step in STEPS:
        engine, plain = result.steps["engine"][step], result.steps["no engine"][step]
        lines.append(
            f"| {step} | {engine.p50_ms:.2f} | {engine.p99_ms:.2f} | {plain.p50_ms:.2f} | "
            f"{plain.p99_ms:.2f} |"
        )
    lines.append(
        f"| steps per second | {result.throughput['engine']:.0f} | | "
        f"{result.throughput['no engine']:.0f} | |"
    )
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
        "reads a body into one preallocated buffer and discards it, or sends N bytes by "
        "`sendfile` from the page cache: the most one connection carries here (taskvars "
        "sends content files by `sendfile` too, so downloads can at best equal it; "
        "differences of a few tens of percent either way are run-to-run noise). Transfers "
        "go through curl when it is installed (the client costs next to nothing), for the "
        "sink and taskvars alike, and each transfer and reference is the best of 3 runs. "
        "**disk** is the time to write and sync the same bytes to a file beside the "
        "database, which a stored upload cannot beat. **COPY** (PostgreSQL) is psycopg's "
        "binary `COPY ... FROM STDIN` of the same bytes into a fresh table of 1 MiB "
        "uncompressed `bytea` rows, committed, and `COPY ... TO STDOUT` back "
        "(`bench/postgres_reference.py`). Every upload and its references start on "
        "memory freed a moment before (`bench/page_cache.py`): on this virtual machine, "
        "memory freed a second earlier goes back to the host, and writing 1 GiB into it "
        "took 2.5 s instead of 0.2. The **FastAPI reference** "
        "(`bench/reference_app.py`) is the endpoint a user would write by hand: FastAPI, "
        "python-multipart and SQLAlchemy storing the upload in one table. **connexion, "
        "no-op** (`bench/connexion_floor.py`) is a stock connexion app with one operation "
        "whose handler stores nothing: the framework's own cost.",
        "",
        "## Targets",
        "",
        *_targets_markdown(target_lines(run)[1:]),
        "",
    ]
    for database, results in run.transfers.items():
        lines += [f"## File transfers, {database}", "", *_transfer_table(results), ""]
    for database, result in run.small_uploads.items():
        lines += [
            f"## 1 KiB uploads, {result.connections} connections, {result.seconds} s, {database}",
            "",
            SMALL_REQUESTS_NOTE.format(rounds=result.rounds),
            "",
            *_small_requests_table(result.rows, result.reference),
            "",
            f"## 1 KiB downloads of one stored value, {result.connections} connections, "
            f"{result.seconds} s, {database}",
            "",
            *_small_requests_table(result.downloads, result.download_reference),
            "",
        ]
    if run.statement_counts:
        rounds = next(iter(run.statement_counts.values())).rounds
        lines += [
            "## SQL per operation",
            "",
            STATEMENTS_NOTE.format(rounds=rounds, warm_up=WARM_UP_ROUNDS),
            "",
            *statement_table_lines(run.statement_counts),
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
    for database, result in run.processes.items():
        lines += [
            f"## A two-task process, {result.connections} connections, {result.seconds:g} s, "
            f"{database}",
            "",
            "Start, complete the first task, complete the second (which ends the instance): "
            "a deployed model run by SpiffWorkflow (engine), beside the same steps on a "
            "process instance and tasks created by our extension (no engine) "
            f"(`bench/processes.py`); {result.errors} errors.",
            "",
            *_processes_table(result),
            "",
        ]
    for database, external in run.external_tasks.items():
        lines += [
            f"## {SECTION_TITLE}, {database}",
            "",
            *markdown_lines(external, run.processes.get(database)),
            "",
        ]
    for database, timers in run.timers.items():
        lines += [f"## {title(timers, database)}", "", *_timers_text(timers), ""]
    if run.engine_loop is not None:
        loop = run.engine_loop
        lines += [
            f"## One instance looped {loop.iterations} times, sqlite",
            "",
            "A user task and a gateway back to it, completed from one connection "
            "(`bench/engine_loop.py`): the first completes against the last, and the size "
            "of the run's stored state.",
            "",
            "| | first | last | ratio |",
            "|---|---:|---:|---:|",
            f"| complete, median ms | {loop.early_ms:.2f} | {loop.late_ms:.2f} | "
            f"{loop.ratio:.2f} |",
            f"| stored state, bytes | {loop.early_state_bytes:,} | {loop.late_state_bytes:,} | "
            f"{loop.late_state_bytes / loop.early_state_bytes:.2f} |",
            "",
        ]
    if run.skipped:
        lines += ["## Not measured", "", *[f"- {reason}" for reason in run.skipped], ""]
    lines += [f"![Throughput and peak memory against value size]({plot_name})", ""]
    return "\n".join(lines)


SMALL_REQUESTS_NOTE = (
    "wrk, the same script for each server; one process unless named. Each server is "
    "measured {rounds} times, the servers taking turns, each on a new database; its row "
    "is its median round by requests/s, with that round's latencies and CPU (errors: of "
    "every round). "
    "**Server CPU ms/request** is the user + system time of the server's processes "
    "(its workers summed), read from `/proc` before and after the wrk run, over the "
    "requests completed: unlike requests/s, it does not move with the machine's load."
)
STATEMENTS_NOTE = (
    "What the database is asked per operation (`bench/statement_counts.py`): taskvars' app "
    "on uvicorn in a thread of the bench process, every operation one at a time from one "
    "client, the mean of {rounds} rounds after {warm_up} warm-up rounds. Counted at the "
    "driver: on SQLite every statement SQLite runs (its trace callback; `BEGIN`, `COMMIT`, "
    "`SAVEPOINT`, a pool reset's `ROLLBACK` count when they run); on PostgreSQL libpq's "
    "protocol trace: "
    "**statements** are the `Query` and `Execute` messages sent (`BEGIN`, `COMMIT`, "
    "`SAVEPOINT`, a pre-ping included), **round trips** the waits for the server "
    "(`ReadyForQuery`, and `CopyInResponse` before a `COPY ... FROM STDIN` sends its data). "
    "One at a time, a commit is the request's own: under load group commit shares it. "
    "`python -m bench.statement_counts --show` prints the statements."
)


def _targets_markdown(lines: list[str]) -> list[str]:
    """The target lines with their group headings as paragraphs of their own."""
    rendered: list[str] = []
    for line in lines:
        if line.startswith((ISSUE_26, EARLIER)):
            rendered += ["", line, ""] if rendered else [line, ""]
        else:
            rendered.append(line)
    return rendered


def _timers_text(result: JobsResult) -> list[str]:
    return [
        "Process instances of `bench/timer.bpmn` (an intermediate timer, `timeDuration` "
        "`${pause}`, then a user task) started over REST; each timer job is the real "
        "`timer-intermediate-transition` handler moving the token on (`bench/jobs.py`). "
        "**timers/s**: all timers due at one moment after the starts; timers / (the last "
        "timer event's end time in the activity history - that moment). **Lateness**: "
        f"{RATE} timers due a second, one after another; per timer, its activity end time "
        "- its job's due date: the executor's wake-up precision. The **reference** is a "
        "loop of one-row transactions on the same database (lock a job row, delete it, "
        "commit): the least a job's own unit of work costs there.",
        "",
        *table_lines(result),
        *[f"\n{warning}" for warning in result.warnings],
    ]


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
BENCHMARKS_DOCUMENT = "benchmarks.md"

# The soak run (python -m bench soak, bench/soak.py) is separate from the full run and
# writes soak.md. Its copy in benchmarks.md, headings one level down, sits between these
# markers, just above the hand-written part: the soak run replaces what is between them,
# and the full run, which rewrites everything above the hand-written part, puts soak.md
# back there. Neither run erases the other's figures.
SOAK_DOCUMENT = "soak.md"
SOAK_BEGIN = "<!-- The soak run, copied from soak.md by bench/soak.py and bench/report.py. -->"
SOAK_END = "<!-- End of the soak run. -->"


def with_soak_section(document: str, soak: str) -> str:
    """``document`` (benchmarks.md) with ``soak`` (soak.md) as its soak section: in
    place of the one it has, else above the hand-written part, else at the end."""
    demoted = "\n".join("#" + line if line.startswith("#") else line for line in soak.splitlines())
    section = f"{SOAK_BEGIN}\n\n{demoted.strip()}\n\n{SOAK_END}"
    before, begin, rest = document.partition(SOAK_BEGIN)
    if begin:
        _, _, after = rest.partition(SOAK_END)
        return before + section + after
    above, marker, below = document.partition(KEPT_MARKER)
    if marker:
        return f"{above}{section}\n\n{marker}{below}"
    return f"{document.rstrip()}\n\n{section}\n"


def machine() -> str:
    return f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}"


def write(run: Run, directory: Path) -> list[Path]:
    directory.mkdir(parents=True, exist_ok=True)
    image = directory / "benchmarks.png"
    document = directory / BENCHMARKS_DOCUMENT
    plot(run, image)
    kept = ""
    if document.exists():
        _, marker, rest = document.read_text().partition(KEPT_MARKER)
        kept = f"\n{marker}{rest}" if marker else ""
    text = markdown(run, image.name) + kept
    soak = directory / SOAK_DOCUMENT
    if soak.exists():
        text = with_soak_section(text, soak.read_text())
    document.write_text(text)
    return [document, image]
