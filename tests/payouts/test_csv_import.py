"""Reading contributions CSVs: good files in their variants, and every kind of bad file with line numbers."""

from __future__ import annotations

from decimal import Decimal

import pytest

from governance.payouts.csv_import import (
    MAX_BYTES,
    ContributionCsvError,
    amount_text,
    parse_contributions,
    payout_alias,
)

MEMBERS = {"ana@example.org": 1, "ben@example.org": 2, "member-3": 3}


def resolve(identifier: str) -> int | str:
    found = MEMBERS.get(identifier.lower())
    return found if found is not None else f"'{identifier}' is not a member of the cooperative."


def parse(text: str | bytes, metric: str = "records_contributed"):
    data = text.encode("utf-8") if isinstance(text, str) else text
    return parse_contributions(data, metric=metric, resolve=resolve)


def errors_of(text: str | bytes, metric: str = "records_contributed") -> list[str]:
    with pytest.raises(ContributionCsvError) as caught:
        parse(text, metric)
    return caught.value.errors


def test_email_and_amount_columns():
    rows = parse("email,amount\nana@example.org,120\nBEN@example.org , 3.5\n")
    assert [(r.line_number, r.member_id, r.amount) for r in rows] == [(2, 1, Decimal(120)), (3, 2, Decimal("3.5"))]


def test_alias_column_metric_named_column_semicolons_bom_and_extra_columns():
    text = "\ufeffName;Alias;Records_Contributed;Comment\nAna;member-3;7;late\n\n"
    rows = parse(text)
    assert [(r.member_id, r.amount) for r in rows] == [(3, Decimal(7))]


def test_quoted_cells_and_crlf():
    rows = parse('"member","contribution"\r\n"ana@example.org","0.000001"\r\n')
    assert rows[0].amount == Decimal("0.000001")


def test_amount_text_is_plain_decimal():
    assert amount_text(Decimal("10.50")) == "10.5"
    assert amount_text(Decimal("100")) == "100"
    assert amount_text(Decimal("0.00")) == "0"
    assert payout_alias(12) == "member-12"


def test_unknown_member_duplicate_and_bad_amounts_all_reported_with_line_numbers():
    text = ("email,amount\n"
            "ana@example.org,1\n"          # 2 fine
            "zed@example.org,2\n"          # 3 unknown
            "ana@example.org,3\n"          # 4 duplicate of 2
            "ben@example.org,-4\n"         # 5 negative
            "member-3,1 000\n"             # 6 malformed
            ",5\n")                        # 7 no member
    errors = errors_of(text)
    joined = "\n".join(errors)
    assert "Line 3: 'zed@example.org' is not a member" in joined
    assert "Line 4: 'ana@example.org' is the same member as on line 2" in joined
    assert "Line 5: the amount -4 is negative" in joined
    assert "Line 6: '1 000' is not a number" in joined
    assert "Line 7: the member is missing." in joined


def test_duplicate_through_email_and_alias_of_the_same_member():
    text = "member,amount\nmember-3,1\nMEMBER-3,2\n"
    assert any("line 2" in e for e in errors_of(text))


@pytest.mark.parametrize(("text", "expected"), [
    ("", "The file is empty."),
    ("  \n\n", "The file is empty."),
    ("email,amount\n", "The file has a header row but no contributions."),
    ("who,amount\nana@example.org,1\n", "Line 1: the header row needs a column naming the member"),
    ("email,how_much\nana@example.org,1\n", "Line 1: the header row needs an amount column"),
    ("email,alias,amount\nana@example.org,member-3,1\n", "more than one member column"),
    ("email,amount,records_contributed\nana@example.org,1,2\n", "more than one amount column"),
    ("email,amount\nana@example.org,1e3\n", "Line 2: '1e3' is not a number"),
    ("email,amount\nana@example.org,\n", "Line 2: the amount is missing."),
    ("email,amount\nana@example.org,1.1234567\n", "more than 6 decimal places"),
    ("email,amount\nana@example.org,1000000000000\n", "too large"),
    ("email,amount\nana@example.org\n", "Line 2: the amount is missing."),
])
def test_bad_files(text: str, expected: str):
    assert any(expected in error for error in errors_of(text)), errors_of(text)


def test_metric_name_must_match_the_chosen_metric():
    assert any("amount column" in e for e in errors_of("email,active_days\nana@example.org,1\n"))
    assert parse("email,active_days\nana@example.org,1\n", metric="active_days")[0].amount == 1


def test_not_utf8():
    assert "not UTF-8" in errors_of(b"email,amount\nr\xe9my@example.org,1\n")[0]


def test_too_large_file_is_refused_before_reading():
    data = b"email,amount\n" + b"ana@example.org,1\n" * (MAX_BYTES // 18 + 1)
    assert "too large" in errors_of(data)[0]


def test_too_many_rows():
    data = "email,amount\n" + "ana@example.org,1\n" * 10_001
    errors = errors_of(data)
    assert any("more than 10,000 rows" in e for e in errors)


def test_long_error_lists_are_shortened():
    text = "email,amount\n" + "".join(f"x{i}@example.org,1\n" for i in range(40))
    errors = errors_of(text)
    assert len(errors) == 31
    assert errors[-1] == "… and 10 more problems."
