"""What one engine step costs in-process, free of load: the two-task process
(``two-tasks.bpmn``: start, complete, complete) run through the service layer for N
instances in one thread, with the CPU time (``time.process_time``) and the SQL
statements of each step. On a loaded machine CPU time stays what the step costs.

    python -m bench.engine_steps [--instances 300] [--url postgresql://...] [--profile out.prof]
"""

from __future__ import annotations

import argparse
import cProfile
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import event, text

from taskvars.engine import runtime
from taskvars.persistence import raw_statements
from taskvars.persistence.migrate import upgrade
from taskvars.persistence.unit_of_work import Database, UnitOfWork
from taskvars.services import deployments, process_definitions, tasks

MODEL = Path(__file__).with_name("two-tasks.bpmn")
STEPS = ("start", "complete first task", "complete second task")
START = {"variables": {"order": {"value": "A-1", "type": "String"}}}


@dataclass
class StepCosts:
    instances: int
    cpu_ms: dict[str, float] = field(default_factory=dict)  # per step
    statements: dict[str, float] = field(default_factory=dict)  # per step


class _Counter:
    def __init__(self) -> None:
        self.count = 0
        self.seen: list[str] = []
        self.keep = False

    def __call__(self, *arguments: Any) -> None:
        self.count += 1
        if self.keep:
            self.seen.append(arguments[2])


@contextmanager
def _counting(database: Database) -> Iterator[_Counter]:
    counter = _Counter()
    engines = {id(e): e for e in (database.engine, database.commit_engine)}.values()
    for engine in engines:
        event.listen(engine, "before_cursor_execute", counter)
    # Statements run raw on the driver's cursor pass no SQLAlchemy event: count them here.
    raw_execute = raw_statements.RawStatement.execute

    def counted_raw(statement: raw_statements.RawStatement, *arguments: Any) -> Any:
        counter(None, None, statement.sql)
        return raw_execute(statement, *arguments)

    raw_statements.RawStatement.execute = counted_raw  # type: ignore[method-assign]
    try:
        yield counter
    finally:
        raw_statements.RawStatement.execute = raw_execute  # type: ignore[method-assign]
        for engine in engines:
            event.remove(engine, "before_cursor_execute", counter)


def _deploy(database: Database) -> None:
    request = deployments.DeploymentRequest(
        [deployments.DeploymentFile(MODEL.name, MODEL.read_bytes())]
    )
    database.write(lambda uow: deployments.deploy(uow, request))


def _task_of(database: Database, instance_id: str) -> str:
    def read(uow: UnitOfWork) -> str:
        row = uow.store.session.execute(
            text(
                "SELECT t.external_id FROM scope t JOIN scope p"
                " ON t.process_instance_pk = p.pk"
                " WHERE p.external_id = :id AND p.id_space = 'execution'"
                " AND t.id_space = 'task'"
            ),
            {"id": instance_id},
        ).one()
        return str(row[0])

    return database.read(read)


def _instance(database: Database, timed: Callable[[str, Callable[[], Any]], Any]) -> None:
    started = timed(
        "start",
        lambda: database.write(
            lambda uow: runtime.start(uow, process_definitions.by_key(uow, "twoTasks"), dict(START))
        ),
    )
    for step in STEPS[1:]:
        task_id = _task_of(database, started["id"])
        timed(
            step,
            lambda task_id=task_id: database.write(
                lambda uow: tasks.complete(uow, task_id, None, with_variables_in_return=False)
            ),
        )


def run(url: str, instances: int, profile: str | None = None, show: bool = False) -> StepCosts:
    database = Database(url)
    try:
        upgrade(database.engine)
        _deploy(database)
        costs = StepCosts(instances)
        cpu = dict.fromkeys(STEPS, 0.0)
        statements = dict.fromkeys(STEPS, 0)
        with _counting(database) as counter:
            profiler = cProfile.Profile(time.process_time) if profile else None

            def timed(step: str, work: Callable[[], Any]) -> Any:
                before, begun = counter.count, time.process_time()
                if profiler is not None:
                    profiler.enable()
                result = work()
                if profiler is not None:
                    profiler.disable()
                cpu[step] += time.process_time() - begun
                statements[step] += counter.count - before
                return result

            for _ in range(5):  # warm: the model compiled, statements cached
                _instance(database, lambda step, work: work())
            if show:
                counter.keep = True
                _instance(database, lambda step, work: (print(f"--- {step}"), work())[1])
                counter.keep = False
                for statement in counter.seen:
                    print(" ".join(statement.split())[:200])
            for _ in range(instances):
                _instance(database, timed)
            if profiler is not None and profile:
                profiler.dump_stats(profile)
        costs.cpu_ms = {step: cpu[step] * 1000 / instances for step in STEPS}
        costs.statements = {step: statements[step] / instances for step in STEPS}
        return costs
    finally:
        database.dispose()


def print_costs(costs: StepCosts, database: str) -> None:
    print(f"Engine steps in-process, {costs.instances} instances, {database}")
    print(f"{'':24} {'CPU ms':>8} {'statements':>11}")
    for step in STEPS:
        print(f"{step:24} {costs.cpu_ms[step]:8.2f} {costs.statements[step]:11.1f}")
    total_ms = sum(costs.cpu_ms.values())
    total_statements = sum(costs.statements.values())
    print(f"{'per step (mean)':24} {total_ms / 3:8.2f} {total_statements / 3:11.1f}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--instances", type=int, default=300)
    parser.add_argument("--url", help="a database URL (default: a new SQLite file)")
    parser.add_argument("--profile", help="write a cProfile of the timed steps here")
    parser.add_argument("--show", action="store_true", help="print one instance's SQL")
    arguments = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="taskvars-bench-steps-") as scratch:
        url = arguments.url or f"sqlite:///{Path(scratch) / 'steps.db'}"
        costs = run(url, arguments.instances, arguments.profile, arguments.show)
    print_costs(costs, "postgresql" if url.startswith("postgresql") else "sqlite")
    return 0


if __name__ == "__main__":
    sys.exit(main())
