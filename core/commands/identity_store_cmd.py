"""Identity over the store: ``resolve --store``, ``explain``, ``merge``, ``split``.

contactpoint identity resolve --store [--url URL] [--settings identity.yaml]
contactpoint identity explain cp_01hx… | salesforce/Contact/003A1 [--json] [--reveal]   (values masked unless --reveal)
contactpoint identity merge cp_A cp_B [--reason "same person, confirmed by phone"]
contactpoint identity split cp_A --records zendesk/users/77,hubspot/contacts/9 [--reason …]

A profile can be named by its ID, an email address, or one of its records
(``files:p-0007``, ``salesforce/Contact/003…``), as ``profile show`` takes it.
"""

from __future__ import annotations

import getpass
from pathlib import Path
from typing import Annotated, Any

import structlog
import typer
from rich.table import Table

from core.commands.common import console, errors_to_exit, print_json
from core.commands.progress import progress
from core.commands.store_cmd import UrlOption
from core.config import default_identity_settings
from core.errors import UsageError
from core.identity.manual import ManualChange, merge_profiles, split_profile
from core.identity.persist import resolve_store
from core.identity.profile_view import describe
from core.identity.settings import load_settings
from core.reports.person import find_person, golden_shown
from core.store import Store, open_store
from core.sync.lifecycle import IDENTITY_JOB, RunContext, RunKind

log = structlog.get_logger(__name__)

__all__ = ["SettingsOption", "explain_command", "merge_command", "resolve_store_command", "split_command"]


def _identity_settings(value: Path | None) -> Path | None:
    """``--settings``, else the identity settings named in contactpoint.yaml (here or in a parent folder)."""
    if value is not None:
        return value
    with errors_to_exit():
        return default_identity_settings()


SettingsOption = Annotated[
    Path | None,
    typer.Option(
        "--settings",
        callback=_identity_settings,
        help="Identity settings (default: identity.settings of contactpoint.yaml, else the built-in ones).",
    ),
]
JsonOption = Annotated[bool, typer.Option("--json", help="Print JSON.")]
ReasonOption = Annotated[str | None, typer.Option("--reason", help="Why (kept with the pins).")]


def _user() -> str | None:
    try:
        return getpass.getuser()
    except (OSError, KeyError):
        return None


def resolve_store_command(url: str | None, settings: Path | None, *, as_json: bool, wait: float = 0.0) -> None:
    """Resolve every canonical person in the store; print what changed."""
    with errors_to_exit():
        config = load_settings(settings)
        with open_store(url) as store, RunContext(store, RunKind.IDENTITY, jobs=[IDENTITY_JOB], wait=wait) as run:
            run_id = run.run_id
            with progress("resolving the people in the store", quiet=as_json):
                result = resolve_store(store, config, run_id=run_id, check_stop=run.check_stop)
            summary = result.summary()
            run.count_all(summary)
    if as_json:
        print_json({"run_id": run_id, **summary})
        return
    console.print(
        f"{summary['profiles']} profiles ({summary['new']} new, {summary['merged']} merged, "
        f"{summary['split']} split); {summary['records_linked']} records linked, "
        f"{summary['removed']} links removed; {summary['reviews']} pairs for review (run {run_id})",
        markup=False,
    )


def _contributions(explanation: dict[str, Any]) -> Table | None:
    rows = explanation.get("contributions") or []
    if not rows:
        return None
    table = Table("comparison", "level", "weight (bits)", "m", "u", box=None, pad_edge=False)
    for row in rows:
        m, u = row.get("m"), row.get("u")
        table.add_row(
            row["comparison"], row["level"], f"{row['weight']:+.2f}",
            "" if m is None else f"{m:.4f}", "" if u is None else f"{u:.4f}",
        )  # fmt: skip
    return table


def _print_report(report: dict[str, Any]) -> None:
    if report["alias_of"]:
        console.print(f"{report['query']} is an alias of {report['profile_id']} (merged into it)", markup=False)
    console.print(f"profile {report['profile_id']} ({report['status']}, created {report['created_at']})", markup=False)
    golden = Table("field", "value", "source", "rule", box=None, pad_edge=False)
    for name, value in report["golden"].items():
        source = value.get("source") or {}
        where = f"{source.get('system')}/{source.get('stream')}/{source.get('source_id')}" if source else ""
        golden.add_row(name, str(value.get("value")), where, str(value.get("rule")))
    console.print(golden)
    for link in report["links"]:
        explanation = link["explanation"] or {}
        how = link["rule"] or link["method"]
        score = "" if link["score"] is None else f" p={link['score']:.4f}"
        via = explanation.get("right") if explanation.get("left") == link["record"] else explanation.get("left")
        console.print(
            f"\n{link['record']}: {link['method']} {how}{score}" + (f" via {via}" if via else ""), markup=False
        )
        if "match_weight" in explanation:
            console.print(
                f"  prior {explanation['prior_weight']:+.2f} bits, match weight {explanation['match_weight']:+.2f} bits",
                markup=False,
            )
        table = _contributions(explanation)
        if table is not None:
            console.print(table)
        elif explanation:
            console.print(f"  {explanation}", markup=False)


