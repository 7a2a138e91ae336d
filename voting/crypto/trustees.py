"""k-of-n threshold ElGamal: a dealerless key ceremony (Feldman VSS, as in ElectionGuard) and
threshold decryption with Chaum–Pedersen proofs. No secret key is ever reassembled.

Ceremony (all messages are public, JSON-able, and signed with the sender's BIP-340 key):

1. every trustee i publishes an :class:`Announcement`: encryption key E_i = e_i·G with a Schnorr
   proof of knowledge of e_i, and its BIP-340 signing key;
2. every trustee i (a *dealer*) draws f_i(x) = a_i0 + a_i1·x + … + a_i,k−1·x^(k−1) and publishes a
   :class:`DealerCommitment` C_il = a_il·G, each with a Schnorr proof of knowledge of a_il, and for
   every other trustee j an :class:`EncryptedShare` of f_i(j) sealed to E_j (ECIES, see
   :func:`_share_keys`);
3. recipient j decrypts and checks f_i(j)·G == Σ_l j^l·C_il (:func:`receive_share`). If that fails,
   j publishes a :class:`Complaint` revealing the ECDH point Z = e_j·R of that one message with a
   Chaum–Pedersen (DLEQ) proof log_G E_j = log_R Z; anyone can then re-derive the keys, decrypt
   and judge (:func:`adjudicate_complaint`). The share is signed by the dealer, so a dealer cannot
   disown a bad share, and a false complaint is exposed because the share then checks out;
4. :func:`finalize_ceremony` (public) disqualifies dealers with a bad or missing commitment,
   missing or unsigned shares, equivocation, or an upheld complaint. With QUAL the remaining
   dealers: election key K = Σ_{i∈QUAL} C_i0, trustee j's share s_j = Σ_{i∈QUAL} f_i(j) (kept by j,
   :func:`derive_trustee_share`), verification key S_j = s_j·G = Σ_{i∈QUAL} Σ_l j^l·C_il
   (computable by anyone, :meth:`JointKey.verification_key`). The decrypting committee is QUAL.

Decryption of a ciphertext (alpha, beta): trustee j publishes D_j = s_j·alpha and a Chaum–Pedersen
proof (commitment form: a = w·G, b = w·alpha, u = w + c·s_j) that log_G S_j = log_alpha D_j; any k
valid shares give m·G = beta − Σ λ_j·D_j with Lagrange coefficients at 0.

Every challenge is :func:`hashing.challenge` with its own purpose string; see
``docs/crypto-trustees.md`` for exact inputs.

Known limitation (shared with ElectionGuard): Feldman DKG lets a rushing adversary bias the joint
key's distribution slightly (Gennaro et al. 1999); that does not help it decrypt.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from . import bip340
from .batch import Relation, relations_hold
from .elgamal import Ciphertext, discrete_log
from .errors import (
    CryptoError,
    InvalidEncoding,
    InvalidProof,
    InvalidShare,
    InvalidSignature,
    NotEnoughShares,
    UnknownTrustee,
)
from .group import G, N, Point, base_mult, multi_scalar_mult, random_scalar, scalar_to_bytes
from .hashing import PROTOCOL_VERSION, Encodable, challenge, encode, hash_to_scalar
from .hashing import dst as make_dst
from .keyfile import (
    ScalarSource,
    SealError,
    TrusteeSecrets,
    derive_keys,
    json_bytes,
    json_int,
    json_list,
    json_object,
    json_point,
    json_scalar,
    seal,
    unseal,
)

MAX_TRUSTEES = 255

PURPOSE_KEY_POK = "ceremony/encryption-key-pok"
PURPOSE_COEFFICIENT_POK = "ceremony/coefficient-pok"
PURPOSE_SHARE_ENCRYPTION = "ceremony/share-encryption"
PURPOSE_COMPLAINT_DLEQ = "ceremony/complaint-dleq"
PURPOSE_DECRYPTION = "decryption/partial"


class InvalidDecryptionShare(InvalidShare, InvalidProof):
    """A partial decryption whose Chaum–Pedersen proof fails: both a bad share and a bad proof."""


def deterministic_rng(seed: bytes) -> ScalarSource:
    """Reproducible nonzero scalars ``hash_to_scalar(dst("test/rng"), seed, counter)``: for test
    vectors only — real ceremonies use the default :func:`group.random_scalar`."""
    counter = 0

    def draw() -> int:
        nonlocal counter
        while True:
            counter += 1
            k = hash_to_scalar(make_dst("test/rng"), seed, counter)
            if k:
                return k

    return draw


def _signed_message(kind: str, fingerprint: bytes, *items: Encodable) -> bytes:
    """What a BIP-340 signature covers: ``encode(PROTOCOL_VERSION, "sig/" + kind, fingerprint, *items)``."""
    return encode(PROTOCOL_VERSION, f"sig/{kind}", fingerprint, *items)


def _aux(rng: ScalarSource) -> bytes:
    return scalar_to_bytes(rng())


@dataclass(frozen=True, slots=True)
class Ceremony:
    """Public parameters; ``fingerprint`` (32 bytes) names the ceremony (the election fingerprint)."""

    fingerprint: bytes
    n: int
    k: int

    def __post_init__(self) -> None:
        if not isinstance(self.fingerprint, bytes) or len(self.fingerprint) != 32:
            raise InvalidEncoding("ceremony fingerprint must be 32 bytes")
        json_int(self.n, "number of trustees n", 1, MAX_TRUSTEES)
        json_int(self.k, "threshold k", 1, self.n)

    @property
    def indices(self) -> range:
        return range(1, self.n + 1)

    def check_index(self, index: object, what: str = "trustee") -> int:
        if not isinstance(index, int) or isinstance(index, bool) or index not in self.indices:
            raise UnknownTrustee(f"{what} {index!r} is not in the committee 1..{self.n}")
        return index

    def to_json(self) -> dict[str, object]:
        return {"fingerprint": self.fingerprint.hex(), "n": self.n, "k": self.k}

    @classmethod
    def from_json(cls, data: object) -> Ceremony:
        obj = json_object(data, {"fingerprint", "n", "k"}, "ceremony")
        return cls(json_bytes(obj["fingerprint"], "fingerprint", 32), json_int(obj["n"], "n", 1, MAX_TRUSTEES),
                   json_int(obj["k"], "k", 1, MAX_TRUSTEES))


# --- Schnorr proof of knowledge (commitment form) -----------------------------------------------
@dataclass(frozen=True, slots=True)
class SchnorrProof:
    """Knowledge of x with X = x·G: commitment h = w·G, response u = w + c·x."""

    commitment: Point
    response: int

    def to_json(self) -> dict[str, object]:
        return {"commitment": self.commitment.hex(), "response": scalar_to_bytes(self.response).hex()}

    @classmethod
    def from_json(cls, data: object) -> SchnorrProof:
        obj = json_object(data, {"commitment", "response"}, "Schnorr proof")
        return cls(json_point(obj["commitment"], "proof commitment"), json_scalar(obj["response"], "response"))


def _schnorr_prove(purpose: str, fingerprint: bytes, position: Sequence[Encodable],
                   statement: Sequence[Encodable], *, secret: int, rng: ScalarSource) -> SchnorrProof:
    w = rng()
    h = base_mult(w)
    c = challenge(purpose, fingerprint, position, statement, [h])
    return SchnorrProof(h, (w + c * secret) % N)


def _schnorr_relation(purpose: str, fingerprint: bytes, position: Sequence[Encodable],
                      statement: Sequence[Encodable], *, public: Point, proof: SchnorrProof) -> Relation:
    """``u·G − c·X − h == 0`` where the statement's last item is X."""
    c = challenge(purpose, fingerprint, position, statement, [proof.commitment])
    return Relation(((proof.response, G), (-c % N, public), (N - 1, proof.commitment)))


