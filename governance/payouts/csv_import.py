"""Reading a contributions CSV: one row per member, who (email or payout alias) and how much.

Format (see ``docs/payouts.md``): UTF-8 (a byte-order mark is fine), comma- or semicolon-separated,
a header row naming a member column (``email``, ``alias`` or ``member``) and an amount column
(``amount``, ``contribution`` or the metric's own name such as ``records_contributed``); other
columns are ignored. The whole file is checked before anything is stored, and every problem is
reported with its line number (the header is line 1). Pure code: the caller passes ``resolve``,
which turns an email or alias into a member id (or a sentence saying why it cannot).
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

MAX_BYTES = 1_000_000
MAX_ROWS = 10_000
MAX_AMOUNT = Decimal(10) ** 12
MAX_PLACES = 6
MAX_REPORTED_ERRORS = 30
MEMBER_COLUMNS = ("email", "alias", "member")
AMOUNT_COLUMNS = ("amount", "contribution")
#: A member's payout alias: lets a steward's export name members without their email addresses.
ALIAS_RE = re.compile(r"^member-(\d{1,12})$")
_NUMBER_RE = re.compile(r"^[+-]?\d+(\.\d+)?$")


def payout_alias(member_id: int) -> str:
    return f"member-{member_id}"


@dataclass(frozen=True)
class ContributionRow:
    line_number: int
    member_id: int
    amount: Decimal


class ContributionCsvError(ValueError):
    """The file cannot be used; ``errors`` are sentences for people, most with a line number."""

    def __init__(self, errors: list[str]) -> None:
        shown = errors[:MAX_REPORTED_ERRORS]
        if len(errors) > MAX_REPORTED_ERRORS:
            shown.append(f"… and {len(errors) - MAX_REPORTED_ERRORS} more problems.")
        self.errors = shown
        super().__init__(" ".join(shown))


def amount_text(amount: Decimal) -> str:
    """The stored text of a contribution: plain decimal notation, no trailing zeros (``"10.5"``, ``"100"``)."""
    return format(amount.normalize(), "f") if amount else "0"


def _read_amount(text: str, line: int) -> Decimal | str:
    if not text:
        return f"Line {line}: the amount is missing."
    if not _NUMBER_RE.match(text):
        return f"Line {line}: '{text[:40]}' is not a number (write it like 1234 or 12.5, without thousands separators)."
    try:
        amount = Decimal(text)
    except InvalidOperation:  # pragma: no cover - the pattern above admits only valid decimals
        return f"Line {line}: '{text[:40]}' is not a number."
    if amount < 0:
        return f"Line {line}: the amount {text} is negative; contributions cannot be negative."
    if amount >= MAX_AMOUNT:
        return f"Line {line}: the amount {text} is too large (at most {MAX_AMOUNT - 1:,})."
    if -amount.normalize().as_tuple().exponent > MAX_PLACES:  # type: ignore[operator]
        return f"Line {line}: the amount {text} has more than {MAX_PLACES} decimal places."
    return amount


def _header(fields: list[str], metric: str) -> tuple[int, int] | str:
    names = [field.strip().lower() for field in fields]
    members = [i for i, name in enumerate(names) if name in MEMBER_COLUMNS]
    amounts = [i for i, name in enumerate(names) if name in (*AMOUNT_COLUMNS, metric)]
    wanted_amount = ", ".join(f"'{name}'" for name in (*AMOUNT_COLUMNS, metric))
    if not members:
        return ("Line 1: the header row needs a column naming the member: 'email', 'alias' or 'member' "
                f"(found: {', '.join(repr(n) for n in names if n) or 'nothing'}).")
    if len(members) > 1:
        return "Line 1: the header row has more than one member column; keep only one of 'email', 'alias', 'member'."
    if not amounts:
        return f"Line 1: the header row needs an amount column: one of {wanted_amount}."
    if len(amounts) > 1:
        return f"Line 1: the header row has more than one amount column; keep only one of {wanted_amount}."
    return members[0], amounts[0]


def _decode(data: bytes) -> str:
    if len(data) > MAX_BYTES:
        raise ContributionCsvError([f"The file is too large ({len(data):,} bytes); the limit is {MAX_BYTES:,} bytes."])
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ContributionCsvError([f"The file is not UTF-8 text (byte {exc.start + 1}); save it as CSV UTF-8."]) \
            from None
    if not text.strip():
        raise ContributionCsvError(["The file is empty."])
    return text


def parse_contributions(data: bytes, *, metric: str,
                        resolve: Callable[[str], int | str]) -> list[ContributionRow]:
    """Every row of the file, or :class:`ContributionCsvError` with every problem found.

    ``resolve(identifier)`` returns the member id for an email address or alias, or a sentence
    (without line number) saying why it names no member who can be paid."""
    text = _decode(data)
    first_line = text.splitlines()[0]
    delimiter = ";" if ";" in first_line and "," not in first_line else ","
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    errors: list[str] = []
    rows: list[ContributionRow] = []
    seen: dict[int, int] = {}
    try:
        header = _header(next(reader), metric)
        if isinstance(header, str):
            raise ContributionCsvError([header])
        member_col, amount_col = header
        for record in reader:
            line = reader.line_num
            if not any(cell.strip() for cell in record):
                continue  # blank lines (spreadsheets like to end with some)
            if len(rows) + len(errors) >= MAX_ROWS:
                raise ContributionCsvError([f"The file has more than {MAX_ROWS:,} rows; split it by period."])
            identifier = record[member_col].strip() if member_col < len(record) else ""
            raw_amount = record[amount_col].strip() if amount_col < len(record) else ""
            amount = _read_amount(raw_amount, line)
            member: int | str = "the member is missing." if not identifier else resolve(identifier)
            if isinstance(member, str):
                errors.append(f"Line {line}: {member}")
            elif member in seen:
                errors.append(f"Line {line}: '{identifier}' is the same member as on line {seen[member]}; give each "
                              "member one row.")
            else:
                seen[member] = line
            if isinstance(amount, str):
                errors.append(amount)
            elif isinstance(member, int) and seen.get(member) == line:
                rows.append(ContributionRow(line_number=line, member_id=member, amount=amount))
    except csv.Error as exc:
        errors.append(f"Line {reader.line_num}: the file is not valid CSV ({exc}).")
    if errors:
        raise ContributionCsvError(errors)
    if not rows:
        raise ContributionCsvError(["The file has a header row but no contributions."])
    return rows
