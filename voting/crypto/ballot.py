"""Encrypted ballots: question specs, encoding with proofs, verification, cast-or-audit.

A ballot answers one or more questions (usually one). Positions in proof challenges are
``[ballot_ref, question_index, option_index]`` for per-option proofs and
``[ballot_ref, question_index, "sum"]`` for a question's sum proof.

- :class:`ChoiceQuestion` (one-member-one-vote): option ``i`` is ``Enc(x_i)`` with a
  :class:`DisjunctiveProof` over ``{0, 1}``; the sum ``Σ Enc(x_i)`` (computed by the verifier)
  carries a :class:`RangeProof` over ``[min_selections..max_selections]``.
- :class:`QuadraticQuestion`: option ``i`` is ``(Enc(v_i), Enc(v_i²))`` with a
  :class:`QuadraticPairProof` over ``[-k..k]`` (or ``[0..k]``), ``k = isqrt(B)``; the sum
  ``Σ Enc(v_i²)`` carries a :class:`RangeProof` over ``[0..B]``.

The **tracking code** is ``SHA-256(encode("dataguild/tracking-code", PROTOCOL_VERSION,
fingerprint, ballot_ref, answers))`` in lowercase hex, with :func:`hashing.encode` and the answer
items documented at :meth:`EncryptedBallot.canonical_items`.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar

from .batch import Relation, WeightedTerms, random_weights, relations_hold, weighted_terms_hold
from .elgamal import Ciphertext, ElectionKey, encrypt, sum_ciphertexts
from .errors import BudgetExceeded, CryptoError, InvalidBallot, InvalidEncoding
from .group import G, N, Point, random_scalar
from .hashing import PROTOCOL_VERSION, Encodable, encode, sha256
from .proofs import (
    MAX_BRANCHES,
    DisjunctiveProof,
    QuadraticPairProof,
    RangeProof,
    Rng,
    ciphertext_from_json,
    expect_list,
    expect_object,
    scalar_from_json,
    scalar_to_json,
)

MAX_OPTIONS = 256
MAX_QUESTIONS = 64
#: A budget needs B + 1 branches in its sum proof.
MAX_BUDGET = MAX_BRANCHES - 1
ZERO_ONE = (0, 1)
_REF = re.compile(r"[A-Za-z0-9._:-]{1,128}")


# --- question specs ------------------------------------------------------------------------------
def _check_options(spec: ChoiceQuestion | QuadraticQuestion) -> None:
    if isinstance(spec.options, str) or not isinstance(spec.options, Sequence):
        raise InvalidBallot("options must be a sequence of strings")
    object.__setattr__(spec, "options", tuple(spec.options))  # frozen: normalize lists to tuples
    options = spec.options
    if not 1 <= len(options) <= MAX_OPTIONS:
        raise InvalidBallot(f"a question needs 1..{MAX_OPTIONS} options, got {len(options)}")
    if not all(isinstance(o, str) and o for o in options) or len(set(options)) != len(options):
        raise InvalidBallot("options must be distinct non-empty strings")


def _plain_int(x: object) -> bool:
    return isinstance(x, int) and not isinstance(x, bool)


@dataclass(frozen=True, slots=True)
class ChoiceQuestion:
    """One member, one vote: select between ``min_selections`` and ``max_selections`` options."""

    options: tuple[str, ...]
    min_selections: int = 1
    max_selections: int = 1
    KIND: ClassVar[str] = "choice"

    def __post_init__(self) -> None:
        _check_options(self)
        lo, hi = self.min_selections, self.max_selections
        if not (_plain_int(lo) and _plain_int(hi) and 0 <= lo <= hi <= len(self.options)):
            raise InvalidBallot(f"selections must satisfy 0 <= min <= max <= {len(self.options)}")

    @classmethod
    def yes_no_abstain(cls) -> ChoiceQuestion:
        return cls(("yes", "no", "abstain"), 1, 1)

    def check_choices(self, values: Sequence[int], where: str) -> tuple[int, ...]:
        vals = tuple(values)
        if len(vals) != len(self.options):
            raise InvalidBallot(f"{where}: expected {len(self.options)} option values, got {len(vals)}")
        for i, x in enumerate(vals):
            if not _plain_int(x) or x not in ZERO_ONE:
                raise InvalidBallot(f"{where} option {i}: a selection must be 0 or 1, got {x!r}")
        if not self.min_selections <= sum(vals) <= self.max_selections:
            raise InvalidBallot(f"{where}: {sum(vals)} options selected, allowed "
                                f"{self.min_selections}..{self.max_selections}")
        return vals

    def to_json(self) -> dict[str, Any]:
        return {"kind": self.KIND, "options": list(self.options), "min_selections": self.min_selections,
                "max_selections": self.max_selections}


@dataclass(frozen=True, slots=True)
class QuadraticQuestion:
    """Quadratic voting: ``v_i`` votes on option ``i`` cost ``v_i²``; ``Σ v_i² <= budget``."""

    options: tuple[str, ...]
    budget: int
    allow_negative: bool = False
    KIND: ClassVar[str] = "quadratic"

    def __post_init__(self) -> None:
        _check_options(self)
        if not _plain_int(self.budget) or not 1 <= self.budget <= MAX_BUDGET:
            raise InvalidBallot(f"quadratic budget must be an integer in 1..{MAX_BUDGET}")
        if not isinstance(self.allow_negative, bool):
            raise InvalidBallot("allow_negative must be a boolean")

    @property
    def max_votes(self) -> int:
        """k = floor(sqrt(B)): the most votes one option can receive."""
        return math.isqrt(self.budget)

    @property
    def vote_range(self) -> tuple[int, int]:
        k = self.max_votes
        return (-k if self.allow_negative else 0), k

    def check_choices(self, values: Sequence[int], where: str) -> tuple[int, ...]:
        vals = tuple(values)
        if len(vals) != len(self.options):
            raise InvalidBallot(f"{where}: expected {len(self.options)} option values, got {len(vals)}")
        k = self.max_votes
        for i, v in enumerate(vals):
            if not _plain_int(v):
                raise InvalidBallot(f"{where} option {i}: votes must be an integer, got {v!r}")
            if v < 0 and not self.allow_negative:
                raise InvalidBallot(f"{where} option {i}: negative votes are not allowed on this question")
            if abs(v) > k:
                raise BudgetExceeded(f"{where} option {i}: {v} votes cost {v * v} credits, "
                                     f"more than the budget of {self.budget} (at most {k} votes)")
        spent = sum(v * v for v in vals)
        if spent > self.budget:
            raise BudgetExceeded(f"{where}: spends {spent} voice credits, budget is {self.budget}")
        return vals

    def to_json(self) -> dict[str, Any]:
        return {"kind": self.KIND, "options": list(self.options), "budget": self.budget,
                "allow_negative": self.allow_negative}


QuestionSpec = ChoiceQuestion | QuadraticQuestion


def question_from_json(data: object) -> QuestionSpec:
    if isinstance(data, dict) and data.get("kind") == ChoiceQuestion.KIND:
        obj = expect_object(data, {"kind", "options", "min_selections", "max_selections"}, "choice question")
        return ChoiceQuestion(tuple(expect_list(obj["options"], "options")), obj["min_selections"],
                              obj["max_selections"])
    if isinstance(data, dict) and data.get("kind") == QuadraticQuestion.KIND:
        obj = expect_object(data, {"kind", "options", "budget", "allow_negative"}, "quadratic question")
        return QuadraticQuestion(tuple(expect_list(obj["options"], "options")), obj["budget"], obj["allow_negative"])
    raise InvalidEncoding("question must be an object with kind 'choice' or 'quadratic'")


# --- encrypted answers -----------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class ChoiceAnswer:
    """Per option ``Enc(x_i)`` with its 0/1 proof, and the range proof of ``Σ Enc(x_i)``."""

    ciphertexts: tuple[Ciphertext, ...]
    proofs: tuple[DisjunctiveProof, ...]
    sum_proof: RangeProof
    KIND: ClassVar[str] = "choice"

    def tally_ciphertexts(self) -> tuple[Ciphertext, ...]:
        return self.ciphertexts

    def to_json(self, *, uncompressed: bool = False) -> dict[str, Any]:
        u = uncompressed
        return {"kind": self.KIND,
                "selections": [{"ciphertext": ct.to_json(uncompressed=u), "proof": p.to_json(uncompressed=u)}
                               for ct, p in zip(self.ciphertexts, self.proofs, strict=True)],
                "sum_proof": self.sum_proof.to_json(uncompressed=u)}

    @classmethod
    def from_json(cls, data: object) -> ChoiceAnswer:
        obj = expect_object(data, {"kind", "selections", "sum_proof"}, "choice answer")
        sels = expect_list(obj["selections"], "selections")
        if not 1 <= len(sels) <= MAX_OPTIONS:
            raise InvalidEncoding(f"a choice answer needs 1..{MAX_OPTIONS} selections")
        items = [expect_object(s, {"ciphertext", "proof"}, "selection") for s in sels]
        return cls(tuple(ciphertext_from_json(s["ciphertext"]) for s in items),
                   tuple(DisjunctiveProof.from_json(s["proof"]) for s in items),
                   RangeProof.from_json(obj["sum_proof"]))

    def canonical_items(self) -> list[Encodable]:
        return [self.KIND, [[ct.alpha, ct.beta, p._items()] for ct, p in
                            zip(self.ciphertexts, self.proofs, strict=True)], self.sum_proof._items()]


@dataclass(frozen=True, slots=True)
class QuadraticAnswer:
    """Per option ``(Enc(v_i), Enc(v_i²))`` with its pair proof, and the range proof of ``Σ Enc(v_i²)``."""

    votes: tuple[Ciphertext, ...]
    squares: tuple[Ciphertext, ...]
    proofs: tuple[QuadraticPairProof, ...]
    budget_proof: RangeProof
    KIND: ClassVar[str] = "quadratic"

    def tally_ciphertexts(self) -> tuple[Ciphertext, ...]:
        return self.votes

    def to_json(self, *, uncompressed: bool = False) -> dict[str, Any]:
        u = uncompressed
        return {"kind": self.KIND,
                "options": [{"votes": v.to_json(uncompressed=u), "square": s.to_json(uncompressed=u),
                             "proof": p.to_json(uncompressed=u)}
                            for v, s, p in zip(self.votes, self.squares, self.proofs, strict=True)],
                "budget_proof": self.budget_proof.to_json(uncompressed=u)}

    @classmethod
    def from_json(cls, data: object) -> QuadraticAnswer:
        obj = expect_object(data, {"kind", "options", "budget_proof"}, "quadratic answer")
        opts = expect_list(obj["options"], "options")
        if not 1 <= len(opts) <= MAX_OPTIONS:
            raise InvalidEncoding(f"a quadratic answer needs 1..{MAX_OPTIONS} options")
        items = [expect_object(o, {"votes", "square", "proof"}, "quadratic option") for o in opts]
        return cls(tuple(ciphertext_from_json(o["votes"]) for o in items),
                   tuple(ciphertext_from_json(o["square"]) for o in items),
                   tuple(QuadraticPairProof.from_json(o["proof"]) for o in items),
                   RangeProof.from_json(obj["budget_proof"]))

    def canonical_items(self) -> list[Encodable]:
        return [self.KIND, [[v.alpha, v.beta, s.alpha, s.beta, p._items()] for v, s, p in
                            zip(self.votes, self.squares, self.proofs, strict=True)],
                self.budget_proof._items()]


Answer = ChoiceAnswer | QuadraticAnswer
_ANSWER_KINDS: dict[str, type[ChoiceAnswer] | type[QuadraticAnswer]] = {
    ChoiceAnswer.KIND: ChoiceAnswer, QuadraticAnswer.KIND: QuadraticAnswer}


def _check_fingerprint(fingerprint: object) -> bytes:
    if not isinstance(fingerprint, bytes) or len(fingerprint) != 32:
        raise InvalidBallot("election fingerprint must be 32 bytes")
    return fingerprint


def _check_ref(ref: object) -> str:
    if not isinstance(ref, str) or not _REF.fullmatch(ref):
        raise InvalidBallot("ballot_ref must be 1..128 characters of [A-Za-z0-9._:-]")
    return ref


@dataclass(frozen=True, slots=True)
class EncryptedBallot:
    election: bytes  # the election fingerprint (32 bytes)
    ballot_ref: str
    answers: tuple[Answer, ...]

    def canonical_items(self) -> list[Encodable]:
        """``["dataguild/tracking-code", PROTOCOL_VERSION, fingerprint, ballot_ref, [answer...]]``.

        choice answer: ``["choice", [[alpha, beta, [[a, b, c, z] per branch]] per option],
        [[a, b, c, z] per sum-proof branch]]``; quadratic answer: ``["quadratic",
        [[alpha1, beta1, alpha2, beta2, [[a1, b1, a2, b2, c, z1, z2] per branch]] per option],
        [[a, b, c, z] per budget-proof branch]]``. Points are ``hashing`` points, scalars ints.
        """
        return ["dataguild/tracking-code", PROTOCOL_VERSION, self.election, self.ballot_ref,
                [a.canonical_items() for a in self.answers]]

    def tracking_code(self) -> str:
        return sha256(encode(*self.canonical_items())).hex()

    def to_json(self, *, uncompressed: bool = False) -> dict[str, Any]:
        """The ballot as JSON; every point in SEC1 compressed hex, or uncompressed (130 hex
        characters, decodes without square roots: the form for large records) with
        ``uncompressed=True``. :meth:`from_json` reads both (and mixtures); the tracking code and
        every challenge hash the compressed encoding, so they do not depend on the form."""
        return {"version": PROTOCOL_VERSION, "election": self.election.hex(), "ballot_ref": self.ballot_ref,
                "answers": [a.to_json(uncompressed=uncompressed) for a in self.answers]}

    @classmethod
    def from_json(cls, data: object) -> EncryptedBallot:
        """Decode and validate structure, every point and every scalar (proofs are checked by
        :func:`verify_ballot`). Raises :class:`InvalidEncoding`/:class:`InvalidBallot`/… on bad input."""
        obj = expect_object(data, {"version", "election", "ballot_ref", "answers"}, "ballot")
        if obj["version"] != PROTOCOL_VERSION:
            raise InvalidEncoding(f"unsupported ballot version {obj['version']!r}")
        election = obj["election"]
        if not isinstance(election, str) or not re.fullmatch(r"[0-9a-f]{64}", election):
            raise InvalidEncoding("election fingerprint must be 64 lowercase hex characters")
        answers = []
        raw_answers = expect_list(obj["answers"], "answers")
        if len(raw_answers) > MAX_QUESTIONS:
            raise InvalidEncoding(f"a ballot has at most {MAX_QUESTIONS} answers")
        for i, a in enumerate(raw_answers):
            kind = a.get("kind") if isinstance(a, dict) else None
            if kind not in _ANSWER_KINDS:
                raise InvalidEncoding(f"answer {i}: kind must be 'choice' or 'quadratic'")
            answers.append(_ANSWER_KINDS[kind].from_json(a))
        if not 1 <= len(answers) <= MAX_QUESTIONS:
            raise InvalidEncoding(f"a ballot needs 1..{MAX_QUESTIONS} answers")
        return cls(bytes.fromhex(election), _check_ref(obj["ballot_ref"]), tuple(answers))


def ballot_json_uncompressed(data: object) -> dict[str, Any]:
    """The same ballot JSON with every point written uncompressed (validates it on the way:
    raises like :meth:`EncryptedBallot.from_json` on malformed input)."""
    return EncryptedBallot.from_json(data).to_json(uncompressed=True)


@dataclass(frozen=True, slots=True)
class AnswerSecrets:
    """One question's choices and randomness; kept out of ``repr`` so they do not end up in logs."""

    values: tuple[int, ...] = field(repr=False)
    randomness: tuple[int, ...] = field(repr=False)
    square_randomness: tuple[int, ...] = field(default=(), repr=False)  # quadratic only


