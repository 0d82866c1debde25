"""The policy benchmark stays runnable, and its hand-written baseline agrees with the engine person by person."""

from __future__ import annotations

import argparse
import random
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.policy import NOW, POLICIES, baseline, people, run  # noqa: E402
from core.policy import load_policies  # noqa: E402


def test_the_engine_and_the_baseline_agree_on_generated_people():
    policies = load_policies(POLICIES)
    engine, base, interactions = run(policies, argparse.Namespace(profiles=600, interactions=20, chunk=200, seed=3))
    assert 600 * 10 < interactions < 600 * 30
    assert engine > 0 and base > 0


def test_the_generated_people_exercise_every_decision():
    policies = load_policies(POLICIES)
    crowd = people(random.Random(5), 0, 1500, 20)
    reasons = {reason for person in crowd for reason in baseline(person)[2]}
    assert reasons == {
        "unsubscribed_anywhere", "email_bounced", "urgent_ticket_open", "beginner_nurture_left", "frequency_cap",
        "complaint_open",
    }  # fmt: skip
    segments = {policies.evaluate(person, now=NOW).enrichment["segment"] for person in crowd}
    assert segments == {"enterprise buyer", "beginner", None}
