"""bench.small_uploads' rounds: each server's row is its median round, not its best."""

from __future__ import annotations

from bench.small_uploads import LoadResult, median_round


def round_at(requests_per_second: float, errors: int = 0) -> LoadResult:
    return LoadResult(
        requests_per_second=requests_per_second,
        p50_ms=1000 / requests_per_second,
        p99_ms=2000 / requests_per_second,
        errors=errors,
        cpu_ms_per_request=requests_per_second / 1000,
    )


def test_the_row_is_the_median_round_with_its_own_latencies_and_cpu() -> None:
    row = median_round([round_at(1500), round_at(900), round_at(1200)])
    assert row == round_at(1200)


def test_errors_of_every_round_count_against_the_row() -> None:
    row = median_round([round_at(1500, errors=2), round_at(900), round_at(1200, errors=1)])
    assert (row.requests_per_second, row.errors) == (1200, 3)


def test_of_an_even_number_of_rounds_the_higher_middle_one_is_taken() -> None:
    assert median_round([round_at(900), round_at(1200)]).requests_per_second == 1200
