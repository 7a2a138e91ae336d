"""The reference payout algorithm: worked examples, then properties over every formula and input."""

from __future__ import annotations

import random
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from governance.payouts.compute import PayoutInputError, compute_payout, to_cents
from governance.policy.terms.bodies import PayoutFormula


def formula(method: str = "equal", *, reserve: str = "0.10", operating: str = "0.05", minimum: str = "0.00",
            equal: str | None = None, metric: str | None = None) -> PayoutFormula:
    if method != "equal" and metric is None:
        metric = "records_contributed"
    return PayoutFormula(label="Test", method=method, reserve_fraction=Decimal(reserve),
                         operating_cost_fraction=Decimal(operating), minimum_per_member=Decimal(minimum),
                         equal_fraction=Decimal(equal) if equal is not None else None, metric=metric)


def amounts(result) -> dict[int, int]:
    return {line.member_id: line.amount_cents for line in result.lines}


# ---------------------------------------------------------------- worked examples


def test_equal_split_of_a_round_sum():
    result = compute_payout(formula(), 1_000_000, {1: Decimal(0), 2: Decimal(0), 3: Decimal(0), 4: Decimal(0)})
    assert result.reserve_fraction_cents == 100_000
    assert result.operating_cost_cents == 50_000
    assert result.distributable_cents == 850_000
    assert amounts(result) == {1: 212_500, 2: 212_500, 3: 212_500, 4: 212_500}
    assert result.reserve_cents == 100_000
    assert result.rounding_remainder_cents == 0
    assert all(line.contribution is None for line in result.lines)


def test_equal_split_remainder_goes_to_the_reserve():
    # 100.00 with no set-asides among 3: 33.33 each, the cent left over to the reserve.
    result = compute_payout(formula(reserve="0", operating="0"), 10_000, {7: Decimal(1), 8: Decimal(1), 9: Decimal(1)},
                            currency="EUR")
    assert amounts(result) == {7: 3333, 8: 3333, 9: 3333}
    assert result.reserve_cents == 1
    assert result.rounding_remainder_cents == 1
    assert "EUR 0.01" in " ".join(result.notes)
    assert "rounded down to EUR 33.33" in result.lines[0].explanation


def test_set_asides_are_rounded_down():
    result = compute_payout(formula(reserve="0.1", operating="0.05"), 999, {1: Decimal(1)})
    assert result.reserve_fraction_cents == 99  # 99.9 cents
    assert result.operating_cost_cents == 49  # 49.95 cents
    assert amounts(result) == {1: 851}


def test_pro_rata_by_contribution():
    result = compute_payout(formula("pro_rata", reserve="0", operating="0"), 100_000,
                            {1: Decimal(1), 2: Decimal(3), 3: Decimal(0)})
    assert amounts(result) == {1: 25_000, 2: 75_000, 3: 0}
    assert result.lines[1].contribution == Decimal(3)
    assert "3 of 4 records contributed (75.00%)" in result.lines[1].explanation


def test_pro_rata_with_fractional_contributions():
    result = compute_payout(formula("pro_rata", reserve="0", operating="0"), 1000,
                            {1: Decimal("0.5"), 2: Decimal("0.25")})
    assert amounts(result) == {1: 666, 2: 333}
    assert result.reserve_cents == 1


def test_hybrid_splits_the_equal_part_equally_and_the_rest_pro_rata():
    result = compute_payout(formula("hybrid", reserve="0", operating="0", equal="0.5"), 100_000,
                            {1: Decimal(10), 2: Decimal(0)})
    assert amounts(result) == {1: 75_000, 2: 25_000}


def test_minimum_is_honoured_by_taking_from_those_above_it():
    # Pro rata 90/10 of 100.00 gives 90.00 and 10.00; a minimum of 20.00 lifts the second to 20.00
    # and takes those 10.00 from the first.
    result = compute_payout(formula("pro_rata", reserve="0", operating="0", minimum="20.00"), 10_000,
                            {1: Decimal(9), 2: Decimal(1)})
    assert amounts(result) == {1: 8000, 2: 2000}
    assert result.minimum_honoured
    assert "raised to the minimum" in result.lines[1].explanation


def test_minimum_that_the_money_cannot_cover_is_explained():
    result = compute_payout(formula("equal", reserve="0", operating="0", minimum="5.00"), 1000,
                            {1: Decimal(0), 2: Decimal(0), 3: Decimal(0)}, currency="EUR")
    assert not result.minimum_honoured
    assert amounts(result) == {1: 333, 2: 333, 3: 333}
    assert any("could not be honoured" in note and "EUR 15.00" in note for note in result.notes)
    assert all("below the minimum" in line.explanation.lower() for line in result.lines)


def test_zero_revenue():
    result = compute_payout(formula("hybrid", equal="0.3", minimum="1.00"), 0, {1: Decimal(5), 2: Decimal(1)})
    assert amounts(result) == {1: 0, 2: 0}
    assert result.reserve_cents == 0
    assert result.operating_cost_cents == 0
    assert not result.minimum_honoured  # nothing to pay a minimum from, and the statement says so
    assert result.notes


def test_one_member_gets_the_whole_distributable_amount():
    result = compute_payout(formula("pro_rata"), 12_345, {42: Decimal(17)})
    assert amounts(result) == {42: 12_345 - 1234 - 617}
    assert result.reserve_cents == 1234


