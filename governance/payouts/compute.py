"""The reference payout algorithm: revenue in cents + the payout formula in force + who contributed
how much → each member's amount, the reserve and the operating costs, balancing to the cent.

Pure code (no Flask, no SQLAlchemy), documented step by step in ``docs/payouts.md`` so that anyone
can reimplement it and check a statement. Money is whole cents (``int``) throughout; where fractions
enter (a fraction of the revenue, one member's share of it) the exact value is kept as a
``fractions.Fraction`` (built from the formula's ``Decimal`` fractions without loss) until the
formula's rounding rule turns it into cents. Exact rationals rather than ``Decimal`` arithmetic:
a third of a cent is not representable in any finite decimal precision, and the result must not
depend on a context's precision.

Nothing depends on the order of the members: every member's amount is a function of their own
contribution and of order-independent totals, and rounding remainders go to the reserve, never to
"the first" member.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction

from governance.policy.terms.bodies import PayoutFormula
from governance.policy.terms.vocabulary import CONTRIBUTION_METRICS

CENT = Decimal("0.01")


class PayoutInputError(ValueError):
    """Input the algorithm cannot work with (negative revenue or contribution, unknown rounding rule)."""


@dataclass(frozen=True)
class MemberPayout:
    """One member's line. ``contribution`` is None when the split did not use contributions."""

    member_id: int
    amount_cents: int
    contribution: Decimal | None
    explanation: str


@dataclass(frozen=True)
class PayoutResult:
    """``reserve_cents`` is the whole reserve: the reserve fraction plus ``rounding_remainder_cents``
    plus ``undistributed_cents`` (money the formula could not give to anyone). Always
    ``reserve_cents + operating_cost_cents + sum(line amounts) == revenue_cents``."""

    revenue_cents: int
    reserve_cents: int
    reserve_fraction_cents: int
    rounding_remainder_cents: int
    undistributed_cents: int
    operating_cost_cents: int
    distributable_cents: int
    minimum_cents: int
    minimum_honoured: bool
    lines: tuple[MemberPayout, ...]
    notes: tuple[str, ...]

    @property
    def distributed_cents(self) -> int:
        return sum(line.amount_cents for line in self.lines)

    @property
    def balances(self) -> bool:
        return self.reserve_cents + self.operating_cost_cents + self.distributed_cents == self.revenue_cents


def cents_text(cents: int, currency: str = "") -> str:
    """``123456`` → ``"1,234.56"`` (``"EUR 1,234.56"`` with a currency)."""
    text = f"{Decimal(cents) / 100:,.2f}"
    return f"{currency} {text}" if currency else text


def to_cents(amount: Decimal) -> int:
    """A money amount with at most two decimal places as whole cents (raises on more places)."""
    cents = amount * 100
    if cents != cents.to_integral_value():
        raise PayoutInputError(f"{amount} has more than two decimal places")
    return int(cents)


def _floor_cents(value: Fraction) -> int:
    return math.floor(value)


#: Rounding rules (``PayoutFormula.rounding``) → how exact shares become cents. Each returns the
#: rounded amounts; whatever they do not pay out goes to the reserve. Adding a rule touches one place.
ROUNDERS: dict[str, Callable[[Mapping[int, Fraction]], dict[int, int]]] = {
    "cent_remainder_to_reserve": lambda exact: {member: _floor_cents(value) for member, value in exact.items()},
}


def _fraction_of(cents: int, fraction: Decimal) -> int:
    """Set-aside parts are rounded down to the cent; what that leaves over is distributed."""
    return _floor_cents(Fraction(cents) * Fraction(fraction))


def _check(formula: PayoutFormula, revenue_cents: int, contributions: Mapping[int, Decimal]) -> None:
    if isinstance(revenue_cents, bool) or not isinstance(revenue_cents, int) or revenue_cents < 0:
        raise PayoutInputError("The revenue must be a whole, non-negative number of cents.")
    if formula.rounding not in ROUNDERS:
        raise PayoutInputError(f"Unknown rounding rule {formula.rounding!r}.")
    if formula.method not in ("equal", "pro_rata", "hybrid"):
        raise PayoutInputError(f"Unknown payout method {formula.method!r}.")
    for member_id, amount in contributions.items():
        if not isinstance(amount, Decimal) or not amount.is_finite() or amount < 0:
            raise PayoutInputError(f"The contribution of member {member_id} must be a non-negative decimal.")


def _metric_words(formula: PayoutFormula) -> str:
    return CONTRIBUTION_METRICS.get(formula.metric or "", formula.metric or "contribution").lower()


def _exact_shares(formula: PayoutFormula, distributable: int, contributions: Mapping[int, Decimal],
                  currency: str) -> tuple[dict[int, Fraction], dict[int, list[str]], Fraction, list[str]]:
    """Each member's exact share of ``distributable`` (before the minimum and rounding), the words
    explaining it, the part nobody can receive, and notes for the whole statement."""
    members = sorted(contributions)
    count = len(members)
    words: dict[int, list[str]] = {member: [] for member in members}
    notes: list[str] = []
    if count == 0:
        if distributable:
            notes.append(f"No member took part in this period, so the {cents_text(distributable, currency)} to "
                         "distribute went to the reserve.")
        return {}, words, Fraction(distributable), notes
    if formula.method == "equal":
        equal_pool, rata_pool = Fraction(distributable), Fraction(0)
    elif formula.method == "pro_rata":
        equal_pool, rata_pool = Fraction(0), Fraction(distributable)
    else:
        equal_pool = Fraction(distributable) * Fraction(formula.equal_fraction or Decimal(0))
        rata_pool = Fraction(distributable) - equal_pool
    shares = {member: Fraction(0) for member in members}
    undistributed = Fraction(0)
    if equal_pool:
        for member in members:
            shares[member] += equal_pool / count
            words[member].append(f"1/{count} of the {_money(equal_pool, currency)} shared equally")
    if rata_pool:
        total = sum((Fraction(contributions[m]) for m in members), Fraction(0))
        metric = _metric_words(formula)
        if total == 0:
            undistributed = rata_pool
            notes.append(f"No member recorded any {metric} in this period, so the {_money(rata_pool, currency)} "
                         "to share in proportion to it went to the reserve.")
        else:
            for member in members:
                own = Fraction(contributions[member])
                shares[member] += rata_pool * own / total
                words[member].append(f"{_number(contributions[member])} of {_number(_as_decimal(total))} {metric} "
                                     f"({_percent(own / total)}) of the {_money(rata_pool, currency)} shared pro rata")
    return shares, words, undistributed, notes