# --- announcements ------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class Announcement:
    """A trustee's public keys for one ceremony, self-signed."""

    index: int
    encryption_key: Point
    signing_key: bytes
    proof: SchnorrProof
    signature: bytes

    def signed_message(self, ceremony: Ceremony) -> bytes:
        return _signed_message("announcement", ceremony.fingerprint, ceremony.n, ceremony.k, self.index,
                               self.encryption_key, self.signing_key, self.proof.commitment,
                               self.proof.response)

    def verify(self, ceremony: Ceremony) -> None:
        ceremony.check_index(self.index)
        rel = _schnorr_relation(PURPOSE_KEY_POK, ceremony.fingerprint, [self.index],
                                [ceremony.n, ceremony.k, self.signing_key, self.encryption_key],
                                public=self.encryption_key, proof=self.proof)
        if not rel.holds():
            raise InvalidProof(f"trustee {self.index}: proof of knowledge of the encryption key fails")
        try:
            bip340.verify(self.signing_key, self.signed_message(ceremony), self.signature)
        except InvalidSignature as exc:
            raise InvalidSignature(f"trustee {self.index}: announcement signature: {exc}") from exc

    def to_json(self) -> dict[str, object]:
        return {"index": self.index, "encryption_key": self.encryption_key.hex(),
                "signing_key": self.signing_key.hex(), "proof": self.proof.to_json(),
                "signature": self.signature.hex()}

    @classmethod
    def from_json(cls, data: object) -> Announcement:
        obj = json_object(data, {"index", "encryption_key", "signing_key", "proof", "signature"}, "announcement")
        return cls(json_int(obj["index"], "trustee index", 1, MAX_TRUSTEES),
                   json_point(obj["encryption_key"], "encryption key"),
                   json_bytes(obj["signing_key"], "signing key", 32), SchnorrProof.from_json(obj["proof"]),
                   json_bytes(obj["signature"], "signature", 64))


def announce(ceremony: Ceremony, secrets: TrusteeSecrets, *, rng: ScalarSource = random_scalar) -> Announcement:
    ceremony.check_index(secrets.index)
    enc_key = secrets.encryption_key
    signing_key = bip340.pubkey_from_secret(secrets.signing_secret)
    proof = _schnorr_prove(PURPOSE_KEY_POK, ceremony.fingerprint, [secrets.index],
                           [ceremony.n, ceremony.k, signing_key, enc_key], secret=secrets.encryption_secret, rng=rng)
    unsigned = Announcement(secrets.index, enc_key, signing_key, proof, b"")
    sig = bip340.sign(secrets.signing_secret, unsigned.signed_message(ceremony), _aux(rng))
    return Announcement(secrets.index, enc_key, signing_key, proof, sig)


Roster = Mapping[int, Announcement]


