"""``contactpoint ledger ...``: the customer's own ledger of consents, preferences and grants.

contactpoint ledger record FILE|- --reason TEXT    record what a customer said (JSON object or list), all or none
contactpoint ledger show PERSON [--json] [--at T]  the state in force and the history with sources
contactpoint ledger export PERSON [--out FILE]     a signed, portable JSON document of the whole ledger
contactpoint ledger import FILE [--person P] [--trust-key KEY_ID]
contactpoint ledger verify [--json]                check every chain; name the first broken entry
contactpoint ledger link PERSON                    a signed, expiring, single-use sign-in link
contactpoint ledger keygen                         a new signing key (for your secret store)
contactpoint ledger clients add|list               systems that may ask people for scoped reading
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from core.commands.common import console, errors_to_exit, print_json
from core.commands.report_cmd import current_user
from core.commands.store_cmd import UrlOption
from core.config import find_project, load_project
from core.errors import UsageError
from core.ledger.service import (
    export_person,
    import_document,
    keyring_for,
    person_of,
    record_for_customer,
    sign_in_link,
)
from core.ledger.settings import KEY_ENV, LedgerSettings
from core.ledger.signing import SigningKey, generate_key_text
from core.ledger.statements import iso, parse_time
from core.ledger.vocabulary import Part
from core.reports.person import find_person
from core.store import Store, open_store

__all__ = ["clients", "load_ledger_settings"]

clients = typer.Typer(help="Systems that may ask people for scoped reading (OAuth 2.0 clients).", no_args_is_help=True)

ConfigOption = Annotated[
    Path | None,
    typer.Option(
        "--config", help="contactpoint.yaml with a ledger: section (default: ./contactpoint.yaml if present)."
    ),
]
JsonOption = Annotated[bool, typer.Option("--json", help="Print JSON.")]


def load_ledger_settings(config: Path | None) -> LedgerSettings:
    """Return the ``ledger:`` settings of ``config`` (or the contactpoint.yaml found here or above), else the defaults.

    Raises:
        ConfigError: The file is invalid.
    """
    path = config or find_project()
    return load_project(path).ledger if path is not None else LedgerSettings()


def _read_json(source: str) -> Any:
    text = sys.stdin.read() if source == "-" else _read_file(Path(source))
    try:
        return json.loads(text)
    except json.JSONDecodeError as err:
        where = "standard input" if source == "-" else source
        msg = f"{where} is not JSON: {err.msg} at line {err.lineno}, column {err.colno}"
        raise UsageError(
            msg, hint="give a JSON statement object or a list of them (docs/ledger.md#statements)"
        ) from None


def _read_file(path: Path) -> str:
    if not path.is_file():
        msg = f"file {path} does not exist"
        raise UsageError(msg, hint="give the path of a JSON file, or - to read standard input")
    return path.read_text(encoding="utf-8")


def record_command(
    source: Annotated[str, typer.Argument(help="A JSON file of one statement or a list, or - for standard input.")],
    reason: Annotated[
        str, typer.Option("--reason", help="Why you record this for the customer (a call, a letter); shown to them.")
    ],
    url: UrlOption = None,
    as_json: JsonOption = False,
) -> None:
    """Record what a customer said, on their behalf: with your user and --reason; one bad statement records none.

    Only ``customer`` statements: the preference centre's own (signed) and a sync's
    observations are not written here.
    """
    with errors_to_exit():
        if not reason.strip():
            msg = "--reason is empty"
            raise UsageError(msg, hint="say why you record this, e.g. --reason 'phoned on 2 May, ticket 4411'")
        data = _read_json(source)
        with open_store(url) as store:
            recorded = record_for_customer(store, data, by=current_user() or "unknown", reason=reason.strip())
    rows = [{"statement_id": e.statement.statement_id, "person": e.chain, "seq": e.seq} for e in recorded.entries]
    if as_json:
        print_json({"recorded": rows, "skipped": recorded.skipped})
        return
    for row in rows:
        console.print(f"recorded {row['statement_id']} for {row['person']} (#{row['seq']})", markup=False)
    for skipped in recorded.skipped:
        console.print(f"already recorded {skipped} (left as it was)", markup=False)


def _describe(body: dict[str, Any]) -> str:
    kind = body["type"]
    if kind == "consent":
        return f"{body['channel']}/{body['purpose']} consent {body['status']}"
    if kind == "preference":
        return f"{body['name']} = {json.dumps(body['value'])}"
    if kind == "interest":
        return f"{body['topic']}: {body['stance']}"
    scope = f"{','.join(body.get('parts') or ['everything'])} for {','.join(body.get('purposes') or ['every purpose'])}"
    until = f" until {body['expires_at']}" if kind == "grant" else ""
    return f"{kind} {body['system']}: {scope}{until}"


def _source(body: dict[str, Any]) -> str:
    source = body["source"]
    text = str(source["kind"])
    if source.get("reason"):
        text += f" by {source.get('by')}: {source['reason']}"
    if source.get("system"):
        text += f" ({source.get('record') or source['system']})"
    if body.get("signature"):
        text += " signed"
    if body.get("imported"):
        text += " imported"
    return text


def _show(store: Store, settings: LedgerSettings, person: str, at: str | None) -> dict[str, Any]:
    profile_id = person_of(store, person)
    moment = parse_time(at) if at else None
    state = store.ledger.state_in_force(profile_id, at=moment, mode=settings.mode)
    history = [
        {"seq": e.seq, "chain": e.chain, "recorded_at": iso(e.recorded_at), "statement": dict(e.statement.body)}
        for e in store.ledger.history(profile_id)
    ]
    return {"person": person, "state": state.to_json(), "writeback": state.writeback_values(), "history": history}


def _print_show(report: dict[str, Any]) -> None:
    state = report["state"]
    console.print(f"ledger of {state['profile_id']} in force at {state['at']} ({state['mode']} mode)", markup=False)
    table = Table("in force", "value", "source", box=None, pad_edge=False)
    for consent in state["consents"]:
        table.add_row(
            f"consent {consent['channel']}/{consent['purpose']}",
            consent["status"],
            f"{consent['source']} {consent['at']}",
        )
    for name, value in report["writeback"].items():
        if value not in (None, [], False):
            table.add_row(name, json.dumps(value), "")
    for grant in state["grants"]:
        table.add_row(
            f"grant {grant['system']}",
            f"{','.join(grant['parts'])} for {','.join(grant['purposes'])}",
            f"until {grant['expires_at']}",
        )
    console.print(table)
    history = Table("#", "made at", "statement", "source", "id", box=None, pad_edge=False)
    for entry in report["history"]:
        body = entry["statement"]
        history.add_row(str(entry["seq"]), body["at"], _describe(body), _source(body), body["statement_id"])
    console.print(f"\nhistory ({len(report['history'])} statements)", markup=False)
    console.print(history)


def show_command(
    person: Annotated[
        str, typer.Argument(help="A profile ID (or alias), an email address or a record (system:record-id).")
    ],
    at: Annotated[str | None, typer.Option("--at", help="Show the state in force at this time (RFC 3339).")] = None,
    url: UrlOption = None,
    config: ConfigOption = None,
    as_json: JsonOption = False,
) -> None:
    """Show a person's ledger: the state in force, and every statement with its source."""
    with errors_to_exit():
        settings = load_ledger_settings(config)
        try:
            parse_time(at) if at else None
        except ValueError as err:
            msg = f"--at {at!r}: {err}"
            raise UsageError(msg, hint="give a time such as 2024-05-01T09:30:00Z") from None
        with open_store(url) as store:
            report = _show(store, settings, find_person(store, person), at)
    if as_json:
        print_json(report)
        return
    _print_show(report)