@dataclass(frozen=True, slots=True)
class BallotSecrets:
    """What only the voter's device knows: the choices and the encryption randomness."""

    ballot_ref: str
    answers: tuple[AnswerSecrets, ...]


def _normalize(specs: QuestionSpec | Sequence[QuestionSpec]) -> tuple[QuestionSpec, ...]:
    if isinstance(specs, ChoiceQuestion | QuadraticQuestion):
        return (specs,)
    specs = tuple(specs)
    if not specs or not all(isinstance(s, ChoiceQuestion | QuadraticQuestion) for s in specs):
        raise InvalidBallot("specs must be a question spec or a non-empty sequence of them")
    return specs


# --- encoding -------------------------------------------------------------------------------------
def encrypt_ballot(specs: QuestionSpec | Sequence[QuestionSpec], choices: Sequence[Any], key: ElectionKey,
                   fingerprint: bytes, ballot_ref: str, *,
                   rng: Rng = random_scalar) -> tuple[EncryptedBallot, BallotSecrets]:
    """Validate and encrypt the choices, with all proofs.

    ``choices`` is one value per option (0/1 for a choice question, votes for a quadratic one); with a
    sequence of specs, one such list per question. Randomness draw order: per question, per option
    ``r`` (quadratic: ``r`` then ``r²``'s randomness) then that option's proof nonces; then the
    sum proof nonces (see :mod:`proofs` for the order inside a proof).
    """
    spec_list = _normalize(specs)
    per_question = [choices] if isinstance(specs, ChoiceQuestion | QuadraticQuestion) else list(choices)
    if len(per_question) != len(spec_list):
        raise InvalidBallot(f"expected choices for {len(spec_list)} question(s), got {len(per_question)}")
    _check_fingerprint(fingerprint)
    _check_ref(ballot_ref)
    checked = [spec.check_choices(vals, f"question {q}")
               for q, (spec, vals) in enumerate(zip(spec_list, per_question, strict=True))]
    answers: list[Answer] = []
    secrets: list[AnswerSecrets] = []
    for q, (spec, vals) in enumerate(zip(spec_list, checked, strict=True)):
        ctx: dict[str, Any] = {"fingerprint": fingerprint, "rng": rng}
        if isinstance(spec, ChoiceQuestion):
            cts, proofs, rs = [], [], []
            for i, x in enumerate(vals):
                ct, r = encrypt(key, x, rng())
                proofs.append(DisjunctiveProof.prove(key, ct, r, x, values=ZERO_ONE,
                                                     position=[ballot_ref, q, i], **ctx))
                cts.append(ct)
                rs.append(r)
            total_r = sum(rs) % N
            sum_proof = RangeProof.prove(key, sum_ciphertexts(cts), total_r, sum(vals),
                                         low=spec.min_selections, high=spec.max_selections,
                                         position=[ballot_ref, q, "sum"], **ctx)
            answers.append(ChoiceAnswer(tuple(cts), tuple(proofs), sum_proof))
            secrets.append(AnswerSecrets(vals, tuple(rs)))
        else:
            low, high = spec.vote_range
            votes, squares, pair_proofs, rs, rs2 = [], [], [], [], []
            for i, v in enumerate(vals):
                ct_v, r_v = encrypt(key, v, rng())
                ct_sq, r_sq = encrypt(key, v * v, rng())
                pair_proofs.append(QuadraticPairProof.prove(
                    key, ct_v, ct_sq, v=v, r_v=r_v, r_sq=r_sq, low=low, high=high,
                    position=[ballot_ref, q, i], **ctx))
                votes.append(ct_v)
                squares.append(ct_sq)
                rs.append(r_v)
                rs2.append(r_sq)
            budget_proof = RangeProof.prove(key, sum_ciphertexts(squares), sum(rs2) % N,
                                            sum(v * v for v in vals), low=0, high=spec.budget,
                                            position=[ballot_ref, q, "sum"], **ctx)
            answers.append(QuadraticAnswer(tuple(votes), tuple(squares), tuple(pair_proofs), budget_proof))
            secrets.append(AnswerSecrets(vals, tuple(rs), tuple(rs2)))
    return (EncryptedBallot(fingerprint, ballot_ref, tuple(answers)),
            BallotSecrets(ballot_ref, tuple(secrets)))