def roster_entry(roster: Roster, index: int) -> Announcement:
    """The announcement of trustee ``index``; :class:`UnknownTrustee` if the roster has none."""
    try:
        return roster[index]
    except KeyError:
        raise UnknownTrustee(f"trustee {index} is not on the roster") from None


def check_roster(ceremony: Ceremony, announcements: Sequence[Announcement]) -> dict[int, Announcement]:
    """Exactly one valid announcement per trustee 1..n, with distinct keys."""
    roster: dict[int, Announcement] = {}
    for ann in announcements:
        ann.verify(ceremony)
        if ann.index in roster:
            raise InvalidEncoding(f"trustee {ann.index} announced twice")
        roster[ann.index] = ann
    missing = [i for i in ceremony.indices if i not in roster]
    if missing:
        raise NotEnoughShares(f"no announcement from trustee(s) {missing}")
    if len({a.encryption_key for a in roster.values()}) != ceremony.n or \
            len({a.signing_key for a in roster.values()}) != ceremony.n:
        raise InvalidEncoding("two trustees announced the same key")
    return roster


# --- dealing ------------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class DealerCommitment:
    """Feldman commitments C_l = a_l·G (l = 0..k−1) with one Schnorr PoK each, signed by the dealer."""

    dealer: int
    coefficients: tuple[Point, ...]
    proofs: tuple[SchnorrProof, ...]
    signature: bytes

    def signed_message(self, ceremony: Ceremony) -> bytes:
        return _signed_message("commitment", ceremony.fingerprint, self.dealer, list(self.coefficients),
                               [[p.commitment, p.response] for p in self.proofs])

    def relations(self, ceremony: Ceremony) -> list[Relation]:
        ceremony.check_index(self.dealer, "dealer")
        if len(self.coefficients) != ceremony.k or len(self.proofs) != ceremony.k:
            raise InvalidProof(f"dealer {self.dealer}: expected {ceremony.k} commitments and proofs")
        return [_schnorr_relation(PURPOSE_COEFFICIENT_POK, ceremony.fingerprint, [self.dealer, idx],
                                  [ceremony.n, ceremony.k, coeff], public=coeff, proof=proof)
                for idx, (coeff, proof) in enumerate(zip(self.coefficients, self.proofs, strict=True))]

    def verify(self, ceremony: Ceremony, roster: Roster) -> None:
        """Signature by the dealer's announced key, then every coefficient's proof of knowledge."""
        rels = self.relations(ceremony)
        try:
            bip340.verify(roster_entry(roster, self.dealer).signing_key, self.signed_message(ceremony), self.signature)
        except InvalidSignature as exc:
            raise InvalidSignature(f"dealer {self.dealer}: commitment signature: {exc}") from exc
        if not relations_hold(rels):
            bad = [i for i, rel in enumerate(rels) if not rel.holds()]
            raise InvalidProof(f"dealer {self.dealer}: proof of knowledge fails for coefficient(s) {bad}")

    def share_point(self, recipient: int) -> Point:
        """f(recipient)·G = Σ_l recipient^l·C_l."""
        return multi_scalar_mult([pow(recipient, idx, N) for idx in range(len(self.coefficients))],
                                 list(self.coefficients))

    def to_json(self) -> dict[str, object]:
        return {"dealer": self.dealer, "coefficients": [c.hex() for c in self.coefficients],
                "proofs": [p.to_json() for p in self.proofs], "signature": self.signature.hex()}

    @classmethod
    def from_json(cls, data: object) -> DealerCommitment:
        obj = json_object(data, {"dealer", "coefficients", "proofs", "signature"}, "dealer commitment")
        coeffs = tuple(json_point(c, "coefficient commitment")
                       for c in json_list(obj["coefficients"], "coefficients"))
        proofs = tuple(SchnorrProof.from_json(p) for p in json_list(obj["proofs"], "proofs"))
        if not coeffs or len(coeffs) != len(proofs):
            raise InvalidEncoding("dealer commitment needs as many proofs as coefficients (at least one)")
        return cls(json_int(obj["dealer"], "dealer", 1, MAX_TRUSTEES), coeffs, proofs,
                   json_bytes(obj["signature"], "signature", 64))


@dataclass(frozen=True, slots=True)
class EncryptedShare:
    """f_dealer(recipient) sealed to the recipient's encryption key, signed by the dealer."""

    dealer: int
    recipient: int
    ephemeral: Point
    ciphertext: bytes
    tag: bytes
    signature: bytes

    def signed_message(self, ceremony: Ceremony) -> bytes:
        return _signed_message("encrypted-share", ceremony.fingerprint, self.dealer, self.recipient,
                               self.ephemeral, self.ciphertext, self.tag)

    def verify_signature(self, ceremony: Ceremony, roster: Roster) -> None:
        ceremony.check_index(self.dealer, "dealer")
        ceremony.check_index(self.recipient, "recipient")
        if self.dealer == self.recipient:
            raise InvalidEncoding(f"dealer {self.dealer} cannot send a share to itself")
        try:
            bip340.verify(roster_entry(roster, self.dealer).signing_key, self.signed_message(ceremony), self.signature)
        except InvalidSignature as exc:
            raise InvalidSignature(f"encrypted share {self.dealer}->{self.recipient}: {exc}") from exc

    def to_json(self) -> dict[str, object]:
        return {"dealer": self.dealer, "recipient": self.recipient, "ephemeral": self.ephemeral.hex(),
                "ciphertext": self.ciphertext.hex(), "tag": self.tag.hex(), "signature": self.signature.hex()}

    @classmethod
    def from_json(cls, data: object) -> EncryptedShare:
        obj = json_object(data, {"dealer", "recipient", "ephemeral", "ciphertext", "tag", "signature"},
                          "encrypted share")
        return cls(json_int(obj["dealer"], "dealer", 1, MAX_TRUSTEES),
                   json_int(obj["recipient"], "recipient", 1, MAX_TRUSTEES),
                   json_point(obj["ephemeral"], "ephemeral key"), json_bytes(obj["ciphertext"], "ciphertext", 32),
                   json_bytes(obj["tag"], "tag", 32), json_bytes(obj["signature"], "signature", 64))


