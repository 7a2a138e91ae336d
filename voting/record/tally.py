"""Counting, the pure part: which ballots count, the encrypted tally, the decryption positions and
bounds, combining trustees' shares, and the result document with its signed message (docs/counting.md).

PURE: stdlib, ``voting.crypto`` and ``voting.record.canonical`` only. The server (``voting.counting.services``) and the
trustee's machine (``dataguild trustee decrypt``) run the same functions, so a trustee recomputes the
encrypted tally from the public board before decrypting anything: a server that asked for the
decryption of a single ballot instead of a sum would be caught.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from voting.crypto import bls
from voting.crypto import trustees as T
from voting.crypto.ballot import (
    ChoiceQuestion,
    EncryptedBallot,
    QuestionSpec,
    ballot_relations,
    question_from_json,
    verify_ballot,
)
from voting.crypto.batch import relations_hold
from voting.crypto.elgamal import Ciphertext, ElectionKey, sum_ciphertexts
from voting.crypto.errors import CryptoError, InvalidEncoding
from voting.crypto.group import Point
from voting.crypto.keyfile import TrusteeSecrets
from voting.record import canonical as record

TALLY_FORMAT = "dataguild-encrypted-tally-v1"
RESULT_FORMAT = "dataguild-result-v1"
#: A result that also states the outcome its manifest's rule gives (elections with a v2 manifest).
RESULT_FORMAT_V2 = "dataguild-result-v2"
CERTIFICATE_FORMAT = "dataguild-result-certificate-v1"
RESULT_FIELDS = ("format", "election", "totals", "turnout", "roll_size")


class TallyMismatch(CryptoError):
    """The posted tally or result differs from the one recomputed from the public data."""


@dataclass(frozen=True)
class BoardLeaf:
    """What counting needs of a board entry (as ``board.json`` publishes it)."""

    leaf_index: int
    kind: str
    alias: str
    payload: dict[str, Any]


def counted_leaves(leaves: Iterable[BoardLeaf]) -> list[BoardLeaf]:
    """The ballots that count: per alias, its last ``cast`` in leaf order (audited ballots never
    count; an earlier cast is superseded by a later one). Sorted by leaf index."""
    last: dict[str, BoardLeaf] = {}
    for leaf in sorted(leaves, key=lambda x: x.leaf_index):
        if leaf.kind == "cast":
            last[leaf.alias] = leaf
    return sorted(last.values(), key=lambda x: x.leaf_index)


def specs_of(manifest: Mapping[str, Any]) -> tuple[QuestionSpec, ...]:
    return tuple(question_from_json(q) for q in manifest["questions"])


def bounds(spec: QuestionSpec, ballots: int) -> tuple[int, int]:
    """Where an option's total lies, given the number of counted ballots: a choice option's count is
    in [0, ballots]; a quadratic option's net votes in [-k·ballots, k·ballots], k = floor(sqrt(budget))
    (0 below when negative votes are not allowed)."""
    if isinstance(spec, ChoiceQuestion):
        return 0, ballots
    low, high = spec.vote_range
    return low * ballots, high * ballots


def position(fingerprint: str, question: int, option: int) -> list[Any]:
    """What a decryption proof binds besides the ciphertext: the election and the place in its tally,
    so a share made for one election or option is refused for any other."""
    return [bytes.fromhex(fingerprint), question, option]


# ---------------------------------------------------------------- totals of open ballots

def open_totals(specs: Sequence[QuestionSpec], counted: Sequence[BoardLeaf]) -> list[list[int]]:
    totals = [[0] * len(spec.options) for spec in specs]
    for leaf in counted:
        for q, values in enumerate(leaf.payload["choices"]):
            for o, value in enumerate(values):
                totals[q][o] += int(value)
    return totals


# ---------------------------------------------------------------- the encrypted tally

def tally_ciphertexts(specs: Sequence[QuestionSpec], counted: Sequence[BoardLeaf]) -> list[list[Ciphertext]]:
    """Per question and option, the homomorphic sum of the counted ballots' tally ciphertexts (choice:
    the selections; quadratic: the votes). Needs at least one ballot (an empty sum has alpha = identity,
    which is not a ciphertext anyone needs to decrypt: its totals are 0)."""
    if not counted:
        raise InvalidEncoding("an empty tally has nothing to decrypt")
    columns: list[list[list[Ciphertext]]] = [[[] for _ in spec.options] for spec in specs]
    for leaf in counted:
        ballot = EncryptedBallot.from_json(leaf.payload)
        if len(ballot.answers) != len(specs):
            raise InvalidEncoding(f"leaf {leaf.leaf_index}: {len(ballot.answers)} answers for {len(specs)} questions")
        for q, answer in enumerate(ballot.answers):
            cts = answer.tally_ciphertexts()
            if len(cts) != len(specs[q].options):
                raise InvalidEncoding(f"leaf {leaf.leaf_index}: question {q} has {len(cts)} options")
            for o, ct in enumerate(cts):
                columns[q][o].append(ct)
    return [[sum_ciphertexts(cts) for cts in question] for question in columns]


def check_counted_ballots(manifest: Mapping[str, Any], counted: Sequence[BoardLeaf]) -> None:
    """Every counted ballot's proofs hold (one batch; on failure each ballot alone, to name the bad one).
    A ballot that encrypted anything but an allowed answer would otherwise stuff the tally."""
    specs, fingerprint = specs_of(manifest), bytes.fromhex(record.manifest_fingerprint(manifest))
    key = ElectionKey(Point.from_hex(manifest["election_key"]))
    ballots, relations = [], []
    for leaf in counted:
        try:
            ballot = EncryptedBallot.from_json(leaf.payload)
            relations.extend(ballot_relations(ballot, specs, key, fingerprint))  # hash checks happen here
        except CryptoError as exc:
            raise TallyMismatch(f"the ballot at leaf {leaf.leaf_index} does not verify: {exc}") from exc
        ballots.append((leaf, ballot))
    if relations_hold(relations):
        return
    for leaf, ballot in ballots:
        try:
            verify_ballot(ballot, specs, key, fingerprint)
        except CryptoError as exc:
            raise TallyMismatch(f"the ballot at leaf {leaf.leaf_index} does not verify: {exc}") from exc
    raise TallyMismatch("the counted ballots' proofs do not verify together")


def tally_document(fingerprint: str, specs: Sequence[QuestionSpec], counted: Sequence[BoardLeaf],
                   board_size: int) -> dict[str, Any]:
    """The encrypted tally as published (``Election.encrypted_tally``)."""
    sums = tally_ciphertexts(specs, counted)
    ballots = len(counted)
    return {"format": TALLY_FORMAT, "election": fingerprint, "board_size": board_size, "ballots": ballots,
            "counted_leaves": [leaf.leaf_index for leaf in counted],
            "questions": [[{"ciphertext": ct.to_json(), "bounds": list(bounds(spec, ballots))} for ct in row]
                          for spec, row in zip(specs, sums, strict=True)]}


def tally_from_document(document: Mapping[str, Any]) -> list[list[Ciphertext]]:
    return [[Ciphertext.from_json(option["ciphertext"]) for option in question] for question in document["questions"]]


# ---------------------------------------------------------------- decryption shares

def parse_shares(data: object, shape: Sequence[int]) -> list[list[T.DecryptionShare]]:
    """``[[DecryptionShare JSON per option] per question]`` of the tally's ``shape`` (options per question)."""
    if not isinstance(data, list) or len(data) != len(shape):
        raise InvalidEncoding(f"shares must be a list with one list per question ({len(shape)})")
    out: list[list[T.DecryptionShare]] = []
    for q, (row, options) in enumerate(zip(data, shape, strict=True)):
        if not isinstance(row, list) or len(row) != options:
            raise InvalidEncoding(f"question {q}: one share per option ({options}) is needed")
        out.append([T.DecryptionShare.from_json(item) for item in row])
    return out