# --- verification ----------------------------------------------------------------------------------
def _check_shape(ballot: EncryptedBallot, specs: QuestionSpec | Sequence[QuestionSpec],
                 fingerprint: bytes) -> tuple[QuestionSpec, ...]:
    """The checks of a ballot against the election before any proof: fingerprint, one answer of the
    right kind and size per question. Raises :class:`InvalidBallot`."""
    spec_list = _normalize(specs)
    ref = ballot.ballot_ref
    if ballot.election != _check_fingerprint(fingerprint):
        raise InvalidBallot(f"ballot {ref}: cast for another election (fingerprint mismatch)")
    if len(ballot.answers) != len(spec_list):
        raise InvalidBallot(f"ballot {ref}: has {len(ballot.answers)} answers, election has "
                            f"{len(spec_list)} questions")
    for q, (spec, ans) in enumerate(zip(spec_list, ballot.answers, strict=True)):
        n = len(spec.options)
        if ans.KIND != spec.KIND:
            raise InvalidBallot(f"ballot {ref} question {q}: answer is {ans.KIND}, question is {spec.KIND}")
        if isinstance(ans, ChoiceAnswer):
            if len(ans.ciphertexts) != n or len(ans.proofs) != n:
                raise InvalidBallot(f"ballot {ref} question {q}: {len(ans.ciphertexts)} selections "
                                    f"for {n} options")
        elif not len(ans.votes) == len(ans.squares) == len(ans.proofs) == n:
            raise InvalidBallot(f"ballot {ref} question {q}: {len(ans.votes)} vote entries for "
                                f"{n} options")
    return spec_list