def _share_keys(ceremony: Ceremony, dealer: int, recipient: int, *, ephemeral: Point, recipient_key: Point,
                shared: Point) -> bytes:
    """ECIES keys: ``expand_message_xmd(encode(Z, R, E_j, fingerprint, i, j), dst(share-encryption), 64)``."""
    return derive_keys(encode(shared, ephemeral, recipient_key, ceremony.fingerprint, dealer, recipient),
                       PURPOSE_SHARE_ENCRYPTION)


def _share_aad(ceremony: Ceremony, dealer: int, recipient: int) -> bytes:
    return encode("share", ceremony.fingerprint, dealer, recipient)


def evaluate_polynomial(coeffs: Sequence[int], x: int) -> int:
    acc = 0
    for a in reversed(coeffs):
        acc = (acc * x + a) % N
    return acc


def encrypt_share(ceremony: Ceremony, secrets: TrusteeSecrets, roster: Roster, recipient: int, *, value: int,
                  rng: ScalarSource = random_scalar) -> EncryptedShare:
    """Seal the scalar ``value`` for ``recipient`` and sign it (a dealer normally sends f(recipient))."""
    r = rng()
    ephemeral = base_mult(r)
    recipient_key = roster_entry(roster, recipient).encryption_key
    keys = _share_keys(ceremony, secrets.index, recipient, ephemeral=ephemeral, recipient_key=recipient_key,
                       shared=recipient_key * r)
    ciphertext, tag = seal(keys, scalar_to_bytes(value), _share_aad(ceremony, secrets.index, recipient))
    unsigned = EncryptedShare(secrets.index, recipient, ephemeral, ciphertext, tag, b"")
    sig = bip340.sign(secrets.signing_secret, unsigned.signed_message(ceremony), _aux(rng))
    return EncryptedShare(secrets.index, recipient, ephemeral, ciphertext, tag, sig)


@dataclass(frozen=True, slots=True)
class Dealing:
    secrets: TrusteeSecrets  # the dealer's key material with its polynomial: save it
    commitment: DealerCommitment
    shares: tuple[EncryptedShare, ...]


def deal(ceremony: Ceremony, secrets: TrusteeSecrets, roster: Roster,
         *, rng: ScalarSource = random_scalar) -> Dealing:
    """Draw (or, on a re-run for the same ceremony, reuse) the polynomial; commit and encrypt shares."""
    ceremony.check_index(secrets.index)
    if secrets.fingerprint == ceremony.fingerprint and len(secrets.polynomial) == ceremony.k:
        poly = secrets.polynomial
    else:
        poly = tuple(rng() for _ in range(ceremony.k))
    coeffs = tuple(base_mult(a) for a in poly)
    proofs = tuple(_schnorr_prove(PURPOSE_COEFFICIENT_POK, ceremony.fingerprint, [secrets.index, idx],
                                  [ceremony.n, ceremony.k, coeffs[idx]], secret=a, rng=rng)
                   for idx, a in enumerate(poly))
    unsigned = DealerCommitment(secrets.index, coeffs, proofs, b"")
    commitment = DealerCommitment(secrets.index, coeffs, proofs,
                                  bip340.sign(secrets.signing_secret, unsigned.signed_message(ceremony), _aux(rng)))
    shares = tuple(encrypt_share(ceremony, secrets, roster, j, value=evaluate_polynomial(poly, j), rng=rng)
                   for j in ceremony.indices if j != secrets.index)
    return Dealing(secrets.with_polynomial(ceremony.fingerprint, poly), commitment, shares)


def _open_share(ceremony: Ceremony, commitment: DealerCommitment, encrypted: EncryptedShare, keys: bytes) -> int:
    """Decrypt with the derived keys and check against the commitments; InvalidShare says why not."""
    who = f"share from dealer {encrypted.dealer} to trustee {encrypted.recipient}"
    try:
        plaintext = unseal(keys, encrypted.ciphertext, encrypted.tag,
                           _share_aad(ceremony, encrypted.dealer, encrypted.recipient))
    except SealError as exc:
        raise InvalidShare(f"{who} does not decrypt (authentication tag fails)") from exc
    value = int.from_bytes(plaintext, "big")
    if value >= N:
        raise InvalidShare(f"{who} is not a scalar below n")
    if base_mult(value) != commitment.share_point(encrypted.recipient):
        raise InvalidShare(f"{who} does not match the dealer's commitments")
    return value