def verify_shares(joint: T.JointKey, fingerprint: str, tally: Sequence[Sequence[Ciphertext]],
                  shares: Sequence[Sequence[T.DecryptionShare]], trustee: int) -> None:
    """Every share is trustee ``trustee``'s and its proof holds for its ciphertext and position."""
    for q, row in enumerate(tally):
        for o, ct in enumerate(row):
            share = shares[q][o]
            if share.trustee != trustee:
                raise T.InvalidDecryptionShare(f"question {q} option {o}: the share is trustee {share.trustee}'s, "
                                               f"not trustee {trustee}'s")
            try:
                T.verify_decryption_share(joint, ct, share, position(fingerprint, q, o))
            except T.InvalidDecryptionShare as exc:
                raise T.InvalidDecryptionShare(f"question {q} option {o}: {exc}") from exc


def make_shares(joint: T.JointKey, secrets: TrusteeSecrets, fingerprint: str,
                tally: Sequence[Sequence[Ciphertext]]) -> list[list[dict[str, Any]]]:
    """A trustee's partial decryptions of the whole tally (JSON, ready to post)."""
    return [[T.partial_decrypt(joint, secrets, ct, position(fingerprint, q, o)).to_json() for o, ct in enumerate(row)]
            for q, row in enumerate(tally)]