def ballot_weighted_terms(ballot: EncryptedBallot, specs: QuestionSpec | Sequence[QuestionSpec],
                          key: ElectionKey, fingerprint: bytes) -> WeightedTerms:
    """Exactly the checks of :func:`ballot_relation_groups` (structure, every proof's challenge
    hash) and the same relations, but weighted with fresh random 64-bit weights and merged into
    one :class:`~voting.crypto.batch.WeightedTerms` with bases ``(G, key.point)`` — the fast form
    for batch verification (no Relation objects, no per-point dictionaries).

    The sum proofs' coefficients on ``Σ Enc(x_i)`` are distributed onto the options' ciphertexts
    (the sum is still computed: its compressed encoding is part of the sum proof's challenge).
    Raises :class:`InvalidBallot` naming the question/option and the failing check. To find which
    proof of a ballot fails, use :func:`ballot_relation_groups`.
    """
    spec_list = _check_shape(ballot, specs, fingerprint)
    ref = ballot.ballot_ref
    n_ = N
    scalars: list[int] = []
    points: list[Point] = []
    g_total = k_total = 0
    for q, (spec, ans) in enumerate(zip(spec_list, ballot.answers, strict=True)):
        label = f"question {q} option"
        if isinstance(ans, ChoiceAnswer) and isinstance(spec, ChoiceQuestion):
            cts = ans.ciphertexts
            coeffs: list[list[int]] = []
            for i, (ct, p) in enumerate(zip(cts, ans.proofs, strict=True)):
                try:
                    g, k, ca, cb = p.weighted_terms(key, ct, values=ZERO_ONE, fingerprint=fingerprint,
                                                    position=[ref, q, i], weights=random_weights(4),
                                                    scalars=scalars, points=points)
                except CryptoError as exc:
                    raise InvalidBallot(f"ballot {ref} {label} {i}: 0/1 proof failed: {exc}") from exc
                g_total += g
                k_total += k
                coeffs.append([ca, cb])
            lo, hi = spec.min_selections, spec.max_selections
            proof = ans.sum_proof
            try:
                g, k, ca, cb = proof.weighted_terms(
                    key, sum_ciphertexts(list(cts)), low=lo, high=hi, fingerprint=fingerprint,
                    position=[ref, q, "sum"], weights=random_weights(2 * len(proof.commitments)),
                    scalars=scalars, points=points)
            except CryptoError as exc:
                raise InvalidBallot(f"ballot {ref} question {q} sum: selection count in [{lo}..{hi}] "
                                    f"proof failed: {exc}") from exc
            g_total += g
            k_total += k
            for ct, (a_c, b_c) in zip(cts, coeffs, strict=True):
                scalars.append((a_c + ca) % n_)
                points.append(ct.alpha)
                scalars.append((b_c + cb) % n_)
                points.append(ct.beta)
        elif isinstance(ans, QuadraticAnswer) and isinstance(spec, QuadraticQuestion):
            lo, hi = spec.vote_range
            qcoeffs: list[tuple[int, int, int, int]] = []
            for i, (v, sq, p) in enumerate(zip(ans.votes, ans.squares, ans.proofs, strict=True)):
                try:
                    g, k, a1, b1, a2, b2 = p.weighted_terms(
                        key, v, sq, low=lo, high=hi, fingerprint=fingerprint, position=[ref, q, i],
                        weights=random_weights(4 * len(p.commitments)), scalars=scalars, points=points)
                except CryptoError as exc:
                    raise InvalidBallot(f"ballot {ref} {label} {i}: votes in [{lo}..{hi}] and their square "
                                        f"proof failed: {exc}") from exc
                g_total += g
                k_total += k
                qcoeffs.append((a1, b1, a2, b2))
            proof = ans.budget_proof
            try:
                g, k, ca, cb = proof.weighted_terms(
                    key, sum_ciphertexts(list(ans.squares)), low=0, high=spec.budget, fingerprint=fingerprint,
                    position=[ref, q, "sum"], weights=random_weights(2 * len(proof.commitments)),
                    scalars=scalars, points=points)
            except CryptoError as exc:
                raise InvalidBallot(f"ballot {ref} question {q} sum: credits spent in [0..{spec.budget}] "
                                    f"proof failed: {exc}") from exc
            g_total += g
            k_total += k
            for v, sq, (a1, b1, a2, b2) in zip(ans.votes, ans.squares, qcoeffs, strict=True):
                scalars += (a1 % n_, b1 % n_, (a2 + ca) % n_, (b2 + cb) % n_)
                points += (v.alpha, v.beta, sq.alpha, sq.beta)
    return WeightedTerms((g_total % n_, k_total % n_), scalars, points)


