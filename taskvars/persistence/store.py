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

from sqlalchemy.orm import Session

from taskvars.persistence.binary_contents import BinaryContents
from taskvars.persistence.content_files import ContentFiles
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
    def __init__(
        self,
        session: Session,
        content_files: ContentFiles | None = None,
        chunk_bytes: int = DEFAULT_CHUNK_BYTES,
        *,
        history: bool = True,
    ) -> None:
        self.session = session
        self.contents = BinaryContents(session, content_files, chunk_bytes)
        self.history = History(session, self.contents, enabled=history)
        self.scopes = ScopeTree(session, self.contents, self.history)
        self.tasks = Tasks(session, self.scopes)
        self.process_instances = ProcessInstances(session, self.scopes)
        self.variables = Variables(session, self.contents, self.history)
        self.variable_instances = VariableInstances(session)
        self.deployments = Deployments(session)
        self.definitions = ProcessDefinitions(session)
        self.process_runs = ProcessRuns(session)
        self.historic_tasks = HistoricTasks(session)
        self.historic_activities = HistoricActivities(session)
        self.task_comments = TaskComments(session)
        self.external_tasks = ExternalTasks(session)
        self.jobs = Jobs(session)
        self.job_query = JobQueries(session)
        self.event_subscriptions = EventSubscriptions(session)
        self.task_attachments = TaskAttachments(session, self.contents)
        self.external_task_query = ExternalTaskQueries(session)
        self.historic_incidents = HistoricIncidents(session)
        self.incidents = Incidents(session, self.history, self.historic_incidents)
