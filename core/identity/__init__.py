"""Identity resolution: which records, across every system, are one person.

    resolve(people, settings) ─→ Resolution
        prepare_records ─ normalise once (normalise, roles, nicknames) → RecordTable
        apply_rules     ─ deterministic links (rules)
        block           ─ candidate pairs (blocking)
        compare_pairs   ─ comparison levels (compare)
        train, score    ─ Fellegi-Sunter: u from random pairs, m by EM (model)
        cluster_links   ─ union-find with the anti-chaining guard (cluster)
        derived_profile_id ─ profile IDs of a batch (profiles)
        golden_record   ─ survivorship with provenance (survivorship)
        Explanation     ─ why a pair was linked (explain)

    resolve_store(store, settings, run_id=...) ─ batch over the store, stable IDs (persist, stable, pins)
    resolve_one(store, person, settings)       ─ incremental, through the store's key index (incremental)
    merge_profiles, split_profile              ─ manual pins, applied at once (manual)
    describe(store, ref)                       ─ a stored profile and why each record is in it (profile_view)

Settings come from an ``identity.yaml`` (``load_settings``); docs/identity.md
describes every knob.
"""

from __future__ import annotations

from core.identity.blocking import BlockingReport, CandidatePairs, block
from core.identity.cluster import ClusterResult, cluster_links, strong_values
from core.identity.compare import COMPARISON_LEVELS, compare_pairs, default_comparisons
from core.identity.engine import resolve
from core.identity.explain import Decision, Explanation, FieldContribution, Method
from core.identity.fileinput import FilePeople, read_mapped_file, read_people_file
from core.identity.frequencies import TermFrequencies
from core.identity.incremental import IncrementalResolver, LinkDecision, Outcome, resolve_few, resolve_one
from core.identity.manual import ManualChange, merge_profiles, split_profile
from core.identity.model import ModelParameters, match_probability, pair_weights, score, train
from core.identity.nicknames import NicknameTable, default_nicknames
from core.identity.normalise import (
    NormalisedEmail,
    normalise_company,
    normalise_email,
    normalise_name,
    normalise_phone,
    normalise_postcode,
    normalise_street,
)
from core.identity.persist import StoreResolution, resolve_store
from core.identity.pins import PinnedClusters, pinned_clusters
from core.identity.profiles import derived_profile_id
from core.identity.records import RecordTable, prepare_records
from core.identity.resolution import PairDecisions, Resolution
from core.identity.roles import RoleMailboxes, default_role_mailboxes
from core.identity.rules import SameExternalIdRule, SamePersonalEmailRule, SamePhoneAndSurnameRule, apply_rules
from core.identity.settings import IdentitySettings, load_settings
from core.identity.stable import StableIds, assign_stable_ids, new_profile_id
from core.identity.survivorship import golden_record

__all__ = [
    "COMPARISON_LEVELS",
    "BlockingReport",
    "CandidatePairs",
    "ClusterResult",
    "FilePeople",
    "Decision",
    "Explanation",
    "FieldContribution",
    "IncrementalResolver",
    "LinkDecision",
    "ManualChange",
    "Outcome",
    "PinnedClusters",
    "StableIds",
    "StoreResolution",
    "TermFrequencies",
    "IdentitySettings",
    "Method",
    "ModelParameters",
    "NicknameTable",
    "NormalisedEmail",
    "PairDecisions",
    "RecordTable",
    "Resolution",
    "RoleMailboxes",
    "SameExternalIdRule",
    "SamePersonalEmailRule",
    "SamePhoneAndSurnameRule",
    "apply_rules",
    "assign_stable_ids",
    "block",
    "cluster_links",
    "compare_pairs",
    "default_comparisons",
    "default_nicknames",
    "default_role_mailboxes",
    "derived_profile_id",
    "golden_record",
    "load_settings",
    "match_probability",
    "merge_profiles",
    "new_profile_id",
    "normalise_company",
    "normalise_email",
    "normalise_name",
    "normalise_phone",
    "normalise_postcode",
    "normalise_street",
    "pinned_clusters",
    "prepare_records",
    "read_mapped_file",
    "read_people_file",
    "resolve",
    "resolve_few",
    "resolve_one",
    "resolve_store",
    "pair_weights",
    "score",
    "split_profile",
    "strong_values",
    "train",
]