def export_command(
    person: Annotated[
        str, typer.Argument(help="A profile ID (or alias), an email address or a record (system:record-id).")
    ],
    out: Annotated[Path | None, typer.Option("--out", help="Write here instead of standard output.")] = None,
    url: UrlOption = None,
    config: ConfigOption = None,
) -> None:
    """Write a person's whole ledger as a signed, portable JSON document."""
    with errors_to_exit():
        settings = load_ledger_settings(config)
        with open_store(url) as store:
            document = export_person(store, settings, find_person(store, person))
    text = json.dumps(document, indent=2, sort_keys=True) + "\n"
    if out is None:
        sys.stdout.write(text)
        return
    out.write_text(text, encoding="utf-8")
    console.print(f"wrote {len(document['statements'])} statements of {person} to {out}", markup=False)


def import_command(
    source: Annotated[str, typer.Argument(help="A document made by `ledger export` (or - for standard input).")],
    person: Annotated[str | None, typer.Option("--person", help="The local profile to file it under.")] = None,
    trust_key: Annotated[
        list[str] | None, typer.Option("--trust-key", help="Accept this signer key ID (repeatable).")
    ] = None,
    url: UrlOption = None,
    config: ConfigOption = None,
    as_json: JsonOption = False,
) -> None:
    """Bring in a ledger exported by another Contactpoint installation, after checking its signature."""
    with errors_to_exit():
        settings = load_ledger_settings(config)
        document = _read_json(source)
        with open_store(url) as store:
            recorded, read, target = import_document(
                store, settings, document, person=person, trust_key_ids=trust_key or ()
            )
    summary = {
        "person": target,
        "signer": read.signer,
        "recorded": len(recorded.entries),
        "skipped": len(recorded.skipped),
    }
    if as_json:
        print_json(summary)
        return
    console.print(
        f"imported {summary['recorded']} statements for {target} (signed by key {read.signer}; "
        f"{summary['skipped']} already held)",
        markup=False,
    )


