"""The job executor of one server process (Camunda's ``JobExecutor`` with its
``AcquireJobsRunnable`` and ``ExecuteJobsRunnable``): it acquires due jobs in batches,
locking each for this process (``lock_owner``, ``lock_expiration_time``), and runs each
in a unit of work of its own through :func:`taskvars.engine.job_handlers.run_job`.

Several processes share the jobs of one database: acquisition skips rows another
transaction is acquiring (PostgreSQL ``FOR UPDATE SKIP LOCKED``) and takes a job only
while unlocked or once its lock expired, so a job runs once, and a killed process's
jobs are taken by another when their locks expire. Idle, the executor sleeps until the
earliest due date it knows of (asked after each empty acquisition, at most
``max_idle_seconds``), and wakes sooner when a transaction announces an earlier one
(:mod:`taskvars.persistence.job_signals`: this process's and, on PostgreSQL, others').
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

from taskvars.engine.job_handlers import run_job
from taskvars.persistence.job_signals import JobListener
from taskvars.persistence.unit_of_work import Database, UnitOfWork
from taskvars.services import jobs
from taskvars.services.dates import now_epoch_millis

logger = logging.getLogger(__name__)


# A plan later than any due date.
_AWAKE = 2**62


@dataclass(frozen=True)
class ExecutorOptions:
    lock_millis: int = 5 * 60 * 1000  # Camunda's lockTimeInMillis
    batch_size: int = 10  # Camunda's maxJobsPerAcquisition (3), larger for throughput
    threads: int = 3  # executing a batch in parallel, each job its own unit of work
    max_idle_seconds: float = 60.0  # Camunda's maxWait
    error_backoff_seconds: float = 1.0
    # A job acquirable when acquisition looked, yet not acquired: its row was locked by
    # another transaction (SKIP LOCKED); looked for again after this, not at once.
    skipped_backoff_seconds: float = 0.5
    # A job that loses this many races in a row (a conflict at commit, a stale claim)
    # counts as failed on the next: a conflict it meets every time (a constraint its own
    # work breaks, which commit reports as a conflict) must not run again forever.
    max_races_in_a_row: int = 5


# Jobs whose races in a row are counted at once, at most.
_MAX_RACING_JOBS = 10_000


def lock_owner_id() -> str:
    """Camunda's ``lockOwner``: one per executor, told apart across hosts and restarts."""
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