def test_pro_rata_without_contributions_keeps_the_money_in_the_reserve():
    result = compute_payout(formula("pro_rata", reserve="0.10", operating="0"), 10_000, {1: Decimal(0), 2: Decimal(0)},
                            currency="EUR")
    assert amounts(result) == {1: 0, 2: 0}
    assert result.undistributed_cents == 9000
    assert result.reserve_cents == 10_000
    assert any("No member recorded any records contributed" in note for note in result.notes)


def test_nobody_taking_part_keeps_the_money_in_the_reserve():
    result = compute_payout(formula("equal"), 10_000, {})
    assert result.lines == ()
    assert result.reserve_cents == 9500
    assert result.operating_cost_cents == 500
    assert result.notes


def test_bad_input_is_refused():
    with pytest.raises(PayoutInputError):
        compute_payout(formula(), -1, {})
    with pytest.raises(PayoutInputError):
        compute_payout(formula("pro_rata"), 100, {1: Decimal(-1)})
    with pytest.raises(PayoutInputError):
        compute_payout(PayoutFormula(label="x", method="equal", reserve_fraction=Decimal(0),
                                     operating_cost_fraction=Decimal(0), minimum_per_member=Decimal(0),
                                     rounding="banker"), 100, {})
    with pytest.raises(PayoutInputError):
        to_cents(Decimal("1.005"))


# ---------------------------------------------------------------- properties

fractions = st.integers(min_value=0, max_value=4999).map(lambda n: Decimal(n) / 10_000)


@st.composite
def formulas(draw) -> PayoutFormula:
    method = draw(st.sampled_from(["equal", "pro_rata", "hybrid"]))
    reserve = draw(fractions)
    operating = draw(fractions)
    minimum = Decimal(draw(st.integers(min_value=0, max_value=5000))) / 100
    equal = Decimal(draw(st.integers(min_value=1, max_value=9999))) / 10_000 if method == "hybrid" else None
    return PayoutFormula(label="P", method=method, reserve_fraction=reserve, operating_cost_fraction=operating,
                         minimum_per_member=minimum, equal_fraction=equal,
                         metric=None if method == "equal" else "records_contributed")


contribution_values = st.one_of(
    st.integers(min_value=0, max_value=10**9).map(Decimal),
    st.decimals(min_value=0, max_value=10**6, places=3, allow_nan=False, allow_infinity=False),
)
contribution_maps = st.dictionaries(st.integers(min_value=1, max_value=10**6), contribution_values, max_size=25)
revenues = st.one_of(st.integers(min_value=0, max_value=200), st.integers(min_value=0, max_value=10**13))


@settings(max_examples=300, deadline=None)
@given(formulas(), revenues, contribution_maps)
def test_totals_always_balance_to_the_cent(payout_formula, revenue, contributions):
    result = compute_payout(payout_formula, revenue, contributions)
    assert result.reserve_cents + result.operating_cost_cents + result.distributed_cents == revenue
    assert result.reserve_cents == (result.reserve_fraction_cents + result.rounding_remainder_cents
                                    + result.undistributed_cents)
    assert all(line.amount_cents >= 0 for line in result.lines)
    assert result.rounding_remainder_cents >= 0
    assert result.undistributed_cents >= 0
    assert sorted(line.member_id for line in result.lines) == sorted(contributions)
    # The set-asides are the formula's fractions rounded down, never more.
    assert result.reserve_fraction_cents <= revenue * payout_formula.reserve_fraction
    assert result.operating_cost_cents <= revenue * payout_formula.operating_cost_fraction


@settings(max_examples=200, deadline=None)
@given(formulas(), revenues, contribution_maps, st.randoms(use_true_random=False))
def test_order_of_members_changes_nobodys_amount(payout_formula, revenue, contributions, rnd: random.Random):
    items = list(contributions.items())
    rnd.shuffle(items)
    shuffled = dict(items)
    first, second = compute_payout(payout_formula, revenue, contributions), compute_payout(payout_formula, revenue,
                                                                                           shuffled)
    assert amounts(first) == amounts(second)
    assert first.reserve_cents == second.reserve_cents
    assert [line.explanation for line in first.lines] == [line.explanation for line in second.lines]


@settings(max_examples=300, deadline=None)
@given(formulas(), revenues, contribution_maps)
def test_minimum_honoured_or_explained(payout_formula, revenue, contributions):
    result = compute_payout(payout_formula, revenue, contributions)
    minimum = to_cents(payout_formula.minimum_per_member)
    if result.minimum_honoured:
        assert all(line.amount_cents >= minimum for line in result.lines)
    else:
        assert minimum > 0
        assert any("could not be honoured" in note for note in result.notes)
        # Refused only when the money really could not cover the minimum for everyone.
        assert result.distributable_cents - result.undistributed_cents < minimum * len(result.lines)
        below = [line for line in result.lines if line.amount_cents < minimum]
        assert below
        assert all("below the minimum" in line.explanation.lower() for line in below)


@settings(max_examples=150, deadline=None)
@given(formulas(), st.integers(min_value=0, max_value=10**9), contribution_maps)
def test_more_revenue_never_pays_a_member_less_under_an_equal_split(payout_formula, revenue, contributions):
    equal = PayoutFormula(label="E", method="equal", reserve_fraction=payout_formula.reserve_fraction,
                          operating_cost_fraction=payout_formula.operating_cost_fraction, minimum_per_member=Decimal(0))
    low, high = compute_payout(equal, revenue, contributions), compute_payout(equal, revenue + 1000, contributions)
    assert all(high_line.amount_cents >= low_line.amount_cents for low_line, high_line in zip(low.lines, high.lines,
                                                                                             strict=True))
    # An equal split pays everyone the same, to the cent.
    assert len({line.amount_cents for line in low.lines}) <= 1