def _apply_minimum(shares: dict[int, Fraction], minimum: int, words: dict[int, list[str]],
                   currency: str) -> tuple[dict[int, Fraction], bool, list[str]]:
    """Lift every share below ``minimum`` to it, taking the difference from the members above it in
    proportion to what they have above the minimum, so that nobody is pushed below it. Possible only
    when the money covers the minimum for everyone; otherwise shares stay as they are, and the
    statement says why."""
    if minimum <= 0 or not shares:
        return shares, True, []
    total = sum(shares.values(), Fraction(0))
    below = [member for member, share in shares.items() if share < minimum]
    if not below:
        return shares, True, []
    needed = minimum * len(shares)
    if total < needed:
        note = (f"The minimum of {cents_text(minimum, currency)} per member could not be honoured: "
                f"{len(shares)} members × {cents_text(minimum, currency)} = {cents_text(needed, currency)} is more "
                f"than the {_money(total, currency)} to distribute, so every member received the share the "
                "formula gives.")
        for member in below:
            words[member].append(f"below the minimum of {cents_text(minimum, currency)}, which the money did not "
                                 "allow for every member")
        return shares, False, [note]
    deficit = sum((minimum - shares[m] for m in below), Fraction(0))
    excess = sum((share - minimum for share in shares.values() if share > minimum), Fraction(0))
    keep = 1 - deficit / excess  # 0 <= keep <= 1 because total >= needed
    lifted: dict[int, Fraction] = {}
    for member, share in shares.items():
        if share < minimum:
            lifted[member] = Fraction(minimum)
            words[member].append(f"raised to the minimum of {cents_text(minimum, currency)}")
        else:
            lifted[member] = minimum + (share - minimum) * keep
            if share > minimum:
                words[member].append(f"less {_percent(1 - keep)} of what it exceeded the minimum by, to raise "
                                     f"{len(below)} member(s) to the minimum")
    return lifted, True, []


def compute_payout(formula: PayoutFormula, revenue_cents: int, contributions: Mapping[int, Decimal], *,
                   currency: str = "") -> PayoutResult:
    """Share ``revenue_cents`` under ``formula`` among the members of ``contributions`` (member id →
    contribution for the formula's metric; ignored by an equal split, which only needs the keys)."""
    _check(formula, revenue_cents, contributions)
    reserve_part = _fraction_of(revenue_cents, formula.reserve_fraction)
    operating = _fraction_of(revenue_cents, formula.operating_cost_fraction)
    distributable = revenue_cents - reserve_part - operating
    shares, words, undistributed_exact, notes = _exact_shares(formula, distributable, contributions, currency)
    minimum = to_cents(formula.minimum_per_member)
    shares, honoured, minimum_notes = _apply_minimum(shares, minimum, words, currency)
    notes += minimum_notes
    amounts = ROUNDERS[formula.rounding](shares)
    undistributed = _floor_cents(undistributed_exact)
    remainder = distributable - undistributed - sum(amounts.values())
    uses_contributions = formula.method != "equal"
    lines = tuple(
        MemberPayout(member_id=member, amount_cents=amounts[member],
                     contribution=contributions[member] if uses_contributions else None,
                     explanation=_sentence(words[member], shares[member], amounts[member], currency))
        for member in sorted(amounts))
    if remainder:
        notes.append(f"Rounding each amount down to the cent left {cents_text(remainder, currency)}, which went to "
                     "the reserve.")
    result = PayoutResult(
        revenue_cents=revenue_cents, reserve_cents=reserve_part + remainder + undistributed,
        reserve_fraction_cents=reserve_part, rounding_remainder_cents=remainder, undistributed_cents=undistributed,
        operating_cost_cents=operating, distributable_cents=distributable, minimum_cents=minimum,
        minimum_honoured=honoured, lines=lines, notes=tuple(notes))
    assert result.balances, "payout does not balance"  # a defect of this module, never of the input
    return result


def _sentence(parts: list[str], exact: Fraction, cents: int, currency: str) -> str:
    text = "; ".join(parts) if parts else "no share"
    text = text[:1].upper() + text[1:]
    if exact != cents:
        text += f"; {_money(exact, currency)} rounded down to {cents_text(cents, currency)}"
    return text + "."


def _as_decimal(value: Fraction) -> Decimal:
    return Decimal(value.numerator) / Decimal(value.denominator)


def _money(cents: Fraction, currency: str) -> str:
    """An exact amount in cents for people: two places, or four when it is not a whole cent."""
    places = 2 if cents.denominator == 1 else 4
    text = f"{_as_decimal(cents) / 100:,.{places}f}"
    return f"{currency} {text}" if currency else text


def _number(value: Decimal) -> str:
    return format(value.normalize(), "f") if value else "0"


def _percent(value: Fraction) -> str:
    return f"{_as_decimal(value * 100):.2f}%"