def receive_share(ceremony: Ceremony, secrets: TrusteeSecrets, roster: Roster, commitment: DealerCommitment,
                  encrypted: EncryptedShare) -> int:
    """Decrypt and check a share addressed to us. On :class:`InvalidShare`, publish :func:`complain`."""
    if encrypted.recipient != secrets.index or commitment.dealer != encrypted.dealer:
        raise InvalidEncoding("share is not addressed to this trustee or does not match the commitment")
    encrypted.verify_signature(ceremony, roster)
    commitment.verify(ceremony, roster)
    shared = encrypted.ephemeral * secrets.encryption_secret
    keys = _share_keys(ceremony, encrypted.dealer, encrypted.recipient, ephemeral=encrypted.ephemeral,
                       recipient_key=secrets.encryption_key, shared=shared)
    return _open_share(ceremony, commitment, encrypted, keys)


def collect_shares(ceremony: Ceremony, secrets: TrusteeSecrets, roster: Roster,
                   commitments: Sequence[DealerCommitment], shares: Sequence[EncryptedShare],
                   *, rng: ScalarSource = random_scalar) -> tuple[dict[int, int], list[Complaint]]:
    """Trustee side of step 3: every valid share addressed to us, and a complaint for every bad one.

    Shares with a bad dealer signature, and dealers whose commitment does not verify, are skipped:
    :func:`finalize_ceremony` disqualifies such dealers without anyone having to complain.
    """
    by_dealer: dict[int, DealerCommitment] = {}
    for com in commitments:
        try:
            com.verify(ceremony, roster)
        except CryptoError:
            continue  # finalize_ceremony disqualifies this dealer; its shares do not matter
        by_dealer.setdefault(com.dealer, com)
    received: dict[int, int] = {}
    complaints: list[Complaint] = []
    for sh in shares:
        if sh.recipient != secrets.index or sh.dealer not in by_dealer:
            continue
        try:
            sh.verify_signature(ceremony, roster)
        except CryptoError:
            continue
        try:
            received[sh.dealer] = receive_share(ceremony, secrets, roster, by_dealer[sh.dealer], sh)
        except InvalidShare:
            complaints.append(complain(ceremony, secrets, roster, sh, rng=rng))
    return received, complaints


# --- complaints ---------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class Complaint:
    """Recipient reveals Z = e_j·R for one encrypted share, with a DLEQ proof log_G E_j = log_R Z."""

    dealer: int
    recipient: int
    shared_point: Point
    proof_a: Point  # w·G
    proof_b: Point  # w·R
    response: int  # w + c·e_j
    signature: bytes

    def _statement(self, ceremony: Ceremony, roster: Roster, encrypted: EncryptedShare) -> list[Encodable]:
        return [roster_entry(roster, self.recipient).encryption_key, encrypted.ephemeral, self.shared_point,
                encrypted.ciphertext, encrypted.tag]

    def signed_message(self, ceremony: Ceremony) -> bytes:
        return _signed_message("complaint", ceremony.fingerprint, self.dealer, self.recipient, self.shared_point,
                               self.proof_a, self.proof_b, self.response)

    def relations(self, ceremony: Ceremony, roster: Roster, encrypted: EncryptedShare) -> list[Relation]:
        c = challenge(PURPOSE_COMPLAINT_DLEQ, ceremony.fingerprint, [self.dealer, self.recipient],
                      self._statement(ceremony, roster, encrypted), [self.proof_a, self.proof_b])
        key = roster_entry(roster, self.recipient).encryption_key
        return [Relation(((self.response, G), (-c % N, key), (N - 1, self.proof_a))),
                Relation(((self.response, encrypted.ephemeral), (-c % N, self.shared_point),
                          (N - 1, self.proof_b)))]

    def to_json(self) -> dict[str, object]:
        return {"dealer": self.dealer, "recipient": self.recipient, "shared_point": self.shared_point.hex(),
                "proof": {"a": self.proof_a.hex(), "b": self.proof_b.hex(),
                          "response": scalar_to_bytes(self.response).hex()},
                "signature": self.signature.hex()}

    @classmethod
    def from_json(cls, data: object) -> Complaint:
        obj = json_object(data, {"dealer", "recipient", "shared_point", "proof", "signature"}, "complaint")
        proof = json_object(obj["proof"], {"a", "b", "response"}, "complaint proof")
        return cls(json_int(obj["dealer"], "dealer", 1, MAX_TRUSTEES),
                   json_int(obj["recipient"], "recipient", 1, MAX_TRUSTEES),
                   json_point(obj["shared_point"], "shared point"), json_point(proof["a"], "proof a"),
                   json_point(proof["b"], "proof b"), json_scalar(proof["response"], "proof response"),
                   json_bytes(obj["signature"], "signature", 64))


def complain(ceremony: Ceremony, secrets: TrusteeSecrets, roster: Roster, encrypted: EncryptedShare,
             *, rng: ScalarSource = random_scalar) -> Complaint:
    if encrypted.recipient != secrets.index:
        raise InvalidEncoding("one can only complain about a share addressed to oneself")
    e = secrets.encryption_secret
    shared = encrypted.ephemeral * e
    w = rng()
    a, b = base_mult(w), encrypted.ephemeral * w
    draft = Complaint(encrypted.dealer, secrets.index, shared, a, b, 0, b"")
    c = challenge(PURPOSE_COMPLAINT_DLEQ, ceremony.fingerprint, [encrypted.dealer, secrets.index],
                  draft._statement(ceremony, roster, encrypted), [a, b])
    unsigned = Complaint(encrypted.dealer, secrets.index, shared, a, b, (w + c * e) % N, b"")
    sig = bip340.sign(secrets.signing_secret, unsigned.signed_message(ceremony), _aux(rng))
    return Complaint(encrypted.dealer, secrets.index, shared, a, b, unsigned.response, sig)


