"""``contactpoint identity list`` and ``contactpoint profile search``: find the people in the store.

    contactpoint identity list [--limit 50] [--offset 0] [--status active|merged|retired|all] [--json] [--reveal]
    contactpoint profile search QUERY [--limit 20] [--json] [--reveal]
        QUERY: an email address, a name (``ann smi``), a record (``salesforce:003…``,
        ``files/people/17``) or a profile ID

Each line: the profile ID, its status, how many records are linked and from which systems,
and the golden name and email, masked unless ``--reveal`` (which is logged). The profile IDs
are what ``identity explain``, ``identity merge``/``split`` and ``profile show`` take.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import structlog
import typer

from core.commands.common import console, errors_to_exit, print_json
from core.commands.report_cmd import current_user
from core.commands.store_cmd import UrlOption
from core.errors import UsageError
from core.reports.directory import ProfilePage, list_profiles, search_profiles
from core.reports.project import project_context
from core.store import ProfileStatus, open_store

__all__ = ["list_command", "search_command"]

log = structlog.get_logger(__name__)

JsonOption = Annotated[bool, typer.Option("--json", help="Print JSON.")]
RevealOption = Annotated[
    bool, typer.Option("--reveal", help="Show names and addresses as stored (masked by default); logged.")
]


def _print(page: ProfilePage, *, reveal: bool, empty: str) -> None:
    """One line a profile; IDs are never shortened (they are what the other commands take)."""
    if not page.profiles:
        console.print(empty, markup=False)
        return
    width = max(len("systems"), *(len(",".join(p.systems)) for p in page.profiles))
    console.print(f"{'profile':<28}  {'status':<7}  records  {'systems':<{width}}  name / email", markup=False)
    for profile in page.profiles:
        row = profile.as_dict(reveal=reveal)
        person = " ".join(str(row[k]) for k in ("first_name", "last_name", "email") if row[k])
        console.print(f"{profile.profile_id:<28}  {profile.status:<7}  {profile.records:>7}  "
                      f"{','.join(profile.systems):<{width}}  {person}", markup=False)  # fmt: skip


def _page_json(page: ProfilePage, *, reveal: bool) -> dict[str, object]:
    return {"total": page.total, "offset": page.offset, "next_offset": page.next_offset,
            "profiles": [p.as_dict(reveal=reveal) for p in page.profiles]}  # fmt: skip


def list_command(
    limit: Annotated[int, typer.Option("--limit", min=1, max=10_000, help="At most this many profiles.")] = 50,
    offset: Annotated[int, typer.Option("--offset", min=0, help="Skip this many (the next page's offset).")] = 0,
    status: Annotated[str, typer.Option("--status", help="active, merged, retired or all.")] = "active",
    reveal: RevealOption = False,
    url: UrlOption = None,
    as_json: JsonOption = False,
) -> None:
    """List the unified profiles with their record counts and systems, most records first."""
    with errors_to_exit():
        if status != "all" and status not in set(ProfileStatus):
            msg = f"--status {status!r} is not one of {', '.join([*ProfileStatus, 'all'])}"
            raise UsageError(msg, hint="--status active")
        with open_store(url) as store:
            page = list_profiles(store, limit=limit, offset=offset, status=None if status == "all" else status)
    if reveal:
        log.warning("identity.list_revealed", user=current_user(), records=len(page.profiles))
    if as_json:
        print_json(_page_json(page, reveal=reveal))
        return
    _print(page, reveal=reveal, empty=f"no {status} profiles; `contactpoint identity resolve --store` makes them")
    if page.profiles:
        shown = f"{page.offset + 1}-{page.offset + len(page.profiles)} of {page.total} {status} profiles"
        more = f"; next: contactpoint identity list --offset {page.next_offset}" if page.next_offset else ""
        console.print(shown + more, markup=False)


def search_command(
    query: Annotated[str, typer.Argument(help="An email address, a name, system:record-id or a profile ID.")],
    limit: Annotated[int, typer.Option("--limit", min=1, max=1000, help="At most this many profiles.")] = 20,
    reveal: RevealOption = False,
    config: Annotated[Path | None, typer.Option("--config", "-c", help="Project file (default: ./contactpoint.yaml when present).")] = None,
    url: Annotated[str | None, typer.Option("--url", help="Database URL (default: the project's, else CONTACTPOINT_DATABASE_URL).")] = None,
    as_json: JsonOption = False,
) -> None:  # fmt: skip
    """Find profiles by email address, name, record or profile ID."""
    with errors_to_exit():
        if not query.strip():
            msg = "the search is empty"
            raise UsageError(msg, hint="contactpoint profile search tomas@example.com (or a name, or system:record-id)")
        context = project_context(config, url)
        with open_store(context.url) as store:
            page = search_profiles(store, query, limit=limit)
    if reveal:
        log.warning("profile.search_revealed", user=current_user(), records=len(page.profiles))
    if as_json:
        print_json(_page_json(page, reveal=reveal))
        return
    _print(page, reveal=reveal, empty="no profile matches; try part of a name, an email address or system:record-id")
    if page.total > len(page.profiles):
        console.print(f"{len(page.profiles)} of {page.total} matches; --limit shows more", markup=False)
