"""The voter's side of a secret ballot, in Python: what the ballot page's JavaScript does in the browser
(``static/js/ballot/encrypt.js``), for the command-line client ``dataguild vote``, the demo and the tests.

The voter's device checks the manifest against the fingerprint it was given, checks the choices,
encrypts them under the manifest's election key with every proof, and keeps the randomness (which it
reveals only to audit). After casting it checks the server's receipt: signed by the manifest's receipt
key, for this election, with the tracking code the device computed. The server never sees a choice.

PURE: ``voting.crypto`` and ``voting.record`` only (import-linter keeps it so), so it runs on a voter's
machine without the site's dependencies.
"""

from __future__ import annotations

import secrets
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from voting import InvalidChoice
from voting.crypto.ballot import (
    BallotSecrets,
    ChoiceQuestion,
    EncryptedBallot,
    QuadraticQuestion,
    audit_reveal,
    encrypt_ballot,
)
from voting.crypto.elgamal import ElectionKey
from voting.crypto.errors import CryptoError
from voting.crypto.group import Point, random_scalar
from voting.crypto.proofs import Rng
from voting.record import canonical as record
from voting.record.tally import specs_of


class ClientError(ValueError):
    """The manifest, the choices or the receipt cannot be used (the message says why, in plain words)."""


@dataclass(frozen=True)
class PreparedBallot:
    """An encrypted ballot ready to cast or audit, with what only the voter's device knows."""

    ballot: EncryptedBallot
    secrets: BallotSecrets

    @property
    def tracking_code(self) -> str:
        return self.ballot.tracking_code()

    def to_json(self) -> dict[str, Any]:
        """The ballot as it goes over the wire (and onto the board)."""
        return self.ballot.to_json()

    def reveal(self) -> dict[str, Any]:
        """What an audit posts beside the ballot: the choices and all the randomness."""
        return audit_reveal(self.ballot, self.secrets)


def plain_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _check_question(q: int, spec: ChoiceQuestion | QuadraticQuestion, values: object) -> list[int]:
    field = f"q{q}"
    if isinstance(values, str) or not isinstance(values, Sequence) or len(values) != len(spec.options) \
            or not all(plain_int(v) for v in values):
        raise InvalidChoice("This ballot does not match the question: one whole number per option is needed.",
                            {field: "Give one whole number per option."})
    vals = list(values)
    if isinstance(spec, ChoiceQuestion):
        if any(v not in (0, 1) for v in vals):
            raise InvalidChoice("An option is either chosen or not.", {field: "An option is either chosen or not."})
        chosen, lo, hi = sum(vals), spec.min_selections, spec.max_selections
        if not lo <= chosen <= hi:
            wanted = f"exactly {lo}" if lo == hi else f"between {lo} and {hi}"
            message = f"Choose {wanted} option{'s' if hi != 1 else ''}; this ballot has {chosen}."
            if lo == hi == 1:
                message = "Choose one option." if chosen == 0 else f"Choose only one option; this ballot has {chosen}."
            raise InvalidChoice(message, {field: message})
        return vals
    low, high = spec.vote_range
    for i, v in enumerate(vals):
        label = {"for": "For", "against": "Against"}.get(spec.options[i], spec.options[i])
        if v < 0 and not spec.allow_negative:
            message = f"Negative votes are not allowed on this ballot (“{label}” has {v})."
            raise InvalidChoice(message, {field: message})
        if not low <= v <= high:
            message = (f"“{label}” has {v} votes, which would cost {v * v} voice credits; one option can have "
                       f"at most {high} votes with a budget of {spec.budget}.")
            raise InvalidChoice(message, {field: message})
    spent = sum(v * v for v in vals)
    if spent > spec.budget:
        message = (f"Over budget: this ballot spends {spent} voice credits and the budget is {spec.budget}. "
                   f"Take away {spent - spec.budget} credits' worth of votes.")
        raise InvalidChoice(message, {field: message})
    return vals


def check_choices(specs: Sequence[ChoiceQuestion | QuadraticQuestion], choices: object) -> list[list[int]]:
    """The choices, validated against every question (one list of integers per question), or
    :class:`InvalidChoice` with a sentence for the member (``errors`` keyed ``q<index>``)."""
    if isinstance(choices, str) or not isinstance(choices, Sequence) or len(choices) != len(specs):
        raise InvalidChoice(f"This ballot answers {len(choices) if isinstance(choices, Sequence) else 0} "
                            f"question(s); the election asks {len(specs)}.")
    return [_check_question(q, spec, values) for q, (spec, values) in enumerate(zip(specs, choices, strict=True))]


def new_ballot_ref() -> str:
    """A random reference: it names the ballot in its proofs and says nothing about the voter."""
    return "b-" + secrets.token_hex(12)


def check_manifest(manifest: Mapping[str, Any], fingerprint: str | None = None) -> str:
    """The manifest's fingerprint; ``ClientError`` unless it equals ``fingerprint`` (when given) and the
    manifest is a secret election's with an election key."""
    try:
        actual = record.manifest_fingerprint(dict(manifest))
    except (CryptoError, TypeError, ValueError) as exc:
        raise ClientError(f"The election manifest cannot be read: {exc}") from None
    if fingerprint is not None and actual != fingerprint:
        raise ClientError(f"The manifest does not hash to the election's fingerprint (it hashes to {actual[:16]}…, "
                          f"expected {fingerprint[:16]}…): do not vote with it, and tell the observers.")
    if manifest.get("secrecy") != "secret" or not manifest.get("election_key"):
        raise ClientError("This election is an open roll call: its ballots are not encrypted.")
    return actual


def prepare(manifest: Mapping[str, Any], choices: object, *, ballot_ref: str | None = None,
            rng: Rng = random_scalar) -> PreparedBallot:
    """Encrypt ``choices`` (one list of integers per question) for the election of ``manifest``;
    :class:`voting.InvalidChoice` (with a sentence per question) when they do not fit the ballot."""
    fingerprint = check_manifest(manifest)
    specs = list(specs_of(manifest))
    checked = check_choices(specs, choices)  # InvalidChoice, in the words the ballot page uses
    try:
        key = ElectionKey(Point.from_hex(manifest["election_key"]))
        ballot, ballot_secrets = encrypt_ballot(specs, checked, key,
                                                bytes.fromhex(fingerprint), ballot_ref or new_ballot_ref(), rng=rng)
    except CryptoError as exc:
        raise ClientError(f"These choices do not fit the ballot: {exc}") from None
    return PreparedBallot(ballot, ballot_secrets)


def receipt_problems(receipt: object, manifest: Mapping[str, Any], tracking_code: str) -> list[str]:
    """What is wrong with the server's receipt for the ballot with ``tracking_code`` ([] if nothing):
    the device checks it before it tells the voter that the ballot is recorded."""
    try:
        parsed = record.Receipt.from_json(receipt)
    except CryptoError as exc:
        return [f"The server's answer is not a receipt: {exc}."]
    problems = []
    if parsed.fingerprint != record.manifest_fingerprint(dict(manifest)):
        problems.append("The receipt is for another election than the one you voted in.")
    if parsed.tracking_code != tracking_code:
        problems.append(f"The receipt's tracking code {parsed.tracking_code[:16]}… is not your ballot's "
                        f"({tracking_code[:16]}…): the server recorded something other than what you sent.")
    try:
        record.verify_receipt(parsed, manifest["receipt_public_key"])
    except CryptoError as exc:
        problems.append(f"The receipt's signature does not verify with the election's receipt key: {exc}.")
    return problems
