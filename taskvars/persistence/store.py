"""The store: the questions services ask of the database, by concern, on one session.

Each concern is a module of its own; the store only puts them on the same session:

- :mod:`~taskvars.persistence.scope_tree` — ``store.scopes``: the tree, chains, deletes;
- :mod:`~taskvars.persistence.tasks` — ``store.tasks``: task attributes and queries;
- :mod:`~taskvars.persistence.process_instances` — ``store.process_instances``;
- :mod:`~taskvars.persistence.variables` — ``store.variables``: reads and writes;
- :mod:`~taskvars.persistence.variable_instances` — ``store.variable_instances``:
  variables looked up across scopes;
- :mod:`~taskvars.persistence.binary_contents` — ``store.contents``: the bytes of
  ``Bytes`` and ``File`` values, in chunks of the store's size;
- :mod:`~taskvars.persistence.deployments` — ``store.deployments``: deployed files and
  the process definitions of each; ``store.definitions``: process definitions queried;
- :mod:`~taskvars.persistence.process_runs` — ``store.process_runs``: the BPMN engine's
  state of each process instance it runs;
- :mod:`~taskvars.persistence.history` — ``store.history``: the instances models run,
  their activities, tasks and variables, recorded as they change;
- :mod:`~taskvars.persistence.history_tasks` — ``store.historic_tasks`` and
  :mod:`~taskvars.persistence.history_activities` — ``store.historic_activities``: the
  recorded tasks and activity instances queried.
- :mod:`~taskvars.persistence.external_tasks` — ``store.external_tasks``: service tasks
  waiting for workers, their locks and failures;
- :mod:`~taskvars.persistence.task_comments` — ``store.task_comments`` and
  :mod:`~taskvars.persistence.task_attachments` — ``store.task_attachments``: what people
  noted on tasks, kept past the tasks' end.
- :mod:`~taskvars.persistence.external_task_query` — ``store.external_task_query``:
  external tasks read as Camunda's query reads them.
- :mod:`~taskvars.persistence.incidents` — ``store.incidents`` and
  :mod:`~taskvars.persistence.history_incidents` — ``store.historic_incidents``: what a
  process instance needs a person for, open and recorded.
- :mod:`~taskvars.persistence.jobs` — ``store.jobs``: timers and asynchronous
  continuations the job executor runs; ``store.job_query``: jobs as ``/job`` queries them;
- :mod:`~taskvars.persistence.event_subscriptions` — ``store.event_subscriptions``:
  messages and signals processes wait for.
"""

from __future__ import annotations

from functools import cached_property

from sqlalchemy.orm import Session

from taskvars.persistence.binary_contents import BinaryContents
from taskvars.persistence.content_files import ContentFiles
from taskvars.persistence.count_reuse import CountReuse
from taskvars.persistence.deployments import Deployments, ProcessDefinitions
from taskvars.persistence.event_subscriptions import EventSubscriptions
from taskvars.persistence.external_task_query import ExternalTaskQueries
from taskvars.persistence.external_tasks import ExternalTasks
from taskvars.persistence.history import History
from taskvars.persistence.history_activities import HistoricActivities
from taskvars.persistence.history_incidents import HistoricIncidents
from taskvars.persistence.history_tasks import HistoricTasks
from taskvars.persistence.incidents import Incidents
from taskvars.persistence.job_query import JobQueries
from taskvars.persistence.jobs import Jobs
from taskvars.persistence.process_instances import ProcessInstances
from taskvars.persistence.process_runs import ProcessRuns
from taskvars.persistence.scope_tree import ScopeTree
from taskvars.persistence.task_attachments import TaskAttachments
from taskvars.persistence.task_comments import TaskComments
from taskvars.persistence.tasks import Tasks
from taskvars.persistence.variable_instances import VariableInstances
from taskvars.persistence.variables import Variables

DEFAULT_CHUNK_BYTES = 1024 * 1024


class Store:
    """The concerns on one session, each built when first asked for: a read asks for
    one or two of them, and building all of them cost more than its query."""

    def __init__(
        self,
        session: Session,
        content_files: ContentFiles | None = None,
        chunk_bytes: int = DEFAULT_CHUNK_BYTES,
        *,
        history: bool = True,
        task_counts: CountReuse | None = None,
    ) -> None:
        self.session = session
        self._task_counts = task_counts
        self._content_files = content_files
        self._chunk_bytes = chunk_bytes
        self._history = history

    @cached_property
    def contents(self) -> BinaryContents:
        return BinaryContents(self.session, self._content_files, self._chunk_bytes)

    @cached_property
    def history(self) -> History:
        return History(self.session, self.contents, enabled=self._history)

    @cached_property
    def scopes(self) -> ScopeTree:
        return ScopeTree(self.session, self.contents, self.history)

    @cached_property
    def tasks(self) -> Tasks:
        return Tasks(self.session, self.scopes, self._task_counts)

    @cached_property
    def process_instances(self) -> ProcessInstances:
        return ProcessInstances(self.session, self.scopes)

    @cached_property
    def variables(self) -> Variables:
        return Variables(self.session, self.contents, self.history)

    @cached_property
    def variable_instances(self) -> VariableInstances:
        return VariableInstances(self.session)

    @cached_property
    def deployments(self) -> Deployments:
        return Deployments(self.session)

    @cached_property
    def definitions(self) -> ProcessDefinitions:
        return ProcessDefinitions(self.session)

    @cached_property
    def process_runs(self) -> ProcessRuns:
        return ProcessRuns(self.session)

    @cached_property
    def historic_tasks(self) -> HistoricTasks:
        return HistoricTasks(self.session)

    @cached_property
    def historic_activities(self) -> HistoricActivities:
        return HistoricActivities(self.session)

    @cached_property
    def task_comments(self) -> TaskComments:
        return TaskComments(self.session)

    @cached_property
    def external_tasks(self) -> ExternalTasks:
        return ExternalTasks(self.session)

    @cached_property
    def jobs(self) -> Jobs:
        return Jobs(self.session)

    @cached_property
    def job_query(self) -> JobQueries:
        return JobQueries(self.session)

    @cached_property
    def event_subscriptions(self) -> EventSubscriptions:
        return EventSubscriptions(self.session)

    @cached_property
    def task_attachments(self) -> TaskAttachments:
        return TaskAttachments(self.session, self.contents)

    @cached_property
    def external_task_query(self) -> ExternalTaskQueries:
        return ExternalTaskQueries(self.session)

    @cached_property
    def historic_incidents(self) -> HistoricIncidents:
        return HistoricIncidents(self.session)

    @cached_property
    def incidents(self) -> Incidents:
        return Incidents(self.session, self.history, self.historic_incidents)