def verify_command(url: UrlOption = None, config: ConfigOption = None, as_json: JsonOption = False) -> None:
    """Check every person's chain and every signature; name the first broken entry of each chain (exit 4)."""
    with errors_to_exit():
        settings = load_ledger_settings(config)
        with open_store(url) as store:
            report = store.ledger.verify(keyring_for(store, settings))
    if as_json:
        print_json({"ok": report.ok, "chains": report.chains, "entries": report.entries,
                    "breaks": [{"person": b.chain, "seq": b.seq, "statement_id": b.statement_id, "reason": b.reason}
                               for b in report.breaks]})  # fmt: skip
    elif report.ok:
        console.print(f"ledger intact: {report.chains} people, {report.entries} statements", markup=False)
    else:
        for found in report.breaks:
            console.print(f"broken: {found}", markup=False)
        console.print(
            f"{len(report.breaks)} of {report.chains} chains broken ({report.entries} statements checked)", markup=False
        )
    if not report.ok:
        raise typer.Exit(4)


def link_command(
    person: Annotated[
        str, typer.Argument(help="A profile ID (or alias), an email address or a record (system:record-id).")
    ],
    url: UrlOption = None,
    config: ConfigOption = None,
    as_json: JsonOption = False,
) -> None:
    """Make a sign-in link to the preference centre: signed, expiring, and good for one use."""
    with errors_to_exit():
        settings = load_ledger_settings(config)
        with open_store(url) as store:
            link, expires_at = sign_in_link(store, settings, find_person(store, person))
    if as_json:
        print_json({"url": link, "expires_at": iso(expires_at)})
        return
    console.print(link, markup=False, soft_wrap=True)
    console.print(f"works once, until {iso(expires_at)}; send it only to the person", markup=False, style="dim")


def keygen_command(as_json: JsonOption = False) -> None:
    """Print a new Ed25519 signing key (keep it in your secret store; export it as CONTACTPOINT_LEDGER_KEY)."""
    text = generate_key_text()
    key = SigningKey.from_text(text)
    if as_json:
        print_json({"private_key": text, "public_key": key.public_key, "key_id": key.key_id})
        return
    console.print(f"{KEY_ENV}={text}", markup=False)
    console.print(
        f"public key {key.public_key} (key ID {key.key_id}): list it under ledger.previous_keys when you rotate",
        markup=False,
    )


@clients.command("add")
def clients_add_command(
    system: Annotated[str, typer.Argument(help="The system's name in grants (e.g. website).")],
    name: Annotated[str, typer.Option("--name", help="Shown to the person when it asks.")],
    redirect_uri: Annotated[
        list[str], typer.Option("--redirect-uri", help="Where to send the person back (repeatable).")
    ],
    scope: Annotated[
        list[str] | None,
        typer.Option("--scope", help="A part it may ask for (repeatable; default all but protections)."),
    ] = None,
    url: UrlOption = None,
    as_json: JsonOption = False,
) -> None:
    """Register a system that may ask people for scoped read access; prints its client ID and secret once."""
    known = [p.value for p in Part if p is not Part.PROTECTIONS]
    scopes = scope or known
    with errors_to_exit():
        bad = [s for s in scopes if s not in known]
        if bad:
            msg = f"unknown scope {bad[0]!r}"
            raise UsageError(msg, hint=f"scopes are parts of a profile: {', '.join(known)}")
        with open_store(url) as store:
            client_id, secret = store.oauth.add_client(
                system=system, name=name, redirect_uris=redirect_uri, scopes=scopes
            )
    if as_json:
        print_json({"client_id": client_id, "client_secret": secret, "system": system, "scopes": scopes})
        return
    console.print(
        f"client_id={client_id}\nclient_secret={secret}  (shown once; keep it in the system's secret store)",
        markup=False,
    )


@clients.command("list")
def clients_list_command(url: UrlOption = None, as_json: JsonOption = False) -> None:
    """List the registered systems (never their secrets)."""
    with errors_to_exit(), open_store(url) as store:
        found = store.oauth.clients()
    rows: list[dict[str, Any]] = [
        {"client_id": c.client_id, "system": c.system, "name": c.name, "redirect_uris": list(c.redirect_uris),
         "scopes": list(c.scopes)} for c in found
    ]  # fmt: skip
    if as_json:
        print_json(rows)
        return
    table = Table("client_id", "system", "name", "scopes", "redirect URIs")
    for row in rows:
        table.add_row(
            row["client_id"], row["system"], row["name"], " ".join(row["scopes"]), " ".join(row["redirect_uris"])
        )
    console.print(table)