def ballot_relation_groups(ballot: EncryptedBallot, specs: QuestionSpec | Sequence[QuestionSpec],
                           key: ElectionKey, fingerprint: bytes) -> list[tuple[str, list[Relation]]]:
    """Check structure and every proof's challenge hash; return the relations per proof, labelled
    ``"question Q option I"`` / ``"question Q sum"``. Raises :class:`InvalidBallot` naming the
    question/option and the failing check."""
    spec_list = _check_shape(ballot, specs, fingerprint)
    ref = ballot.ballot_ref
    groups: list[tuple[str, list[Relation]]] = []

    def add(label: str, check: str, proof: Any, *statement: Any, **params: Any) -> None:
        try:
            groups.append((label, proof.relations(key, *statement, fingerprint=fingerprint, **params)))
        except CryptoError as exc:
            raise InvalidBallot(f"ballot {ref} {label}: {check} failed: {exc}") from exc

    for q, (spec, ans) in enumerate(zip(spec_list, ballot.answers, strict=True)):
        if isinstance(ans, ChoiceAnswer) and isinstance(spec, ChoiceQuestion):
            for i, (ct, p) in enumerate(zip(ans.ciphertexts, ans.proofs, strict=True)):
                add(f"question {q} option {i}", "0/1 proof", p, ct, values=ZERO_ONE, position=[ref, q, i])
            lo, hi = spec.min_selections, spec.max_selections
            add(f"question {q} sum", f"selection count in [{lo}..{hi}] proof", ans.sum_proof,
                sum_ciphertexts(list(ans.ciphertexts)), low=lo, high=hi, position=[ref, q, "sum"])
        elif isinstance(ans, QuadraticAnswer) and isinstance(spec, QuadraticQuestion):
            lo, hi = spec.vote_range
            for i, (v, s, p) in enumerate(zip(ans.votes, ans.squares, ans.proofs, strict=True)):
                add(f"question {q} option {i}", f"votes in [{lo}..{hi}] and their square proof", p, v, s,
                    low=lo, high=hi, position=[ref, q, i])
            add(f"question {q} sum", f"credits spent in [0..{spec.budget}] proof", ans.budget_proof,
                sum_ciphertexts(list(ans.squares)), low=0, high=spec.budget, position=[ref, q, "sum"])
    return groups


