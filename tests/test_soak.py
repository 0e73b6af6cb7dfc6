"""A bounded crash soak (the full one is `bench/soak.py`): `station watch` SIGKILLed five
times at seeded random moments over a stream of batches, half of the kills leaving its page
workers orphaned, and `station serve` restarted while a reviewer reads and decides pages.
Afterwards every file is recorded once, every batch's PDF/A written once and valid, and no
"database is locked" or other server error reached the reviewer or the logs."""

from __future__ import annotations

from pathlib import Path

import pytest

from bench.soak import SoakPlan, run_soak


@pytest.mark.slow
def test_killed_five_times_over_a_stream_of_batches_the_books_still_balance(
    tmp_path: Path,
) -> None:
    plan = SoakPlan(batches=4, pages=2, kills=5, server_restarts=2, seed=5, timeout_s=420)
    result = run_soak(tmp_path, plan, say=lambda _: None)
    assert result["problems"] == []
    assert result["kills"] == 5 and result["watcher_runs"] == 6
    assert result["server_restarts"] == 2
    assert result["pages"] == 8
    # The reviewer was really there: requests answered before, during and after the restarts.
    assert result["answered"].get(200, 0) >= 10
    assert result["server_errors"] == 0 and result["locked_errors"] == 0
