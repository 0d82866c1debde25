"""``contactpoint profile show|export|erase``: one person, everything held about them, and forgetting them.

    contactpoint profile show PERSON [--json] [--reveal]
    contactpoint profile export PERSON [--out FILE]
    contactpoint profile erase PERSON [--dry-run] [--reason TEXT] [--json]

PERSON is a profile ID (or alias), an email address, or a record as ``system:record-id``
(or ``system/stream/record-id``). Unknown people exit 4 with a hint.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import structlog
import typer
from rich.table import Table

from connectors.base import Connector
from core.commands.common import console, errors_to_exit, print_json
from core.commands.report_cmd import current_user
from core.config import build_connector
from core.privacy import erase_person, export_person, plan_erasure
from core.reports.person import find_person, profile_view
from core.reports.project import ProjectContext, project_context
from core.store import open_store
from core.sync.lifecycle import IDENTITY_JOB, RunContext, RunKind

log = structlog.get_logger(__name__)


Person = Annotated[str, typer.Argument(help="A profile ID, an email address, or system:record-id.")]
Config = Annotated[Path | None, typer.Option("--config", "-c", help="Project file (default: ./contactpoint.yaml when present).")]  # fmt: skip
Url = Annotated[str | None, typer.Option("--url", help="Database URL (default: the project's, else CONTACTPOINT_DATABASE_URL).")]  # fmt: skip


def show(
    person: Person,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
    reveal: Annotated[bool, typer.Option("--reveal", help="Show personal values as stored (masked by default); logged.")] = False,
    config: Config = None,
    url: Url = None,
) -> None:  # fmt: skip
    """Show the unified profile: golden fields with provenance, identifiers, records, enrichment, suppressions, ledger."""
    with errors_to_exit():
        context = project_context(config, url)
        mode = context.project.ledger.mode if context.project else None
        with open_store(context.url) as store:
            profile_id = find_person(store, person)
            view = profile_view(store, profile_id, reveal=reveal, **({"mode": mode} if mode else {}))
    if reveal:
        log.warning("profile.revealed", user=current_user(), profile_id=profile_id)
    if as_json:
        print_json(view)
        return
    _print(view)


def _print(view: dict[str, Any]) -> None:
    console.print(f"profile {view['profile_id']} ({view['status']}, created {view['created_at']})", markup=False)
    if view["aliases"]:
        console.print(f"aliases: {', '.join(view['aliases'])}", markup=False)
    golden = Table("field", "value", "source", "rule", title="golden record", box=None)
    for name, item in view["golden"].items():
        source = item.get("source") or {}
        where = "/".join(str(source.get(k)) for k in ("system", "stream", "source_id")) if source else ""
        golden.add_row(name, str(item.get("value")), where, str(item.get("rule") or ""))
    console.print(golden)
    records = Table("system", "record", "linked by", "last pulled", title="records", box=None)
    for system, items in view["records"].items():
        for r in items:
            records.add_row(system, r["record"], f"{r['linked_by']} {r['rule'] or ''}".strip(), str(r["last_pulled"]))
    console.print(records)
    console.print("identifiers: " + ", ".join(sorted(view["identifiers"])), markup=False)
    if view["enrichment"]:
        console.print("enrichment: " + ", ".join(f"{k[11:]}={v}" for k, v in view["enrichment"].items()), markup=False)
    for s in view["suppressions"]:
        console.print(f"suppressed ({s.get('scope')}): {s.get('reason')} since {s.get('since')} — {s.get('detail') or ''}",
                      markup=False)  # fmt: skip
    ledger = view["ledger"]
    consents = ", ".join(f"{c['channel']}/{c['purpose']}: {c['status']}" for c in ledger["consents"]) or "none"
    console.print(f"ledger ({ledger['mode']}): consents {consents}; grants {len(ledger['grants'])}", markup=False)
    if view["masked"]:
        console.print("personal values are masked; --reveal shows them (logged)", markup=False)


def export(
    person: Person,
    out: Annotated[Path | None, typer.Option("--out", help="Write the JSON document here (default: standard output).")] = None,
    config: Config = None,
    url: Url = None,
) -> None:  # fmt: skip
    """Write everything held about the person as one JSON document (schema: docs/privacy.md)."""
    with errors_to_exit():
        context = project_context(config, url)
        with open_store(context.url) as store:
            profile_id = find_person(store, person)
            document = export_person(store, profile_id)
    log.info("profile.exported", user=current_user(), profile_id=profile_id)
    if out is None:
        print_json(document)
        return
    out.write_text(json.dumps(document, indent=2, default=str) + "\n", encoding="utf-8")
    console.print(f"{out}: {len(document['records'])} records, {len(document['consents'])} consents, "
                  f"{len(document['ledger']['statements'])} ledger entries", markup=False)  # fmt: skip


def _connectors(context: ProjectContext) -> dict[str, Connector]:
    project = context.project
    if project is None:
        return {}
    return {name: build_connector(project, name) for name, s in project.systems.items() if s.enabled}


def erase(
    person: Person,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Say what would be removed and asked of each system; change nothing.")] = False,
    reason: Annotated[str | None, typer.Option("--reason", help="Why (kept in the audit entry).")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
    config: Config = None,
    url: Url = None,
) -> None:  # fmt: skip
    """Forget the person: remove them from the store, keep a tombstone, and delete them in every system."""
    with errors_to_exit():
        context = project_context(config, url)
        connectors = _connectors(context)
        with open_store(context.url) as store:
            profile_id = find_person(store, person)
            plan = plan_erasure(store, profile_id, connectors)
            result: dict[str, Any] = {"dry_run": dry_run, **plan.as_dict()}
            if not dry_run:
                with RunContext(store, RunKind.ERASE, jobs=[IDENTITY_JOB]) as run:
                    erasure_id, outcome = erase_person(store, plan, connectors, requested_by=current_user(),
                                                       reason=reason, run_id=run.run_id)  # fmt: skip
                result["erasure_id"] = erasure_id
                result["systems"] = [{"system": t.system, "record": f"{t.stream}/{t.source_id}", "status": t.status,
                                      "answer": t.answer, "attempts": t.attempts}
                                     for t in store.erasures.targets_of(erasure_id)]  # fmt: skip
                result["done"] = erasure_id in outcome.done
    if as_json:
        print_json(result)
        return
    verb = "would remove" if dry_run else "removed"
    console.print(f"{profile_id}: {verb} {len(plan.records)} linked records, {len(plan.activity)} activity records, "
                  f"{len(plan.merged)} records merged into them at their source, {plan.ledger_entries} ledger "
                  f"entries; {len(plan.tombstones)} tombstones kept", markup=False)  # fmt: skip
    for item in result["systems"]:
        state = item.get("status") or item.get("action")
        console.print(f"  {item['system']} {item['record']}: {state} {item.get('answer') or item.get('note') or ''}",
                      markup=False)  # fmt: skip
    if not dry_run and not result["done"]:
        console.print("some systems have not confirmed yet: every sync run tries them again", markup=False)
