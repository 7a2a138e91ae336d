"""Readers for the fields of proposal bodies: strict about types, collecting every error.

Each reader takes the raw JSON value, its dotted path and an :class:`ErrorCollector`, and returns
the clean value or :data:`BAD` after recording a message meant for people. Callers keep going after
a bad field, so one pass reports every problem of a body. Pure code (no Flask, no SQLAlchemy).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any, Final
from urllib.parse import urlsplit


class _Bad:
    def __repr__(self) -> str:
        return "BAD"


#: Returned by a reader whose value was rejected (the error is already recorded).
BAD: Final = _Bad()

MAX_MONEY = Decimal("999999999999.99")
_DATE_RE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_DECIMAL_RE = re.compile(r"^-?\d+(\.\d+)?$")
SLUG_RE = re.compile(r"^[a-z0-9][a-z0-9-]{0,63}$")


class ErrorCollector:
    """Dotted path → message. The first message for a path wins (it is usually the most basic)."""

    def __init__(self) -> None:
        self.errors: dict[str, str] = {}

    def add(self, path: str, message: str) -> None:
        self.errors.setdefault(path, message)

    def __bool__(self) -> bool:
        return bool(self.errors)


def join(path: str, key: str | int) -> str:
    return f"{path}.{key}" if path else str(key)


def quoted(value: Any) -> str:
    """A value as people read it in a message: strings in single quotes, others as JSON-ish text."""
    if isinstance(value, str):
        return f"'{value}'"
    return repr(value)


def lower_first(text: str) -> str:
    return text[:1].lower() + text[1:]


def read_object(data: Any, path: str, errors: ErrorCollector, *, name: str,
                required: Iterable[str] = (), optional: Iterable[str] = ()) -> Mapping[str, Any] | None:
    """``data`` as a mapping with only the known keys; records missing and unknown keys.

    Returns None (after recording) when ``data`` is not an object at all. Missing required keys are
    recorded at their own path; callers then simply skip them (``key in obj`` is False).
    """
    if not isinstance(data, Mapping):
        errors.add(path, f"{name} must be an object with named fields.")
        return None
    required = tuple(required)
    known = set(required) | set(optional)
    for key in data:
        if key not in known:
            errors.add(join(path, str(key)), f"Unknown field {quoted(key)} in {lower_first(name)}.")
    for key in required:
        if key not in data:
            errors.add(join(path, key), f"The field {quoted(key)} is missing from {lower_first(name)}.")
    return data


def read_text(value: Any, path: str, errors: ErrorCollector, name: str, *, min_length: int = 0,
              max_length: int, single_line: bool = True) -> str | _Bad:
    if not isinstance(value, str):
        errors.add(path, f"{name} must be text.")
        return BAD
    text = value.strip()
    if min_length and not text:
        errors.add(path, f"{name} must not be empty.")
        return BAD
    if len(text) < min_length:
        errors.add(path, f"{name} must be at least {min_length} characters long.")
        return BAD
    if len(text) > max_length:
        errors.add(path, f"{name} must be at most {max_length} characters long (now {len(text)}).")
        return BAD
    if single_line and ("\n" in text or "\r" in text):
        errors.add(path, f"{name} must fit on one line.")
        return BAD
    return text


def read_int(value: Any, path: str, errors: ErrorCollector, name: str, *, minimum: int = 1,
             maximum: int, nullable: bool = False) -> int | _Bad | None:
    if value is None:
        if nullable:
            return None
        errors.add(path, f"Give {lower_first(name)}.")
        return BAD
    if isinstance(value, bool) or not isinstance(value, int):
        errors.add(path, f"{name} must be a whole number.")
        return BAD
    if value < minimum:
        errors.add(path, f"{name} must be at least {minimum}.")
        return BAD
    if value > maximum:
        errors.add(path, f"{name} must be at most {maximum:,}.")
        return BAD
    return value


def read_bool(value: Any, path: str, errors: ErrorCollector, name: str) -> bool | _Bad:
    if not isinstance(value, bool):
        errors.add(path, f"{name} must be yes or no (true or false).")
        return BAD
    return value


def read_date(value: Any, path: str, errors: ErrorCollector, name: str, *,
              nullable: bool = False) -> date | _Bad | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        if nullable:
            return None
        errors.add(path, f"Give {lower_first(name)}.")
        return BAD
    if not isinstance(value, str) or not _DATE_RE.match(value.strip()):
        errors.add(path, f"{name} must be a date written as YYYY-MM-DD.")
        return BAD
    try:
        return date.fromisoformat(value.strip())
    except ValueError:
        errors.add(path, f"{name} {quoted(value.strip())} is not a date in the calendar.")
        return BAD


def _read_decimal(value: Any, path: str, errors: ErrorCollector, name: str, example: str) -> Decimal | _Bad:
    if isinstance(value, bool) or not isinstance(value, str):
        errors.add(path, f"{name} must be written as decimal text such as \"{example}\".")
        return BAD
    text = value.strip()
    if not _DECIMAL_RE.match(text):
        errors.add(path, f"{name} must be a number such as \"{example}\" (digits and one decimal point).")
        return BAD
    try:
        return Decimal(text)
    except InvalidOperation:  # pragma: no cover - the regex admits only valid decimals
        errors.add(path, f"{name} must be a number such as \"{example}\".")
        return BAD


def decimal_places(value: Decimal) -> int:
    exponent = value.normalize().as_tuple().exponent
    return max(0, -exponent) if isinstance(exponent, int) else 0


def read_money(value: Any, path: str, errors: ErrorCollector, name: str) -> Decimal | _Bad:
    amount = _read_decimal(value, path, errors, name, "12000.00")
    if isinstance(amount, _Bad):
        return BAD
    if amount < 0:
        errors.add(path, f"{name} must not be negative.")
        return BAD
    if decimal_places(amount) > 2:
        errors.add(path, f"{name} can have at most 2 decimal places (cents).")
        return BAD
    if amount > MAX_MONEY:
        errors.add(path, f"{name} must be at most {MAX_MONEY:,}.")
        return BAD
    return amount.quantize(Decimal("0.01"))


def read_fraction(value: Any, path: str, errors: ErrorCollector, name: str) -> Decimal | _Bad:
    fraction = _read_decimal(value, path, errors, name, "0.10")
    if isinstance(fraction, _Bad):
        return BAD
    if not Decimal(0) <= fraction <= Decimal(1):
        errors.add(path, f"{name} must be between 0 and 1 (now {value.strip()}).")
        return BAD
    if decimal_places(fraction) > 4:
        errors.add(path, f"{name} can have at most 4 decimal places.")
        return BAD
    return fraction


def money_json(amount: Decimal) -> str:
    """``Decimal("12000")`` → ``"12000.00"``: exactly two places, never exponent notation."""
    return format(amount.quantize(Decimal("0.01")), "f")


def fraction_json(fraction: Decimal) -> str:
    """At least two places, no trailing zeros beyond them: ``0.1`` → ``"0.10"``, ``0.125`` → ``"0.125"``."""
    return format(fraction, f".{max(2, decimal_places(fraction))}f")


def read_choice(value: Any, path: str, errors: ErrorCollector, name: str, choices: Mapping[str, Any],
                *, unknown: str | None = None) -> str | _Bad:
    """``value`` must be a key of ``choices``; ``unknown`` is the message template for an unknown
    string (``{value}`` is replaced by the quoted value)."""
    if not isinstance(value, str):
        errors.add(path, f"{name} must be text.")
        return BAD
    text = value.strip()
    if text not in choices:
        message = (unknown or f"{{value}} is not a valid choice for {lower_first(name)}.").format(value=quoted(text))
        errors.add(path, message)
        return BAD
    return text


def read_url(value: Any, path: str, errors: ErrorCollector, name: str, *, max_length: int = 500) -> str | _Bad:
    text = read_text(value, path, errors, name, min_length=1, max_length=max_length)
    if isinstance(text, _Bad):
        return BAD
    parts = urlsplit(text)
    if parts.scheme not in ("http", "https") or not parts.netloc or any(c.isspace() for c in text):
        errors.add(path, f"{name} must be a web address starting with https:// or http://.")
        return BAD
    return text


def read_list(value: Any, path: str, errors: ErrorCollector, name: str,
              read_item: Callable[[Any, str], Any], *, min_items: int = 0, max_items: int,
              empty_message: str | None = None) -> list[Any] | _Bad:
    """Each item read with ``read_item(item, item_path)``; bad items are left out (already recorded)."""
    if not isinstance(value, list):
        errors.add(path, f"{name} must be a list.")
        return BAD
    if len(value) < min_items:
        errors.add(path, empty_message or f"{name} must have at least {min_items} item(s).")
        return BAD
    if len(value) > max_items:
        errors.add(path, f"{name} can have at most {max_items} items (now {len(value)}).")
        return BAD
    items = [read_item(item, join(path, index)) for index, item in enumerate(value)]
    return [item for item in items if not isinstance(item, _Bad)]


def read_set(value: Any, path: str, errors: ErrorCollector, name: str,
             read_item: Callable[[Any, str], Any], *, min_items: int = 0, max_items: int,
             empty_message: str | None = None) -> tuple[str, ...] | _Bad:
    """A list that means a set: stored sorted and without duplicates."""
    items = read_list(value, path, errors, name, read_item, min_items=min_items, max_items=max_items,
                      empty_message=empty_message)
    if isinstance(items, _Bad):
        return BAD
    return tuple(sorted(set(items)))


def ok(*values: Any) -> bool:
    """True when none of ``values`` was rejected."""
    return not any(isinstance(v, _Bad) for v in values)


_MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
           "November", "December")


def long_date(value: date) -> str:
    """``date(2027, 1, 1)`` → ``"1 January 2027"`` (no locale involved)."""
    return f"{value.day} {_MONTHS[value.month - 1]} {value.year}"