def combine(joint: T.JointKey, fingerprint: str, document: Mapping[str, Any],
            shares_by_trustee: Mapping[int, Sequence[Sequence[T.DecryptionShare]]]) -> list[list[int]]:
    """The totals from at least k trustees' (already verified) shares."""
    tally = tally_from_document(document)
    totals: list[list[int]] = []
    for q, row in enumerate(tally):
        totals.append([])
        for o, ct in enumerate(row):
            low, high = document["questions"][q][o]["bounds"]
            totals[q].append(T.combine_decryption_shares(
                joint, ct, [shares[q][o] for shares in shares_by_trustee.values()], bound=high, lower=low,
                position=position(fingerprint, q, o), verified=True))
    return totals


# ---------------------------------------------------------------- the result and its certificate

def result_document(fingerprint: str, totals: Sequence[Sequence[int]], turnout: int, roll_size: int) -> dict[str, Any]:
    return {"format": RESULT_FORMAT, "election": fingerprint, "totals": [list(row) for row in totals],
            "turnout": turnout, "roll_size": roll_size}


def with_outcome(document: Mapping[str, Any], outcome: Mapping[str, Any]) -> dict[str, Any]:
    """A v1 result document made v2: the same fields plus ``outcome`` (``state``, ``chosen_alternative``)."""
    return {**document, "format": RESULT_FORMAT_V2, "outcome": {"state": outcome["state"],
                                                                "chosen_alternative": outcome["chosen_alternative"]}}


def result_fields(document: Mapping[str, Any]) -> tuple[str, ...]:
    """The signed fields of a result: the five of v1, plus ``outcome`` in v2."""
    return (*RESULT_FIELDS, "outcome") if document.get("format") == RESULT_FORMAT_V2 else RESULT_FIELDS


def result_message(document: Mapping[str, Any]) -> bytes:
    """The bytes every certificate signs: RFC 8785 canonical JSON of the result document's fields
    (:func:`result_fields`: in v2 the outcome too, so what the trustees co-sign is what was decided)."""
    return record.canonical_bytes({key: document[key] for key in result_fields(document)})


def result_hash(document: Mapping[str, Any]) -> str:
    """sha256 hex of :func:`result_message`: the proposal's ``record_hash`` (also in the election
    record's ``outcome.record_hash``; docs/record-spec.md §9)."""
    return hashlib.sha256(result_message(document)).hexdigest()


def trustee_bls_keys(manifest: Mapping[str, Any]) -> dict[int, str]:
    committee = manifest.get("committee") or {}
    return {int(t["index"]): t["bls_public_key"] for t in committee.get("trustees", []) if t.get("bls_public_key")}


def joint_key_of_manifest(manifest: Mapping[str, Any]) -> T.JointKey:
    committee = manifest.get("committee")
    if not committee or "joint_key" not in committee:
        raise InvalidEncoding("this election's manifest names no trustee committee")
    joint = T.JointKey.from_json(committee["joint_key"])
    if joint.election_key().hex() != manifest["election_key"]:
        raise TallyMismatch("the manifest's joint key does not give its election key")
    return joint


def verify_certificate(manifest: Mapping[str, Any], document: Mapping[str, Any],
                       certificate: Mapping[str, Any]) -> None:
    """Raises ``CryptoError`` unless ``certificate`` signs ``document`` (trustees: an aggregate BLS
    signature of the listed signers, keys from the manifest; cooperative: the board key's signature)."""
    message = result_message(document)
    signature = bls.BlsSignature.from_hex(certificate["signature"])
    if certificate["kind"] == "cooperative":
        bls.verify(bls.BlsPublicKey.from_hex(manifest["board_public_key"]), message, signature)
        return
    keys = trustee_bls_keys(manifest)
    signers = certificate["signers"]
    if not signers or any(s not in keys for s in signers):
        raise InvalidEncoding("the certificate names a signer who is not a trustee of this election")
    bls.fast_aggregate_verify([bls.BlsPublicKey.from_hex(keys[s]) for s in signers], message, signature)