class JobExecutor:
    def __init__(
        self, database: Database, database_url: str, options: ExecutorOptions | None = None
    ) -> None:
        self._database = database
        self._options = options or ExecutorOptions()
        self.owner = lock_owner_id()
        self._listener = JobListener(database_url, self)
        self._wake = threading.Event()
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None
        self._pool: ThreadPoolExecutor | None = None
        self._state = threading.Condition()
        self._planned_wake = _AWAKE  # epoch ms the idle executor means to look again
        self._acquired_at = 0  # epoch ms the last acquisition looked at
        self._requested = 0  # generations of run_due requests
        self._idle_through = 0  # the last generation that found nothing left to run
        self.jobs_run = 0
        self.jobs_failed = 0
        self._races: dict[str, int] = {}  # job id -> races lost in a row
        self._races_lock = threading.Lock()

    # Lifecycle

    def start(self) -> None:
        self._listener.start()
        self._pool = ThreadPoolExecutor(self._options.threads, thread_name_prefix="taskvars-job")
        self._thread = threading.Thread(target=self._run, name="taskvars-job-executor", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Finishes the jobs it runs, gives up the locks of those it acquired but did not
        start, and returns."""
        self._stopping.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join()
        if self._pool is not None:
            self._pool.shutdown(wait=True)
        self._listener.stop()
        try:
            self._database.write(self._unlock_all)
        except Exception:
            logger.exception("the job executor could not give up its locks")

    def _unlock_all(self, uow: UnitOfWork) -> None:
        uow.store.jobs.unlock_all(self.owner)
        uow.commit()

    # Hearing of jobs (JobSink)

    def job_due(self, due: int) -> None:
        """A job is due at ``due`` (epoch ms): wake up if that is before the plan."""
        if due <= self._planned_wake:
            self._wake.set()

    def run_due(self, timeout_seconds: float) -> bool:
        """Wake up now and wait until a round of acquisition that began after this call
        found nothing left to run (the test clock moved on); whether that happened within
        ``timeout_seconds``."""
        with self._state:
            self._requested += 1
            generation = self._requested
        self._wake.set()
        deadline = time.monotonic() + timeout_seconds
        with self._state:
            while self._idle_through < generation:
                remaining = deadline - time.monotonic()
                if remaining <= 0 or self._stopping.is_set():
                    return False
                self._state.wait(remaining)
        return True

    # The loop

    def _run(self) -> None:
        failures = 0  # acquisitions failed in a row (an outage: said once)
        while not self._stopping.is_set():
            self._wake.clear()
            # Awake: any announcement until the next plan is made wakes the coming wait,
            # so a job added between an empty acquisition and the plan is not missed.
            self._planned_wake = _AWAKE
            with self._state:
                generation = self._requested
            try:
                acquired = self._database.write(self._acquire)
                if failures:
                    logger.info("the job executor acquires jobs again")
                failures = 0
                if acquired:
                    self._execute_all(acquired)
                    continue
                wait = self._idle_wait()
            except Exception as error:
                failures += 1
                if failures == 1:
                    logger.exception("the job executor failed to acquire jobs")
                else:
                    logger.debug("the job executor failed to acquire jobs: %s", error)
                # Not settled: a round that failed did not find "nothing left to run".
                self._wake.wait(self._options.error_backoff_seconds)
                continue
            with self._state:
                self._idle_through = max(self._idle_through, generation)
                self._state.notify_all()
            self._wake.wait(wait)

    def _acquire(self, uow: UnitOfWork) -> list[str]:
        now = self._acquired_at = now_epoch_millis()
        ids = uow.store.jobs.acquire(
            now, self._options.batch_size, self.owner, now + self._options.lock_millis
        )
        uow.commit()
        return ids

    def _idle_wait(self) -> float:
        """Seconds until the earliest job that may become acquirable, at most the
        maximum idle time; the plan is what :meth:`job_due` compares with."""
        now = now_epoch_millis()
        following = self._database.read(lambda uow: uow.store.jobs.next_acquirable(now))
        wait_millis = self._options.max_idle_seconds * 1000
        if following is not None and following < self._acquired_at:
            # Acquirable then, yet skipped: another transaction holds its row (a job run
            # by POST /job/{id}/execute, another process's job whose lock expired while
            # it runs). Looking again at once would spin until that transaction ends;
            # a job committed meanwhile is announced and wakes the wait anyway.
            wait_millis = min(wait_millis, self._options.skipped_backoff_seconds * 1000)
        elif following is not None:
            wait_millis = min(wait_millis, max(following - now, 0))
        self._planned_wake = now + int(wait_millis)
        return wait_millis / 1000

    def _execute_all(self, job_ids: list[str]) -> None:
        assert self._pool is not None
        for _ in self._pool.map(self.execute_locked, job_ids):
            pass

    def execute_locked(self, job_id: str) -> None:
        """Run one job this executor locked, in a unit of work of its own; a failure is
        recorded in another (``FailedJobListener``)."""
        if self._stopping.is_set():  # not started: stop() gives its lock up
            return
        try:
            ran = self._database.write(lambda uow: self._run_locked(uow, job_id))
        except jobs.RACES as error:
            races = self._count_race(job_id)
            if races < self._options.max_races_in_a_row:
                logger.info("job %s raced other work; it runs again", job_id)
                self._release(job_id)
                return
            logger.warning("job %s raced other work %d times in a row", job_id, races)
            self._forget_races(job_id)
            self._record_failure(job_id, error)
            return
        except Exception as error:
            if jobs.not_the_jobs(error):
                # An outage or a full disk: no retry spent, no incident; it runs again
                # once its lock, shortened to the error backoff, expires (or the
                # original lock does, if the database cannot be told).
                logger.warning("job %s could not run: %s", job_id, error)
                self._release(job_id, after_seconds=self._options.error_backoff_seconds)
                return
            self._forget_races(job_id)
            self._record_failure(job_id, error)
            return
        self._forget_races(job_id)
        if ran:
            self.jobs_run += 1

    def _record_failure(self, job_id: str, error: BaseException) -> None:
        logger.info("job %s failed: %s", job_id, jobs.exception_message(error))
        self.jobs_failed += 1
        try:
            self._database.write(lambda uow: jobs.record_failure_and_commit(uow, job_id, error))
        except Exception:
            # Its lock expires, and it runs again then: nothing is lost.
            logger.exception("the failure of job %s could not be recorded", job_id)

    def _count_race(self, job_id: str) -> int:
        """Count a race the job lost; how many it has lost in a row."""
        with self._races_lock:
            if len(self._races) >= _MAX_RACING_JOBS:
                # Jobs removed by others after a race are never forgotten otherwise.
                self._races.clear()
            races = self._races[job_id] = self._races.get(job_id, 0) + 1
            return races

    def _forget_races(self, job_id: str) -> None:
        with self._races_lock:
            self._races.pop(job_id, None)

    def _run_locked(self, uow: UnitOfWork, job_id: str) -> bool:
        job = uow.store.jobs.locked(job_id, self.owner)
        if job is None:  # removed meanwhile, or its lock expired and another took it
            return False
        run_job(uow, job)
        uow.commit()
        return True

    def _release(self, job_id: str, *, after_seconds: float = 0) -> None:
        """Give up the job's lock: at once, or ``after_seconds`` (the lock kept until
        then, so that a failure of the storage is not met again in a spin)."""

        def work(uow: UnitOfWork) -> None:
            job = uow.store.jobs.locked(job_id, self.owner)
            if job is not None and after_seconds:
                job.lock_expiration_time = now_epoch_millis() + int(after_seconds * 1000)
                uow.store.jobs.announce(job.lock_expiration_time)
            elif job is not None:
                job.lock_owner = None
                job.lock_expiration_time = None
                uow.store.jobs.announce(0)
            uow.commit()

        try:
            self._database.write(work)
        except Exception:
            logger.exception("job %s could not be unlocked; its lock expires", job_id)