def ballot_relations(ballot: EncryptedBallot, specs: QuestionSpec | Sequence[QuestionSpec],
                     key: ElectionKey, fingerprint: bytes) -> list[Relation]:
    """All relations of a ballot after its hash checks, for ``BatchVerifier.add(label, ...)``."""
    return [r for _, rels in ballot_relation_groups(ballot, specs, key, fingerprint) for r in rels]


def verify_ballot(ballot: EncryptedBallot, specs: QuestionSpec | Sequence[QuestionSpec],
                  key: ElectionKey, fingerprint: bytes) -> None:
    """Raise :class:`InvalidBallot` (naming question/option and check) unless every proof verifies."""
    if weighted_terms_hold((G, key.point), [ballot_weighted_terms(ballot, specs, key, fingerprint)]):
        return
    groups = ballot_relation_groups(ballot, specs, key, fingerprint)
    bad = [label for label, rels in groups if not relations_hold(rels)]
    raise InvalidBallot(f"ballot {ballot.ballot_ref}: proof equations do not hold at "
                        f"{', '.join(bad) or 'an unidentified proof'}")


# --- cast-or-audit ---------------------------------------------------------------------------------
def audit_reveal(ballot: EncryptedBallot, secrets: BallotSecrets) -> dict[str, Any]:
    """The JSON posted for an audited (never counted) ballot: choices and all encryption randomness."""
    if secrets.ballot_ref != ballot.ballot_ref or len(secrets.answers) != len(ballot.answers):
        raise InvalidBallot("these secrets belong to another ballot")
    answers = []
    for ans, sec in zip(ballot.answers, secrets.answers, strict=True):
        item: dict[str, Any] = {"kind": ans.KIND, "values": list(sec.values),
                                "randomness": [scalar_to_json(r) for r in sec.randomness]}
        if isinstance(ans, QuadraticAnswer):
            item["square_randomness"] = [scalar_to_json(r) for r in sec.square_randomness]
        answers.append(item)
    return {"ballot_ref": ballot.ballot_ref, "tracking_code": ballot.tracking_code(), "answers": answers}