@dataclass(frozen=True, slots=True)
class Verdict:
    dealer: int
    recipient: int
    dealer_at_fault: bool
    reason: str


def adjudicate_complaint(ceremony: Ceremony, roster: Roster, commitment: DealerCommitment,
                         encrypted: EncryptedShare, complaint: Complaint) -> Verdict:
    """Anyone's judgement of a complaint. Raises if the complaint itself is invalid (bad signature or
    DLEQ proof, or about another message); otherwise says whether the dealer sent a bad share."""
    if (complaint.dealer, complaint.recipient) != (encrypted.dealer, encrypted.recipient) \
            or commitment.dealer != encrypted.dealer:
        raise InvalidEncoding("complaint, encrypted share and commitment are about different trustees")
    encrypted.verify_signature(ceremony, roster)
    try:
        bip340.verify(roster_entry(roster, complaint.recipient).signing_key, complaint.signed_message(ceremony),
                      complaint.signature)
    except InvalidSignature as exc:
        raise InvalidSignature(f"complaint of trustee {complaint.recipient}: {exc}") from exc
    if not relations_hold(complaint.relations(ceremony, roster, encrypted)):
        raise InvalidProof(f"complaint of trustee {complaint.recipient} against dealer {complaint.dealer}: "
                           "the revealed ECDH point's proof fails")
    keys = _share_keys(ceremony, encrypted.dealer, encrypted.recipient, ephemeral=encrypted.ephemeral,
                       recipient_key=roster_entry(roster, encrypted.recipient).encryption_key,
                       shared=complaint.shared_point)
    try:
        commitment.relations(ceremony)
        _open_share(ceremony, commitment, encrypted, keys)
    except (InvalidShare, InvalidProof) as exc:
        return Verdict(encrypted.dealer, encrypted.recipient, True, str(exc))
    return Verdict(encrypted.dealer, encrypted.recipient, False,
                   f"share from dealer {encrypted.dealer} to trustee {encrypted.recipient} is valid")


# --- the outcome of the ceremony ----------------------------------------------------------------
@dataclass(frozen=True)
class JointKey:
    """Public outcome: qualified dealers' commitments (the committee), from which K and S_j follow."""

    ceremony: Ceremony
    commitments: Mapping[int, tuple[Point, ...]]
    disqualified: Mapping[int, str] = field(default_factory=dict)
    _vk_cache: dict[int, Point] = field(default_factory=dict, init=False, compare=False, repr=False)

    def __post_init__(self) -> None:
        for dealer, coeffs in self.commitments.items():
            self.ceremony.check_index(dealer, "dealer")
            if len(coeffs) != self.ceremony.k:
                raise InvalidEncoding(f"dealer {dealer}: expected {self.ceremony.k} commitments")
        if len(self.commitments) < self.ceremony.k:
            raise NotEnoughShares(f"only {len(self.commitments)} qualified trustees; k = {self.ceremony.k}")
        if set(self.commitments) & set(self.disqualified):
            raise InvalidEncoding("a trustee cannot be both qualified and disqualified")

    @property
    def committee(self) -> tuple[int, ...]:
        return tuple(sorted(self.commitments))

    def election_key(self) -> Point:
        """K = Σ_{i∈QUAL} C_i0."""
        acc = self.commitments[self.committee[0]][0]
        for dealer in self.committee[1:]:
            acc = acc + self.commitments[dealer][0]
        return acc

    def verification_key(self, trustee: int) -> Point:
        """S_j = Σ_{i∈QUAL} Σ_l j^l·C_il; raises :class:`UnknownTrustee` outside the committee."""
        if trustee not in self.commitments:
            self.ceremony.check_index(trustee)
            raise UnknownTrustee(f"trustee {trustee} is not in the decrypting committee "
                                 f"({self.disqualified.get(trustee, 'not qualified')})")
        if trustee not in self._vk_cache:
            powers = [pow(trustee, idx, N) for idx in range(self.ceremony.k)]
            scalars = [p for _ in self.committee for p in powers]
            points = [c for dealer in self.committee for c in self.commitments[dealer]]
            self._vk_cache[trustee] = multi_scalar_mult(scalars, points)
        return self._vk_cache[trustee]

    def to_json(self) -> dict[str, object]:
        return {"ceremony": self.ceremony.to_json(),
                "commitments": {str(d): [c.hex() for c in self.commitments[d]] for d in self.committee},
                "disqualified": {str(d): r for d, r in sorted(self.disqualified.items())}}

    @classmethod
    def from_json(cls, data: object) -> JointKey:
        obj = json_object(data, {"ceremony", "commitments", "disqualified"}, "joint key")
        ceremony = Ceremony.from_json(obj["ceremony"])
        comm, disq = obj["commitments"], obj["disqualified"]
        if not isinstance(comm, dict) or not isinstance(disq, dict):
            raise InvalidEncoding("joint key commitments and disqualified must be objects")
        commitments = {_index_key(d, ceremony): tuple(json_point(c, "commitment")
                                                      for c in json_list(v, "commitments"))
                       for d, v in comm.items()}
        if not all(isinstance(r, str) for r in disq.values()):
            raise InvalidEncoding("disqualification reasons must be strings")
        disqualified = {_index_key(d, ceremony): str(r) for d, r in disq.items()}
        return cls(ceremony, commitments, disqualified)


