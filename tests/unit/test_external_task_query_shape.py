"""The external-task query's filter table: Camunda's names in, criteria out."""

from __future__ import annotations

from taskvars.services import external_task_query


def test_lock_expiry_bounds_become_epoch_milliseconds_like_the_table() -> None:
    query = external_task_query.from_parameters(
        {"lock_expiration_after": "2025-12-05T13:00:00.000+0100"}
    )
    assert query.criteria.lock_expiration_after == 1_764_936_000_000
    body = external_task_query.from_body({"lockExpirationBefore": "2025-12-05T12:00:00Z"})
    assert body.criteria.lock_expiration_before == 1_764_936_000_000


def test_ids_and_sorting_come_from_either_form() -> None:
    query = external_task_query.from_parameters(
        {"external_task_id_in": "a,b", "sort_by": "taskPriority", "sort_order": "desc"}
    )
    assert query.criteria.external_task_ids == ["a", "b"]
    assert query.orderings == (("taskPriority", True),)
    body = external_task_query.from_body(
        {"externalTaskIdIn": ["a"], "sorting": [{"sortBy": "createTime", "sortOrder": "asc"}]}
    )
    assert body.criteria.external_task_ids == ["a"]
    assert body.orderings == (("createTime", False),)
