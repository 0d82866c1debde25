"""The one exception tree of Contactpoint.

Branches say what the caller must do, not where the error came from::

    ContactpointError                  root; never raised directly
    ├── ConfigError                    fix the configuration, then run again (exit 2)
    │   ├── MappingError               a YAML mapping is wrong: lists every problem
    │   ├── PolicyError                a policy file is wrong: lists every problem
    │   ├── ConnectorConfigError       a connector's settings are wrong or missing
    │   └── UsageError                 the command was given arguments that do not go together
    ├── ConnectorError                 a system misbehaved (exit 3)
    │   ├── AuthError                  credentials refused: stop this connector
    │   ├── FatalApiError              the API refused for good: stop this connector
    │   ├── BudgetExhaustedError       the configured API budget is spent: stop cleanly
    │   └── RetryableError             try again later
    │       └── RateLimited            try again after ``retry_after`` seconds
    ├── RecordRejected                 one record is bad: park it, go on (exit 4 if all)
    ├── IdentityError                  identity settings or pins are inconsistent
    ├── StoreError                     the store cannot be read or written (exit 5)
    └── RunStopped                     the run did not do its work; nothing is half-done
        ├── JobBusyError               another run holds the job: wait, or try later (exit 6)
        └── RunInterrupted             stopped on request after its batch (exit 130 Ctrl-C, 143 SIGTERM)

Every error carries structured fields (``system``, ``stream``, ``record_id``,
``status``) that logs and reports read, and a ``hint`` that says what to do.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

__all__ = [
    "AuthError",
    "BudgetExhaustedError",
    "ConfigError",
    "ConnectorConfigError",
    "ConnectorError",
    "ContactpointError",
    "FatalApiError",
    "IdentityError",
    "JobBusyError",
    "MappingError",
    "PolicyError",
    "Problem",
    "RateLimited",
    "RecordRejected",
    "RetryableError",
    "RunInterrupted",
    "RunStopped",
    "StoreError",
    "UsageError",
    "problem_count",
    "problems_message",
]


class ContactpointError(Exception):
    """Root of every error Contactpoint raises on purpose.

    Args:
        message: What went wrong, naming the thing and the bad value.
        hint: One line telling the reader what to do about it.
        **context: Structured fields for logs and reports (system, stream, ...).
    """

    exit_code: int = 1

    def __init__(self, message: str, *, hint: str | None = None, **context: Any) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint
        self.context: dict[str, Any] = {k: v for k, v in context.items() if v is not None}


class ConfigError(ContactpointError):
    """The configuration is wrong; nothing will work until it is fixed."""

    exit_code = 2


@dataclass(frozen=True)
class Problem:
    """One problem found in a file, with its position (1-based) and a hint.

    ``str(problem)`` reads ``mappings/x.yaml:42:7 streams.contacts.fields.email:
    unknown transform 'lowercse' (did you mean 'lower'?)``.
    """

    file: str
    line: int | None
    column: int | None
    key: str
    message: str
    hint: str | None = None

    @property
    def headline(self) -> str:
        """The problem without its hint: ``file:line:column key: message``."""
        where = self.file
        if self.line is not None:
            where += f":{self.line}"
            if self.column is not None:
                where += f":{self.column}"
        return f"{where} {self.key}: {self.message}" if self.key else f"{where}: {self.message}"

    def __str__(self) -> str:
        """Render as ``file:line:column key: message (hint)``."""
        return f"{self.headline} ({self.hint})" if self.hint else self.headline


def problem_count(count: int) -> str:
    """Return ``'1 problem'`` or ``'<count> problems'``."""
    return f"{count} problem{'s' if count != 1 else ''}"


def problems_message(heading: str, problems: Sequence[Problem]) -> str:
    """Return ``heading`` followed by one indented line per problem: the message of an error that lists them."""
    return f"{heading}\n" + "\n".join(f"  {problem}" for problem in problems)


class MappingError(ConfigError):
    """A YAML mapping has one or more problems; ``problems`` lists them all."""

    def __init__(self, problems: list[Problem], *, file: str) -> None:
        self.problems = list(problems)
        super().__init__(
            problems_message(f"{file}: {problem_count(len(self.problems))} in mapping", self.problems),
            hint=f"fix the lines above, then run: contactpoint mapping check {file}",
            file=file,
        )


class PolicyError(ConfigError):
    """A policy file has one or more problems; ``problems`` lists them all."""

    def __init__(self, problems: list[Problem], *, file: str) -> None:
        self.problems = list(problems)
        super().__init__(
            problems_message(f"{file}: {problem_count(len(self.problems))} in policies", self.problems),
            hint=f"fix the lines above, then run: contactpoint policy check {file}",
            file=file,
        )


class ConnectorConfigError(ConfigError):
    """A connector's settings are missing or invalid."""


class UsageError(ConfigError):
    """The command was given options or arguments that do not go together; nothing was done."""


class ConnectorError(ContactpointError):
    """A connected system failed in a way the connector could not absorb."""

    exit_code = 3


class AuthError(ConnectorError):
    """The system refused the credentials; this connector stops."""


class FatalApiError(ConnectorError):
    """The system refused the request for good; this connector stops."""


class BudgetExhaustedError(ConnectorError):
    """The share of the API limit this run may spend is spent; stop cleanly."""


class RetryableError(ConnectorError):
    """A transient failure: the same call may succeed later."""


class RateLimited(RetryableError):
    """The system asked us to slow down; ``retry_after`` says for how long (seconds)."""

    def __init__(
        self, message: str, *, retry_after: float | None = None, hint: str | None = None, **context: Any
    ) -> None:
        super().__init__(message, hint=hint, retry_after=retry_after, **context)
        self.retry_after = retry_after


class RecordRejected(ContactpointError):
    """One record cannot be used; it is parked with this reason and the run goes on."""

    exit_code = 4


class IdentityError(ContactpointError):
    """Identity settings, pins or profiles are inconsistent."""

    exit_code = 4


class StoreError(ContactpointError):
    """The store cannot be reached, migrated, read or written."""

    exit_code = 5


class RunStopped(ContactpointError):
    """A run stopped before its work was done, cleanly: what it stored is consistent."""


class JobBusyError(RunStopped):
    """Another run holds the job this run needs; nothing was done."""

    exit_code = 6


class LockLost(RunStopped):
    """Another run took this run's job over (it was paused longer than a lock stays alive); it stopped at once.

    Nothing more is pulled, decided or written: the run that holds the job now does the work.
    """

    exit_code = 6


class RunInterrupted(RunStopped):
    """A signal asked the run to stop; it finished its batch, recorded itself as interrupted and stopped.

    The exit code follows the shell's convention: 128 plus the signal number (130 for
    Ctrl-C, 143 for SIGTERM).
    """

    def __init__(self, message: str, *, signal_number: int, hint: str | None = None, **context: Any) -> None:
        super().__init__(message, hint=hint, signal=signal_number, **context)
        self.exit_code = 128 + signal_number
