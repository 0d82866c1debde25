"""The built-in transforms; importing this package registers them all.

text.py      strip, lower, upper, title, nullif, join, split, split_name
values.py    value_map, coalesce, constant, template, to_int, to_float, to_bool
contact.py   e164, country, domain
temporal.py  parse_datetime, parse_date
"""

from __future__ import annotations

from core.mapping.transforms import contact, temporal, text, values
from core.mapping.transforms.text import split_full_name

__all__ = ["contact", "split_full_name", "temporal", "text", "values"]