def _index_key(text: object, ceremony: Ceremony) -> int:
    if not isinstance(text, str) or not text.isdigit():
        raise InvalidEncoding("trustee keys must be decimal strings")
    return ceremony.check_index(int(text))


def finalize_ceremony(ceremony: Ceremony, roster: Roster, commitments: Sequence[DealerCommitment],
                      shares: Sequence[EncryptedShare], complaints: Sequence[Complaint] = ()) -> JointKey:
    """Public: judge everything posted and return the joint key of the qualified dealers."""
    if set(roster) != set(ceremony.indices):
        raise NotEnoughShares("the roster must hold an announcement of every trustee 1..n")
    reasons: dict[int, str] = {}
    by_dealer: dict[int, DealerCommitment] = {}
    for com in commitments:
        ceremony.check_index(com.dealer, "dealer")
        if com.dealer in by_dealer and by_dealer[com.dealer] != com:
            reasons.setdefault(com.dealer, "published two different commitments")
        by_dealer.setdefault(com.dealer, com)
    for dealer, com in by_dealer.items():
        try:
            com.verify(ceremony, roster)
        except CryptoError as exc:
            reasons.setdefault(dealer, f"invalid commitment: {exc}")
    share_map: dict[tuple[int, int], EncryptedShare] = {}
    for sh in shares:
        try:
            sh.verify_signature(ceremony, roster)
        except CryptoError:
            continue  # not attributable to the dealer: as if it had not been posted
        key = (sh.dealer, sh.recipient)
        if key in share_map and share_map[key] != sh:
            reasons.setdefault(sh.dealer, f"sent two different shares to trustee {sh.recipient}")
        share_map.setdefault(key, sh)
    for dealer in ceremony.indices:
        if dealer not in by_dealer:
            reasons.setdefault(dealer, "no commitment")
        missing = [j for j in ceremony.indices if j != dealer and (dealer, j) not in share_map]
        if missing:
            reasons.setdefault(dealer, f"no signed share for trustee(s) {missing}")
    for complaint in complaints:
        key = (complaint.dealer, complaint.recipient)
        if complaint.dealer not in by_dealer or key not in share_map:
            continue
        try:
            verdict = adjudicate_complaint(ceremony, roster, by_dealer[complaint.dealer], share_map[key], complaint)
        except CryptoError:
            continue  # an invalid complaint accuses nobody
        if verdict.dealer_at_fault:
            reasons.setdefault(complaint.dealer, f"upheld complaint of trustee {complaint.recipient}: "
                               f"{verdict.reason}")
    qualified = {d: by_dealer[d].coefficients for d in ceremony.indices if d not in reasons}
    if len(qualified) < ceremony.k:
        raise NotEnoughShares(f"only {len(qualified)} of {ceremony.n} trustees qualified; k = {ceremony.k}: "
                              + "; ".join(f"{d}: {r}" for d, r in sorted(reasons.items())))
    return JointKey(ceremony, qualified, reasons)


def derive_trustee_share(joint_key: JointKey, secrets: TrusteeSecrets, received: Mapping[int, int]) -> TrusteeSecrets:
    """s_j = Σ_{i∈QUAL} f_i(j) from the checked shares received (plus one's own f_j(j) if qualified)."""
    j = secrets.index
    joint_key.verification_key(j)  # raises UnknownTrustee outside the committee
    total = 0
    for dealer in joint_key.committee:
        if dealer == j:
            if secrets.fingerprint != joint_key.ceremony.fingerprint or not secrets.polynomial:
                raise InvalidShare(f"trustee {j}: key material has no polynomial for this ceremony")
            total += evaluate_polynomial(secrets.polynomial, j)
        elif dealer in received:
            total += received[dealer]
        else:
            raise InvalidShare(f"trustee {j}: no share received from qualified dealer {dealer}")
    total %= N
    if base_mult(total) != joint_key.verification_key(j):
        raise InvalidShare(f"trustee {j}: derived share does not match its verification key")
    return secrets.with_share(total)


# --- threshold decryption -----------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class DecryptionShare:
    """D = s_j·alpha with a Chaum–Pedersen proof (a = w·G, b = w·alpha, u = w + c·s_j)."""

    trustee: int
    share: Point
    proof_a: Point
    proof_b: Point
    response: int

    def to_json(self) -> dict[str, object]:
        return {"trustee": self.trustee, "share": self.share.hex(),
                "proof": {"a": self.proof_a.hex(), "b": self.proof_b.hex(),
                          "response": scalar_to_bytes(self.response).hex()}}

    @classmethod
    def from_json(cls, data: object) -> DecryptionShare:
        obj = json_object(data, {"trustee", "share", "proof"}, "decryption share")
        proof = json_object(obj["proof"], {"a", "b", "response"}, "decryption proof")
        return cls(json_int(obj["trustee"], "trustee", 1, MAX_TRUSTEES), json_point(obj["share"], "share"),
                   json_point(proof["a"], "proof a"), json_point(proof["b"], "proof b"),
                   json_scalar(proof["response"], "proof response"))


