"""Exponential ElGamal: homomorphic tallies decrypt to the sum of the votes."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from voting.crypto.elgamal import (
    ZERO,
    Ciphertext,
    ElectionKey,
    decrypt_with_secret,
    discrete_log,
    encrypt,
    rerandomize,
    sum_ciphertexts,
)
from voting.crypto.errors import CryptoError, DiscreteLogOutOfRange
from voting.crypto.group import G, N, base_mult, random_scalar

SECRET = 0x1D2C3B4A59687766554433221100FFEEDDCCBBAA99887766554433221100AB
KEY = ElectionKey(base_mult(SECRET))

FAST = settings(max_examples=15, deadline=None)


def decrypt(ct: Ciphertext, bound: int, lower: int = 0) -> int:
    return discrete_log(decrypt_with_secret(SECRET, ct), bound, lower=lower)


@FAST
@given(st.integers(1, 5).flatmap(lambda n: st.lists(st.lists(st.integers(0, 1), min_size=n, max_size=n),
                                                     min_size=1, max_size=12)))
def test_tally_of_yes_no_votes_decrypts_to_their_sum(electorate: list[list[int]]) -> None:
    options = len(electorate[0])
    columns = [[encrypt(KEY, ballot[i])[0] for ballot in electorate] for i in range(options)]
    totals = [decrypt(sum_ciphertexts(col), len(electorate)) for col in columns]
    assert totals == [sum(ballot[i] for ballot in electorate) for i in range(options)]


@FAST
@given(st.lists(st.integers(-9, 9), min_size=1, max_size=20))
def test_tally_of_signed_quadratic_votes_decrypts_to_their_sum(votes: list[int]) -> None:
    total = sum_ciphertexts([encrypt(KEY, v)[0] for v in votes])
    bound = 9 * len(votes)
    assert decrypt(total, bound, lower=-bound) == sum(votes)


@FAST
@given(st.integers(0, 500), st.integers(0, 500))
def test_ciphertexts_add_and_subtract_homomorphically(a: int, b: int) -> None:
    ca, ra = encrypt(KEY, a)
    cb, rb = encrypt(KEY, b)
    assert ca + cb == encrypt(KEY, a + b, (ra + rb) % N)[0]
    assert decrypt(ca - cb, 500, lower=-500) == a - b


def test_encryption_is_randomized_and_rerandomization_keeps_the_plaintext() -> None:
    c1, r1 = encrypt(KEY, 3)
    c2, r2 = encrypt(KEY, 3)
    assert r1 != r2
    assert c1 != c2
    c3, _ = rerandomize(KEY, c1)
    assert c3 != c1
    assert decrypt(c3, 10) == 3


def test_explicit_randomness_gives_the_textbook_ciphertext() -> None:
    r = 0xABCDEF
    ct, used = encrypt(KEY, 5, r)
    assert used == r
    assert ct.alpha == G * r
    assert ct.beta == G * 5 + KEY.point * r


def test_sum_of_nothing_is_the_zero_ciphertext_and_decrypts_to_zero() -> None:
    assert sum_ciphertexts([]) == ZERO
    assert decrypt(encrypt(KEY, 0)[0], 0) == 0


def test_discrete_log_outside_the_bound_raises() -> None:
    ct, _ = encrypt(KEY, 50)
    with pytest.raises(DiscreteLogOutOfRange):
        decrypt(ct, 49)
    assert decrypt(ct, 50, lower=50) == 50


def test_ciphertext_json_round_trip_and_rejections() -> None:
    ct, _ = encrypt(KEY, 1, random_scalar())
    assert Ciphertext.from_json(ct.to_json()) == ct
    alpha, beta = ct.to_json()
    for bad in ([alpha], [alpha, beta, beta], [alpha, 5], "x", [alpha, "02" + "00" * 32],
                [alpha, "00" * 33], [alpha, beta[:-2]]):
        with pytest.raises(CryptoError):
            Ciphertext.from_json(bad)
