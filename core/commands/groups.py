"""The command groups whose commands import the store, identity and the rest: each a table.

``contactpoint identity --help`` (and every group here) lists its commands from these
rows, ``(name, "module:attribute", one-line help)``, importing none of them; a command's
module is imported when that command (or its ``--help``) runs. The one-line help is the
command's own (``tests/core/test_cli_startup.py`` compares them).
"""

from __future__ import annotations

from core.commands.lazy import LazyCommand, lazy_typer

__all__ = ["identity", "ledger", "mapping", "profile", "report", "schedule", "sync"]

identity = lazy_typer(
    "Resolve people into unified profiles.",
    (
        LazyCommand(
            "resolve",
            "core.commands.identity_cmd:resolve_command",
            "Resolve the people in FILE (or, with --store, in the store) into profiles.",
        ),
        LazyCommand(
            "explain",
            "core.commands.identity_store_cmd:explain_command",
            "Show a profile, its records, and why each record is linked (rule or score, per field).",
        ),
        LazyCommand(
            "merge",
            "core.commands.identity_store_cmd:merge_command",
            "Merge two profiles by hand: the older keeps its ID, the other becomes its alias.",
        ),
        LazyCommand(
            "split",
            "core.commands.identity_store_cmd:split_command",
            "Move records out of a profile into a new one, kept apart from the rest on every run.",
        ),
        LazyCommand(
            "review",
            "core.commands.review_cmd:review_command",
            "Review the pairs identity was unsure of: accept (merge) or reject (keep apart) each one.",
        ),
        LazyCommand(
            "list",
            "core.commands.directory_cmd:list_command",
            "List the unified profiles with their record counts and systems, most records first.",
        ),
    ),
)

profile = lazy_typer(
    "One person: their unified profile, a copy of everything held, erasure.",
    (
        LazyCommand(
            "search",
            "core.commands.directory_cmd:search_command",
            "Find profiles by email address, name, record or profile ID.",
        ),
        LazyCommand(
            "show",
            "core.commands.profile_cmd:show",
            "Show the unified profile: golden fields with provenance, identifiers, records, enrichment, suppressions, ledger.",
        ),
        LazyCommand(
            "export",
            "core.commands.profile_cmd:export",
            "Write everything held about the person as one JSON document (schema: docs/privacy.md).",
        ),
        LazyCommand(
            "erase",
            "core.commands.profile_cmd:erase",
            "Forget the person: remove them from the store, keep a tombstone, and delete them in every system.",
        ),
    ),
)

sync = lazy_typer(
    "Sync runs: pull, resolve, decide, write back.",
    (
        LazyCommand(
            "run",
            "core.commands.sync_cmd:run_command",
            "Pull each system, resolve the changed people, decide, and write back only what changed.",
        ),
    ),
)

mapping = lazy_typer(
    "Validate YAML mappings and map sample records with them.",
    (
        LazyCommand(
            "check",
            "core.commands.mapping_cmd:check",
            "Validate FILE (every problem at once); with --sample, show what each sample record maps to.",
        ),
        LazyCommand(
            "run",
            "core.commands.mapping_run:run",
            "Map a CSV, JSON lines or JSON file into the store; bad rows are parked with their reason.",
        ),
    ),
)

ledger = lazy_typer(
    "The customer's own ledger: consents, preferences, interests and grants.",
    (
        LazyCommand(
            "record",
            "core.commands.ledger_cmd:record_command",
            "Record what a customer said, on their behalf: with your user and --reason; one bad statement records none.",
        ),
        LazyCommand(
            "show",
            "core.commands.ledger_cmd:show_command",
            "Show a person's ledger: the state in force, and every statement with its source.",
        ),
        LazyCommand(
            "export",
            "core.commands.ledger_cmd:export_command",
            "Write a person's whole ledger as a signed, portable JSON document.",
        ),
        LazyCommand(
            "import",
            "core.commands.ledger_cmd:import_command",
            "Bring in a ledger exported by another Contactpoint installation, after checking its signature.",
        ),
        LazyCommand(
            "verify",
            "core.commands.ledger_cmd:verify_command",
            "Check every person's chain and every signature; name the first broken entry of each chain (exit 4).",
        ),
        LazyCommand(
            "link",
            "core.commands.ledger_cmd:link_command",
            "Make a sign-in link to the preference centre: signed, expiring, and good for one use.",
        ),
        LazyCommand(
            "keygen",
            "core.commands.ledger_cmd:keygen_command",
            "Print a new Ed25519 signing key (keep it in your secret store; export it as CONTACTPOINT_LEDGER_KEY).",
        ),
        LazyCommand(
            "clients",
            "core.commands.ledger_cmd:clients",
            "Systems that may ask people for scoped reading (OAuth 2.0 clients).",
        ),
    ),
)

report = lazy_typer(
    "Reports over the store and the run ledger.",
    (
        LazyCommand(
            "reconcile",
            "core.commands.report_cmd:reconcile",
            "Write the reconciliation report: systems, identity, conflicts, write-back, closed loop of opt-outs, drift.",
        ),
    ),
)

schedule = lazy_typer(
    "Scheduled runs of the jobs contactpoint.yaml declares.",
    (
        LazyCommand(
            "run",
            "core.commands.schedule_cmd:run_command",
            "Run the declared jobs on their schedules until stopped; a stop lets the running job finish its batch.",
        ),
        LazyCommand(
            "list",
            "core.commands.schedule_cmd:list_command",
            "List each declared job: its trigger, its last run and how it ended, and its next run.",
        ),
    ),
)