def check_audited_ballot(ballot: EncryptedBallot, reveal: object, key: ElectionKey) -> list[list[int]]:
    """Re-encrypt the revealed choices with the revealed randomness; return the choices.

    Raises :class:`InvalidBallot` on any mismatch (tracking code, reference, a ciphertext) and
    :class:`InvalidEncoding` on a malformed reveal. The proofs are checked by :func:`verify_ballot`.
    """
    obj = expect_object(reveal, {"ballot_ref", "tracking_code", "answers"}, "audit reveal")
    if obj["ballot_ref"] != ballot.ballot_ref or obj["tracking_code"] != ballot.tracking_code():
        raise InvalidBallot("audit reveal is for another ballot (reference or tracking code differ)")
    answers = expect_list(obj["answers"], "audit answers", len(ballot.answers))
    choices = []
    for q, (ans, raw) in enumerate(zip(ballot.answers, answers, strict=True)):
        quadratic = isinstance(ans, QuadraticAnswer)
        keys = {"kind", "values", "randomness"} | ({"square_randomness"} if quadratic else set())
        item = expect_object(raw, keys, f"audit answer {q}")
        if item["kind"] != ans.KIND:
            raise InvalidBallot(f"audit reveal question {q}: kind {item['kind']!r} != {ans.KIND!r}")
        cts = ans.tally_ciphertexts()
        values = expect_list(item["values"], f"question {q} values", len(cts))
        if not all(_plain_int(v) and abs(v) < 2**63 for v in values):
            raise InvalidEncoding(f"audit reveal question {q}: values must be integers")
        rs = [scalar_from_json(r) for r in expect_list(item["randomness"], f"question {q} randomness", len(cts))]
        for i, (v, r, ct) in enumerate(zip(values, rs, cts, strict=True)):
            if encrypt(key, v, r)[0] != ct:
                raise InvalidBallot(f"audited ballot question {q} option {i}: ciphertext does not "
                                    f"encrypt the revealed value {v}")
        if isinstance(ans, QuadraticAnswer):
            rs2 = [scalar_from_json(r) for r in
                   expect_list(item["square_randomness"], f"question {q} square_randomness", len(cts))]
            for i, (v, r, ct) in enumerate(zip(values, rs2, ans.squares, strict=True)):
                if encrypt(key, v * v, r)[0] != ct:
                    raise InvalidBallot(f"audited ballot question {q} option {i}: square ciphertext "
                                        f"does not encrypt {v * v}")
        choices.append(list(values))
    return choices
