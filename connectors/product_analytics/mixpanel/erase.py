"""Erasing people in Mixpanel: one GDPR data-deletion task for their distinct IDs, followed to its end.

erase_profiles(client, ids, wait=, sleep=) ─→ one EraseResult per distinct ID
POST {gdpr}/data-deletions/v3.0?token=…  (at most 2,000 IDs a task) ─→ task ID
GET  {gdpr}/data-deletions/v3.0/{task}   until SUCCESS (deleted) or FAILURE (failed, retryable);
still running after ``wait`` seconds: failed, retryable
(the next sync run asks again: deleting twice is harmless)
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence

from connectors.base import EraseOutcome, EraseResult
from connectors.product_analytics.mixpanel.client import MixpanelClient

__all__ = ["MAX_IDS", "erase_profiles"]

MAX_IDS = 2000
_DONE = "SUCCESS"
_FAILED = "FAILURE"


def _follow(client: MixpanelClient, task_id: str, *, wait: float, sleep: Callable[[float], None]) -> str:
    deadline, pause, status = time.monotonic() + wait, 0.5, ""
    while True:
        status = client.deletion_status(task_id)
        if status in (_DONE, _FAILED) or time.monotonic() >= deadline:
            return status
        sleep(pause)
        pause = min(pause * 2, 15.0)


def erase_profiles(
    client: MixpanelClient, ids: Sequence[str], *, wait: float, sleep: Callable[[float], None] = time.sleep
) -> list[EraseResult]:
    """Delete the events and profiles of these distinct IDs; see the module docstring.

    Raises:
        ConnectorError: Mixpanel could not be reached or refused the credentials.
    """
    results: list[EraseResult] = []
    for start in range(0, len(ids), MAX_IDS):
        part = list(ids[start : start + MAX_IDS])
        task_id = client.create_deletion(part)
        status = _follow(client, task_id, wait=wait, sleep=sleep)
        if status == _DONE:
            outcome, message, retry = EraseOutcome.DELETED, f"deletion task {task_id}: SUCCESS", False
        elif status == _FAILED:
            outcome, message, retry = EraseOutcome.FAILED, f"deletion task {task_id}: FAILURE", True
        else:
            outcome, message, retry = (
                EraseOutcome.FAILED,
                f"deletion task {task_id} still {status} after {wait:.0f} s",
                True,
            )
        results += [EraseResult(i, outcome, message, retryable=retry) for i in part]
    return results