def explain_command(
    ref: Annotated[str, typer.Argument(help="A profile ID (or alias), or a record as system/stream/source_id.")],
    url: UrlOption = None,
    as_json: JsonOption = False,
    reveal: Annotated[
        bool, typer.Option("--reveal", help="Show personal values as stored (masked by default); logged.")
    ] = False,
) -> None:
    """Show a profile, its records, and why each record is linked (rule or score, per field)."""
    with errors_to_exit(), open_store(url) as store:
        report = describe(store, ref)
    if reveal:
        log.warning("profile.revealed", user=_user(), profile_id=report["profile_id"])
    report["golden"] = golden_shown(report["golden"], reveal=reveal)  # masked as profile show masks it
    if as_json:
        print_json(report)
        return
    _print_report(report)


def _print_change(change: ManualChange, verb: str, *, as_json: bool) -> None:
    data = {"profile_id": change.profile_id, "other_id": change.other_id, "moved": change.moved, "pins": change.pin_ids}
    if as_json:
        print_json(data)
        return
    console.print(
        f"{verb}: {len(change.moved)} records moved, {len(change.pin_ids)} pins written; "
        "the pins hold on every later run",
        markup=False,
    )


def _profile(store: Store, ref: str) -> str:
    """The profile ID ``ref`` names: a profile ID as given (the merge and split check it), else found by address or record."""
    return ref if ref.strip().startswith("cp_") else find_person(store, ref)


def merge_command(
    first: Annotated[str, typer.Argument(help="A profile ID, an email address or a record (system:record-id).")],
    second: Annotated[str, typer.Argument(help="Another profile (the same forms); the older keeps its ID.")],
    reason: ReasonOption = None,
    url: UrlOption = None,
    settings: SettingsOption = None,
    as_json: JsonOption = False,
) -> None:
    """Merge two profiles by hand: the older keeps its ID, the other becomes its alias."""
    with errors_to_exit():
        if first.strip() == second.strip():
            msg = f"merge needs two different profiles; {first!r} was given twice"
            raise UsageError(msg, hint="contactpoint identity merge cp_A cp_B --reason 'same person'")
        config = load_settings(settings)
        with open_store(url) as store, RunContext(store, RunKind.IDENTITY_MERGE, jobs=[IDENTITY_JOB]) as run:
            one, other = _profile(store, first), _profile(store, second)
            change = merge_profiles(
                store, one, other, run_id=run.run_id, settings=config, reason=reason, created_by=_user()
            )
            run.count_all({"moved": len(change.moved), "pins": len(change.pin_ids)})
    _print_change(change, f"merged {change.other_id} into {change.profile_id}", as_json=as_json)


def split_command(
    profile: Annotated[
        str, typer.Argument(help="The profile to split: its ID, an email address or one of its records.")
    ],
    records: Annotated[str, typer.Option("--records", help="Records to move out: REF[,REF...] (system/stream/id).")],
    reason: ReasonOption = None,
    url: UrlOption = None,
    settings: SettingsOption = None,
    as_json: JsonOption = False,
) -> None:
    """Move records out of a profile into a new one, kept apart from the rest on every run."""
    chosen = [item.strip() for item in records.split(",") if item.strip()]
    with errors_to_exit():
        if not chosen:
            msg = f"--records names no record ({records!r}); list the records to move out, separated by commas"
            raise UsageError(msg, hint="contactpoint identity split cp_A --records salesforce/Contact/003xx")
        config = load_settings(settings)
        with open_store(url) as store, RunContext(store, RunKind.IDENTITY_SPLIT, jobs=[IDENTITY_JOB]) as run:
            change = split_profile(
                store,
                _profile(store, profile),
                chosen,
                run_id=run.run_id,
                settings=config,
                reason=reason,
                created_by=_user(),
            )
            run.count_all({"moved": len(change.moved), "pins": len(change.pin_ids)})
    _print_change(change, f"split {change.other_id} out of {change.profile_id}", as_json=as_json)
