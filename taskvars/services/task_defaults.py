"""What a new task gets unless told otherwise, wherever it is created (``POST
/task/create``, a process instance tree, a deployed model)."""

from __future__ import annotations

import uuid

DEFAULT_PRIORITY = 50
# The identity link type of the candidates a task is created with.
CANDIDATE = "candidate"


def new_id() -> str:
    """A new task, execution or process instance id: a UUID, as Camunda's are."""
    return str(uuid.uuid4())