def _decryption_challenge(joint_key: JointKey, trustee: int, position: Sequence[Encodable], ct: Ciphertext,
                          *, vk: Point, share: Point, a: Point, b: Point) -> int:
    return challenge(PURPOSE_DECRYPTION, joint_key.ceremony.fingerprint, [trustee, *position],
                     [ct.alpha, ct.beta, vk, share], [a, b])


def partial_decrypt(joint_key: JointKey, secrets: TrusteeSecrets, ct: Ciphertext,
                    position: Sequence[Encodable] = (), *, rng: ScalarSource = random_scalar) -> DecryptionShare:
    """Trustee j's share of the decryption of ``ct`` (``position`` names it, e.g. [question, option])."""
    j = secrets.index
    vk = joint_key.verification_key(j)
    if secrets.share is None or secrets.fingerprint != joint_key.ceremony.fingerprint:
        raise InvalidShare(f"trustee {j}: key material holds no share for this ceremony")
    if ct.alpha.is_identity:
        raise InvalidEncoding("ciphertext has alpha = identity (e.g. an empty tally): it needs no decryption, "
                              "its plaintext point is beta")
    d = ct.alpha * secrets.share
    w = rng()
    a, b = base_mult(w), ct.alpha * w
    c = _decryption_challenge(joint_key, j, position, ct, vk=vk, share=d, a=a, b=b)
    return DecryptionShare(j, d, a, b, (w + c * secrets.share) % N)


def decryption_share_relations(joint_key: JointKey, ct: Ciphertext, share: DecryptionShare,
                               position: Sequence[Encodable] = ()) -> tuple[Relation, Relation]:
    """``u·G − c·S_j − a == 0`` and ``u·alpha − c·D_j − b == 0`` (for :class:`batch.BatchVerifier`)."""
    vk = joint_key.verification_key(share.trustee)
    c = _decryption_challenge(joint_key, share.trustee, position, ct, vk=vk, share=share.share,
                              a=share.proof_a, b=share.proof_b)
    return (Relation(((share.response, G), (-c % N, vk), (N - 1, share.proof_a))),
            Relation(((share.response, ct.alpha), (-c % N, share.share), (N - 1, share.proof_b))))


def verify_decryption_share(joint_key: JointKey, ct: Ciphertext, share: DecryptionShare,
                            position: Sequence[Encodable] = ()) -> None:
    if not relations_hold(decryption_share_relations(joint_key, ct, share, position)):
        raise InvalidDecryptionShare(f"decryption share of trustee {share.trustee} does not verify "
                                     "(wrong share, or proof for another ciphertext or trustee)")


def lagrange_at_zero(trustee: int, subset: Sequence[int]) -> int:
    num, den = 1, 1
    for m in subset:
        if m != trustee:
            num = num * m % N
            den = den * (m - trustee) % N
    return num * pow(den, -1, N) % N


def combine_decryption_shares(joint_key: JointKey, ct: Ciphertext, shares: Sequence[DecryptionShare], *,
                              bound: int, lower: int = 0, position: Sequence[Encodable] = (),
                              verified: bool = False) -> int:
    """The plaintext m in [lower, bound] of ``ct`` from at least k shares (each checked unless
    ``verified``, e.g. after a batch verification); uses the k lowest trustee indices given."""
    seen: dict[int, DecryptionShare] = {}
    for sh in shares:
        joint_key.verification_key(sh.trustee)  # UnknownTrustee outside the committee
        if sh.trustee in seen:
            raise InvalidShare(f"two decryption shares from trustee {sh.trustee}")
        seen[sh.trustee] = sh
    k = joint_key.ceremony.k
    if len(seen) < k:
        raise NotEnoughShares(f"{len(seen)} decryption share(s) given; {k} needed")
    if not verified:
        for j in sorted(seen):
            verify_decryption_share(joint_key, ct, seen[j], position)
    subset = sorted(seen)[:k]
    lambdas = [lagrange_at_zero(j, subset) for j in subset]
    combined = multi_scalar_mult(lambdas, [seen[j].share for j in subset])
    return discrete_log(ct.beta - combined, bound, lower=lower)


def partial_decrypt_tally(joint_key: JointKey, secrets: TrusteeSecrets, cts: Sequence[Ciphertext],
                          *, rng: ScalarSource = random_scalar) -> list[DecryptionShare]:
    """Shares for a tally: ciphertext i gets position [i]."""
    return [partial_decrypt(joint_key, secrets, ct, [i], rng=rng) for i, ct in enumerate(cts)]


def combine_tally(joint_key: JointKey, cts: Sequence[Ciphertext],
                  shares_by_trustee: Mapping[int, Sequence[DecryptionShare]], *, bound: int, lower: int = 0,
                  verified: bool = False) -> list[int]:
    """Totals of a tally from per-trustee share lists (as made by :func:`partial_decrypt_tally`)."""
    for trustee, lst in shares_by_trustee.items():
        if len(lst) != len(cts):
            raise InvalidEncoding(f"trustee {trustee}: {len(lst)} shares for {len(cts)} ciphertexts")
        if any(sh.trustee != trustee for sh in lst):
            raise InvalidEncoding(f"trustee {trustee}: share list holds another trustee's shares")
    return [combine_decryption_shares(joint_key, ct, [lst[i] for lst in shares_by_trustee.values()],
                                      bound=bound, lower=lower, position=[i], verified=verified)
            for i, ct in enumerate(cts)]
