"""Threshold ElGamal: dealerless ceremony, complaints, threshold decryption, key files.

No mocks: every ceremony is run for real with the module's own functions; dishonest trustees are
simulated by calling the same primitives with wrong values.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from functools import cache

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from voting.crypto import bip340
from voting.crypto import trustees as tr
from voting.crypto.batch import BatchVerifier
from voting.crypto.elgamal import Ciphertext, ElectionKey, encrypt, sum_ciphertexts
from voting.crypto.errors import (
    InvalidEncoding,
    InvalidPoint,
    InvalidProof,
    InvalidScalar,
    InvalidShare,
    InvalidSignature,
    NotEnoughShares,
    UnknownTrustee,
)
from voting.crypto.group import G, N, base_mult
from voting.crypto.keyfile import (
    CorruptKeyFile,
    ScalarSource,
    TrusteeSecrets,
    WrongPassphrase,
    dump_keyfile,
    generate_trustee,
    load_keyfile,
)

FINGERPRINT = hashlib.sha256(b"dataguild test election").digest()


@dataclasses.dataclass(frozen=True)
class Run:
    ceremony: tr.Ceremony
    roster: dict[int, tr.Announcement]
    dealt: tuple[TrusteeSecrets, ...]  # after dealing, before shares are derived
    commitments: tuple[tr.DealerCommitment, ...]
    shares: tuple[tr.EncryptedShare, ...]
    joint: tr.JointKey
    trustees: tuple[TrusteeSecrets, ...]  # with derived shares (committee members only)

    def by_index(self, index: int) -> TrusteeSecrets:
        return next(t for t in self.trustees if t.index == index)

    def commitment_of(self, dealer: int) -> tr.DealerCommitment:
        return next(c for c in self.commitments if c.dealer == dealer)

    def share(self, dealer: int, recipient: int) -> tr.EncryptedShare:
        return next(s for s in self.shares if (s.dealer, s.recipient) == (dealer, recipient))


def setup_ceremony(k: int, n: int, seed: bytes) -> tuple[tr.Ceremony, dict[int, tr.Announcement],
                                                         list[TrusteeSecrets], ScalarSource]:
    rng = tr.deterministic_rng(seed)
    ceremony = tr.Ceremony(FINGERPRINT, n, k)
    keys = [generate_trustee(i, rng) for i in ceremony.indices]
    roster = tr.check_roster(ceremony, [tr.announce(ceremony, t, rng=rng) for t in keys])
    return ceremony, roster, keys, rng


def finish(ceremony: tr.Ceremony, roster: dict[int, tr.Announcement], dealt: list[TrusteeSecrets],
           commitments: list[tr.DealerCommitment], shares: list[tr.EncryptedShare], *, rng: ScalarSource) -> Run:
    complaints = []
    collected = {}
    for t in dealt:
        received, theirs = tr.collect_shares(ceremony, t, roster, commitments, shares, rng=rng)
        collected[t.index] = received
        complaints += theirs
    joint = tr.finalize_ceremony(ceremony, roster, commitments, shares, complaints)
    final = tuple(tr.derive_trustee_share(joint, t, collected[t.index]) for t in dealt
                  if t.index in joint.committee)
    return Run(ceremony, roster, tuple(dealt), tuple(commitments), tuple(shares), joint, final)


@cache
def honest_run(k: int, n: int) -> Run:
    ceremony, roster, keys, rng = setup_ceremony(k, n, b"honest" + bytes([k, n]))
    dealings = [tr.deal(ceremony, t, roster, rng=rng) for t in keys]
    return finish(ceremony, roster, [d.secrets for d in dealings], [d.commitment for d in dealings],
                  [s for d in dealings for s in d.shares], rng=rng)


def tally_of(run: Run, votes: list[list[int]]) -> list[Ciphertext]:
    key = ElectionKey(run.joint.election_key())
    options = len(votes[0])
    return [sum_ciphertexts([encrypt(key, v[o])[0] for v in votes]) for o in range(options)]


# --- the central property -----------------------------------------------------------------
@settings(max_examples=25, deadline=None)
@given(data=st.data(), kn=st.tuples(st.integers(1, 5), st.integers(1, 5)).filter(lambda t: t[0] <= t[1]),
       votes=st.lists(st.lists(st.integers(0, 1), min_size=3, max_size=3), min_size=1, max_size=6))
def test_threshold_decryption_of_sum_equals_sum_of_votes(data: st.DataObject, kn: tuple[int, int],
                                                         votes: list[list[int]]) -> None:
    k, n = kn
    run = honest_run(k, n)
    subset = data.draw(st.lists(st.sampled_from(run.joint.committee), min_size=k, max_size=n, unique=True))
    cts = tally_of(run, votes)
    shares = {j: tr.partial_decrypt_tally(run.joint, run.by_index(j), cts) for j in subset}
    batch = BatchVerifier()
    for j, lst in shares.items():
        for i, (ct, sh) in enumerate(zip(cts, lst, strict=True)):
            batch.add(f"trustee {j} option {i}", tr.decryption_share_relations(run.joint, ct, sh, [i]))
    batch.verify()
    totals = tr.combine_tally(run.joint, cts, shares, bound=len(votes), verified=True)
    assert totals == [sum(v[o] for v in votes) for o in range(3)]
    # the public verification keys are consistent with the secret shares
    for j in subset:
        assert base_mult(run.by_index(j).share) == run.joint.verification_key(j)


def test_five_option_tally_with_every_k_subset_of_three_of_five() -> None:
    run = honest_run(3, 5)
    votes = [[1, 0, 0, 0, 0], [0, 1, 0, 0, 0], [0, 1, 0, 0, 0], [0, 0, 0, 0, 1], [1, 0, 0, 0, 0], [0, 1, 0, 0, 0]]
    cts = tally_of(run, votes)
    all_shares = {j: tr.partial_decrypt_tally(run.joint, run.by_index(j), cts) for j in range(1, 6)}
    for subset in ([1, 2, 3], [1, 4, 5], [2, 3, 5], [3, 4, 5], [1, 2, 3, 4, 5]):
        totals = tr.combine_tally(run.joint, cts, {j: all_shares[j] for j in subset}, bound=len(votes))
        assert totals == [2, 3, 0, 0, 1]


def test_no_secret_key_is_needed_and_joint_key_matches_shares() -> None:
    run = honest_run(2, 3)
    # K = Σ C_i0, and Lagrange interpolation of the public S_j at 0 gives K (a public consistency check).
    subset = [1, 3]
    interpolated = sum((run.joint.verification_key(j) * tr.lagrange_at_zero(j, subset) for j in subset),
                       start=base_mult(0))
    assert interpolated == run.joint.election_key()
    assert run.joint.election_key() == sum((c.coefficients[0] for c in run.commitments), start=base_mult(0))


# --- decryption tampering -----------------------------------------------------------------
@pytest.fixture(scope="module")
def decrypted() -> tuple[Run, Ciphertext, dict[int, tr.DecryptionShare]]:
    run = honest_run(3, 5)
    ct = tally_of(run, [[1], [1], [0], [1]])[0]
    shares = {j: tr.partial_decrypt(run.joint, run.by_index(j), ct, [0]) for j in range(1, 6)}
    return run, ct, shares


def test_combine_from_k_shares(decrypted: tuple[Run, Ciphertext, dict[int, tr.DecryptionShare]]) -> None:
    run, ct, shares = decrypted
    assert tr.combine_decryption_shares(run.joint, ct, [shares[2], shares[4], shares[5]], bound=4,
                                        position=[0]) == 3


def test_wrong_decryption_share_is_named(decrypted: tuple[Run, Ciphertext, dict[int, tr.DecryptionShare]]) -> None:
    run, ct, shares = decrypted
    wrong = dataclasses.replace(shares[2], share=shares[2].share + G)
    with pytest.raises(InvalidShare, match="trustee 2"):
        tr.combine_decryption_shares(run.joint, ct, [shares[1], wrong, shares[3]], bound=4, position=[0])
    with pytest.raises(InvalidProof, match="trustee 2"):  # the same error is also an InvalidProof
        tr.verify_decryption_share(run.joint, ct, wrong, [0])
    bad_response = dataclasses.replace(shares[3], response=(shares[3].response + 1) % N)
    with pytest.raises(InvalidShare, match="trustee 3"):
        tr.verify_decryption_share(run.joint, ct, bad_response, [0])


def test_proof_replayed_for_another_ciphertext_trustee_or_position(
        decrypted: tuple[Run, Ciphertext, dict[int, tr.DecryptionShare]]) -> None:
    run, ct, shares = decrypted
    other_ct = tally_of(run, [[1], [0]])[0]
    with pytest.raises(InvalidShare):
        tr.verify_decryption_share(run.joint, other_ct, shares[1], [0])
    # same alpha, different beta: still rejected because the whole ciphertext is hashed
    with pytest.raises(InvalidShare):
        tr.verify_decryption_share(run.joint, Ciphertext(ct.alpha, ct.beta + G), shares[1], [0])
    with pytest.raises(InvalidShare, match="trustee 2"):
        tr.verify_decryption_share(run.joint, ct, dataclasses.replace(shares[1], trustee=2), [0])
    with pytest.raises(InvalidShare):
        tr.verify_decryption_share(run.joint, ct, shares[1], [1])


def test_share_from_outside_the_committee(decrypted: tuple[Run, Ciphertext, dict[int, tr.DecryptionShare]]) -> None:
    run, ct, shares = decrypted
    outsider = dataclasses.replace(shares[1], trustee=7)
    with pytest.raises(UnknownTrustee, match="7"):
        tr.combine_decryption_shares(run.joint, ct, [shares[2], shares[3], outsider], bound=4, position=[0])
    with pytest.raises(UnknownTrustee):
        tr.verify_decryption_share(run.joint, ct, dataclasses.replace(shares[1], trustee=0), [0])


def test_fewer_than_k_and_duplicate_shares(decrypted: tuple[Run, Ciphertext, dict[int, tr.DecryptionShare]]) -> None:
    run, ct, shares = decrypted
    with pytest.raises(NotEnoughShares, match="2 decryption share"):
        tr.combine_decryption_shares(run.joint, ct, [shares[1], shares[2]], bound=4, position=[0])
    with pytest.raises(InvalidShare, match="two decryption shares from trustee 1"):
        tr.combine_decryption_shares(run.joint, ct, [shares[1], shares[1], shares[2]], bound=4, position=[0])


def test_batch_verification_agrees_with_one_by_one(
        decrypted: tuple[Run, Ciphertext, dict[int, tr.DecryptionShare]]) -> None:
    run, ct, shares = decrypted
    tampered = dict(shares)
    tampered[4] = dataclasses.replace(shares[4], share=shares[4].share + G)
    tampered[2] = dataclasses.replace(shares[2], proof_b=shares[2].proof_b + G)
    batch = BatchVerifier()
    one_by_one = []
    for j, sh in sorted(tampered.items()):
        batch.add(f"trustee {j}", tr.decryption_share_relations(run.joint, ct, sh, [0]))
        try:
            tr.verify_decryption_share(run.joint, ct, sh, [0])
        except InvalidShare:
            one_by_one.append(f"trustee {j}")
    assert sorted(batch.find_bad()) == one_by_one == ["trustee 2", "trustee 4"]
    with pytest.raises(InvalidProof, match="2 proof"):
        batch.verify()
    honest = BatchVerifier()
    for j, sh in shares.items():
        honest.add(f"trustee {j}", tr.decryption_share_relations(run.joint, ct, sh, [0]))
    honest.verify()


def test_partial_decrypt_refuses_without_share() -> None:
    run = honest_run(2, 3)
    ct = tally_of(run, [[1]])[0]
    with pytest.raises(InvalidShare, match="no share"):
        tr.partial_decrypt(run.joint, run.dealt[0], ct)


# --- ceremony tampering -------------------------------------------------------------------
def test_bad_commitment_proof_is_rejected_and_dealer_disqualified() -> None:
    run = honest_run(2, 3)
    com = run.commitment_of(2)
    bad_proof = dataclasses.replace(com.proofs[1], response=(com.proofs[1].response + 1) % N)
    forged = dataclasses.replace(com, proofs=(com.proofs[0], bad_proof))
    with pytest.raises(InvalidSignature, match="dealer 2"):  # the signature covers the proofs
        forged.verify(run.ceremony, run.roster)
    # a dealer that signs its own bad proof: the proof check names the coefficient
    dealer = run.dealt[1]
    resigned = dataclasses.replace(forged, signature=bip340.sign(
        dealer.signing_secret, forged.signed_message(run.ceremony), bytes(32)))
    with pytest.raises(InvalidProof, match=r"dealer 2: .*coefficient\(s\) \[1\]"):
        resigned.verify(run.ceremony, run.roster)
    commitments = [resigned if c.dealer == 2 else c for c in run.commitments]
    joint = tr.finalize_ceremony(run.ceremony, run.roster, commitments, run.shares)
    assert joint.committee == (1, 3)
    assert "invalid commitment" in joint.disqualified[2]
    with pytest.raises(UnknownTrustee, match="invalid commitment"):
        joint.verification_key(2)
    # a commitment to the wrong number of coefficients
    short = dataclasses.replace(com, coefficients=com.coefficients[:1], proofs=com.proofs[:1])
    with pytest.raises(InvalidProof, match="expected 2"):
        short.relations(run.ceremony)


def _cheating_run(k: int, n: int, cheater: int, victim: int, *, garbage: bool) -> tuple[Run, tr.Complaint]:
    """Dealer ``cheater`` sends ``victim`` a wrong (but signed) share: f(victim)+1, or random bytes."""
    ceremony, roster, keys, rng = setup_ceremony(k, n, b"cheat" + bytes([k, n, cheater, victim, garbage]))
    dealings = [tr.deal(ceremony, t, roster, rng=rng) for t in keys]
    shares = [s for d in dealings for s in d.shares]
    bad_dealer = dealings[cheater - 1].secrets
    idx = next(i for i, s in enumerate(shares) if (s.dealer, s.recipient) == (cheater, victim))
    if garbage:
        honest = shares[idx]
        draft = dataclasses.replace(honest, ciphertext=bytes(32))
        shares[idx] = dataclasses.replace(draft, signature=bip340.sign(
            bad_dealer.signing_secret, draft.signed_message(ceremony), bytes(32)))
    else:
        value = (tr.evaluate_polynomial(bad_dealer.polynomial, victim) + 1) % N
        shares[idx] = tr.encrypt_share(ceremony, bad_dealer, roster, victim, value=value, rng=rng)
    dealt = [d.secrets for d in dealings]
    commitments = [d.commitment for d in dealings]
    victim_keys = dealt[victim - 1]
    with pytest.raises(InvalidShare, match=f"dealer {cheater} to trustee {victim}"):
        tr.receive_share(ceremony, victim_keys, roster, commitments[cheater - 1], shares[idx])
    run = finish(ceremony, roster, dealt, commitments, shares, rng=rng)
    complaint = tr.complain(ceremony, victim_keys, roster, shares[idx], rng=rng)
    return run, complaint


@pytest.mark.parametrize("garbage", [False, True], ids=["wrong-value", "undecryptable"])
def test_corrupted_share_gives_a_complaint_everyone_can_check(garbage: bool) -> None:
    run, complaint = _cheating_run(2, 4, cheater=3, victim=1, garbage=garbage)
    # the complaint travels as JSON and is judged by anyone from public data only
    complaint = tr.Complaint.from_json(json.loads(json.dumps(complaint.to_json())))
    verdict = tr.adjudicate_complaint(run.ceremony, run.roster, run.commitment_of(3), run.share(3, 1), complaint)
    assert verdict.dealer_at_fault
    assert ("does not decrypt" if garbage else "does not match the dealer's commitments") in verdict.reason
    assert run.joint.committee == (1, 2, 4)
    assert "upheld complaint of trustee 1" in run.joint.disqualified[3]
    # the remaining committee still decrypts
    cts = tally_of(run, [[1, 0], [1, 1]])
    shares = {j: tr.partial_decrypt_tally(run.joint, run.by_index(j), cts) for j in (2, 4)}
    assert tr.combine_tally(run.joint, cts, shares, bound=2) == [2, 1]


def test_false_or_forged_complaints() -> None:
    run = honest_run(2, 3)
    victim = run.dealt[0]
    encrypted = run.share(2, 1)
    false_complaint = tr.complain(run.ceremony, victim, run.roster, encrypted, rng=tr.deterministic_rng(b"x"))
    verdict = tr.adjudicate_complaint(run.ceremony, run.roster, run.commitment_of(2), encrypted, false_complaint)
    assert not verdict.dealer_at_fault
    assert "is valid" in verdict.reason
    # an unfounded complaint disqualifies nobody
    joint = tr.finalize_ceremony(run.ceremony, run.roster, run.commitments, run.shares, [false_complaint])
    assert joint.committee == (1, 2, 3)
    # revealing a wrong ECDH point is caught by the DLEQ proof
    forged = dataclasses.replace(false_complaint, shared_point=false_complaint.shared_point + G)
    forged = dataclasses.replace(forged, signature=bip340.sign(victim.signing_secret,
                                                                  forged.signed_message(run.ceremony), bytes(32)))
    with pytest.raises(InvalidProof, match="complaint of trustee 1 against dealer 2"):
        tr.adjudicate_complaint(run.ceremony, run.roster, run.commitment_of(2), encrypted, forged)
    # a complaint not signed by the recipient
    unsigned = dataclasses.replace(false_complaint, signature=bytes(64))
    with pytest.raises(InvalidSignature, match="complaint of trustee 1"):
        tr.adjudicate_complaint(run.ceremony, run.roster, run.commitment_of(2), encrypted, unsigned)
    # a complaint about another message
    with pytest.raises(InvalidEncoding, match="different trustees"):
        tr.adjudicate_complaint(run.ceremony, run.roster, run.commitment_of(3), run.share(3, 1), false_complaint)


def test_missing_or_unsigned_share_disqualifies_dealer() -> None:
    run = honest_run(2, 3)
    without = [s for s in run.shares if (s.dealer, s.recipient) != (1, 2)]
    joint = tr.finalize_ceremony(run.ceremony, run.roster, run.commitments, without)
    assert joint.committee == (2, 3)
    assert "no signed share for trustee(s) [2]" in joint.disqualified[1]
    unsigned = [dataclasses.replace(s, signature=bytes(64)) if (s.dealer, s.recipient) == (3, 1) else s
                for s in run.shares]
    assert tr.finalize_ceremony(run.ceremony, run.roster, run.commitments, unsigned).committee == (1, 2)
    with pytest.raises(InvalidSignature, match="3->1"):
        tr.receive_share(run.ceremony, run.dealt[0], run.roster, run.commitment_of(3), unsigned[
            next(i for i, s in enumerate(unsigned) if (s.dealer, s.recipient) == (3, 1))])


def test_too_many_disqualified_and_equivocation() -> None:
    run = honest_run(3, 3)
    with pytest.raises(NotEnoughShares, match="only 2 of 3 trustees qualified"):
        tr.finalize_ceremony(run.ceremony, run.roster, run.commitments[:2], run.shares)
    run2 = honest_run(2, 3)
    other = tr.deal(run2.ceremony, dataclasses.replace(run2.dealt[0], polynomial=()), run2.roster,
                    rng=tr.deterministic_rng(b"equivocate"))
    joint = tr.finalize_ceremony(run2.ceremony, run2.roster, [*run2.commitments, other.commitment], run2.shares)
    assert "two different commitments" in joint.disqualified[1]


def test_derive_share_checks() -> None:
    run = honest_run(2, 3)
    t = run.dealt[0]
    with pytest.raises(InvalidShare, match="no share received from qualified dealer 2"):
        tr.derive_trustee_share(run.joint, t, {3: 5})
    received, _ = tr.collect_shares(run.ceremony, t, run.roster, run.commitments, run.shares)
    with pytest.raises(InvalidShare, match="does not match its verification key"):
        tr.derive_trustee_share(run.joint, t, {**received, 2: (received[2] + 1) % N})


def test_redealing_reuses_polynomial() -> None:
    run = honest_run(2, 3)
    again = tr.deal(run.ceremony, run.dealt[0], run.roster, rng=tr.deterministic_rng(b"again"))
    assert again.commitment.coefficients == run.commitment_of(1).coefficients
    assert again.secrets.polynomial == run.dealt[0].polynomial


def test_roster_checks() -> None:
    ceremony, roster, _keys, rng = setup_ceremony(2, 3, b"roster")
    anns = list(roster.values())
    with pytest.raises(NotEnoughShares, match=r"\[3\]"):
        tr.check_roster(ceremony, anns[:2])
    with pytest.raises(InvalidEncoding, match="announced twice"):
        tr.check_roster(ceremony, [*anns, anns[0]])
    with pytest.raises(InvalidProof, match="trustee 2"):
        tr.check_roster(ceremony, [anns[0], dataclasses.replace(anns[1], encryption_key=anns[0].encryption_key),
                                   anns[2]])
    with pytest.raises(InvalidSignature, match="trustee 3"):
        tr.check_roster(ceremony, [anns[0], anns[1], dataclasses.replace(anns[2], signature=bytes(64))])
    with pytest.raises(UnknownTrustee):
        tr.announce(ceremony, generate_trustee(4, rng), rng=rng)
    other = tr.Ceremony(hashlib.sha256(b"other").digest(), 3, 2)
    with pytest.raises((InvalidProof, InvalidSignature)):  # bound to the ceremony fingerprint
        anns[0].verify(other)
    with pytest.raises(InvalidEncoding, match="threshold k"):
        tr.Ceremony(FINGERPRINT, 3, 4)


# --- JSON ---------------------------------------------------------------------------------
def test_every_message_roundtrips_through_json() -> None:
    run = honest_run(2, 3)
    ct = tally_of(run, [[1]])[0]
    dshare = tr.partial_decrypt(run.joint, run.by_index(1), ct)

    def rt(obj: object) -> object:
        return json.loads(json.dumps(obj))

    assert tr.Ceremony.from_json(rt(run.ceremony.to_json())) == run.ceremony
    for ann in run.roster.values():
        assert tr.Announcement.from_json(rt(ann.to_json())) == ann
    for com in run.commitments:
        assert tr.DealerCommitment.from_json(rt(com.to_json())) == com
    for sh in run.shares:
        assert tr.EncryptedShare.from_json(rt(sh.to_json())) == sh
    assert tr.DecryptionShare.from_json(rt(dshare.to_json())) == dshare
    joint = tr.JointKey.from_json(rt(run.joint.to_json()))
    assert joint == run.joint
    assert joint.verification_key(2) == run.joint.verification_key(2)


def test_from_json_rejects_bad_input() -> None:
    run = honest_run(2, 3)
    sh = run.shares[0].to_json()
    with pytest.raises(InvalidEncoding, match="unexpected keys"):
        tr.EncryptedShare.from_json({**sh, "x": 1})
    with pytest.raises(InvalidEncoding, match="missing keys"):
        tr.EncryptedShare.from_json({k: v for k, v in sh.items() if k != "tag"})
    with pytest.raises(InvalidEncoding, match="ciphertext must be 32 bytes"):
        tr.EncryptedShare.from_json({**sh, "ciphertext": "00"})
    with pytest.raises(InvalidPoint, match="ephemeral key"):
        tr.EncryptedShare.from_json({**sh, "ephemeral": "02" + "ff" * 32})
    with pytest.raises(InvalidEncoding, match="ephemeral key must be a lowercase hex"):
        tr.EncryptedShare.from_json({**sh, "ephemeral": sh["ephemeral"].upper()})
    with pytest.raises(InvalidEncoding, match="signature must be a lowercase hex"):
        tr.EncryptedShare.from_json({**sh, "signature": " " + sh["signature"]})
    with pytest.raises(InvalidEncoding, match="dealer must be an integer"):
        tr.EncryptedShare.from_json({**sh, "dealer": True})
    ds = tr.partial_decrypt(run.joint, run.by_index(1), tally_of(run, [[0]])[0]).to_json()
    with pytest.raises(InvalidScalar, match="proof response"):
        tr.DecryptionShare.from_json({**ds, "proof": {**ds["proof"], "response": "ff" * 32}})
    with pytest.raises(InvalidEncoding, match="JSON object"):
        tr.DecryptionShare.from_json([1, 2])
    com = run.commitments[0].to_json()
    with pytest.raises(InvalidEncoding, match="as many proofs"):
        tr.DealerCommitment.from_json({**com, "proofs": com["proofs"][:1]})
    joint = run.joint.to_json()
    with pytest.raises(UnknownTrustee):
        tr.JointKey.from_json({**joint, "commitments": {**joint["commitments"], "9": joint["commitments"]["1"]}})


# --- key files ----------------------------------------------------------------------------
def test_keyfile_roundtrip_plain_and_encrypted() -> None:
    t = honest_run(2, 3).by_index(2)
    assert load_keyfile(dump_keyfile(t)) == t
    text = dump_keyfile(t, "correct horse", scrypt_n=2**10)
    assert t.signing_secret.hex() not in text
    assert load_keyfile(text, "correct horse") == t
    assert "secret" in repr(t)
    assert repr(t).count("TrusteeSecrets") == 1
    assert t.signing_secret.hex() not in repr(t)


def test_keyfile_wrong_passphrase_and_tampering() -> None:
    t = honest_run(2, 3).by_index(2)
    text = dump_keyfile(t, "correct horse", scrypt_n=2**10)
    with pytest.raises(WrongPassphrase, match="wrong passphrase"):
        load_keyfile(text, "battery staple")
    with pytest.raises(WrongPassphrase, match="passphrase is needed"):
        load_keyfile(text)
    data = json.loads(text)
    flipped = bytearray(bytes.fromhex(data["ciphertext"]))
    flipped[5] ^= 1
    with pytest.raises(CorruptKeyFile, match="altered"):
        load_keyfile(json.dumps({**data, "ciphertext": flipped.hex()}), "correct horse")
    with pytest.raises(CorruptKeyFile, match="altered"):
        load_keyfile(json.dumps({**data, "tag": "00" * 32}), "correct horse")
    with pytest.raises(CorruptKeyFile, match="power of two"):
        load_keyfile(json.dumps({**data, "kdf": {**data["kdf"], "n": 1000}}), "correct horse")
    with pytest.raises(CorruptKeyFile, match="not valid JSON"):
        load_keyfile(text[:-3], "correct horse")
    with pytest.raises(CorruptKeyFile, match="not a dataguild"):
        load_keyfile(json.dumps({**data, "format": "other"}), "correct horse")
    plain = json.loads(dump_keyfile(t))
    with pytest.raises(CorruptKeyFile, match="encryption secret"):
        load_keyfile(json.dumps({**plain, "key": {**plain["key"], "encryption_secret": "00" * 32}}))
    with pytest.raises(WrongPassphrase, match="empty"):
        dump_keyfile(t, "")


def test_keyfile_survives_the_ceremony_steps() -> None:
    """A trustee can stop after dealing, reload its file, and go on."""
    run = honest_run(2, 3)
    reloaded = load_keyfile(dump_keyfile(run.dealt[2], "pw", scrypt_n=2**10), "pw")
    received, complaints = tr.collect_shares(run.ceremony, reloaded, run.roster, run.commitments, run.shares)
    assert not complaints
    final = tr.derive_trustee_share(run.joint, reloaded, received)
    assert final == run.by_index(3)


@settings(max_examples=20, deadline=None)
@given(data=st.data(), kn=st.tuples(st.integers(1, 5), st.integers(1, 5)).filter(lambda t: t[0] <= t[1]),
       field_name=st.sampled_from(["share", "proof_a", "proof_b", "response", "trustee", "ciphertext"]))
def test_any_tampered_decryption_share_is_rejected_by_name(data: st.DataObject, kn: tuple[int, int],
                                                           field_name: str) -> None:
    k, n = kn
    run = honest_run(k, n)
    ct = tally_of(run, [[1], [1]])[0]
    subset = data.draw(st.lists(st.sampled_from(run.joint.committee), min_size=k, max_size=k, unique=True))
    shares = [tr.partial_decrypt(run.joint, run.by_index(j), ct) for j in subset]
    honest = list(shares)
    victim = data.draw(st.integers(0, k - 1))
    sh = shares[victim]
    check_ct = ct
    if field_name == "response":
        bad = dataclasses.replace(sh, response=(sh.response + 1) % N)
    elif field_name == "trustee":
        others = [j for j in run.joint.committee if j != sh.trustee]
        if not others:
            return
        bad = dataclasses.replace(sh, trustee=data.draw(st.sampled_from(others)))
    elif field_name == "ciphertext":
        bad, check_ct = sh, tally_of(run, [[1]])[0]
    else:
        bad = dataclasses.replace(sh, **{field_name: getattr(sh, field_name) + G})
    with pytest.raises(InvalidShare, match=f"trustee {bad.trustee}"):
        tr.verify_decryption_share(run.joint, check_ct, bad)
    shares[victim] = bad
    if field_name == "trustee" and len({s.trustee for s in shares}) < len(shares):
        with pytest.raises(InvalidShare, match="two decryption shares"):
            tr.combine_decryption_shares(run.joint, check_ct, shares, bound=2)
    elif field_name == "ciphertext":  # every share is for the other ciphertext: the first one checked is named
        with pytest.raises(InvalidShare, match=f"trustee {min(subset)} "):
            tr.combine_decryption_shares(run.joint, check_ct, shares, bound=2)
    else:
        with pytest.raises(InvalidShare, match=f"trustee {bad.trustee}"):
            tr.combine_decryption_shares(run.joint, check_ct, shares, bound=2)
    if k > 1:
        with pytest.raises(NotEnoughShares):
            tr.combine_decryption_shares(run.joint, ct, honest[:-1], bound=2)
    with pytest.raises(UnknownTrustee):
        tr.combine_decryption_shares(run.joint, ct, [dataclasses.replace(sh, trustee=n + 1)], bound=2)


def test_dealer_with_invalid_commitment_is_skipped_without_complaint() -> None:
    run = honest_run(2, 3)
    com = run.commitment_of(2)
    broken = dataclasses.replace(com, signature=bytes(64))
    commitments = [broken if c.dealer == 2 else c for c in run.commitments]
    received, complaints = tr.collect_shares(run.ceremony, run.dealt[0], run.roster, commitments, run.shares)
    assert set(received) == {3}
    assert complaints == []
    assert tr.finalize_ceremony(run.ceremony, run.roster, commitments, run.shares).committee == (1, 3)
    with pytest.raises(UnknownTrustee, match="not on the roster"):
        tr.roster_entry({}, 1)


def test_empty_tally_is_not_sent_for_decryption() -> None:
    run = honest_run(1, 1)
    with pytest.raises(InvalidEncoding, match="needs no decryption"):
        tr.partial_decrypt(run.joint, run.by_index(1), sum_ciphertexts([]))


# --- the documented test vectors (docs/crypto-trustees.md, "Test vectors") -------------------
def test_documented_ceremony_vector() -> None:
    from voting.crypto.hashing import dst, encode, hash_to_scalar
    from voting.crypto.keyfile import derive_keys, keystream

    seed = b"dataguild-doc-vector"
    fp = hashlib.sha256(b"dataguild test vector election").digest()
    assert tr.deterministic_rng(seed)() == hash_to_scalar(dst("test/rng"), seed, 1)
    rng = tr.deterministic_rng(seed)
    ceremony = tr.Ceremony(fp, 3, 2)
    keys = [generate_trustee(i, rng) for i in (1, 2, 3)]
    roster = tr.check_roster(ceremony, [tr.announce(ceremony, t, rng=rng) for t in keys])
    deals = [tr.deal(ceremony, t, roster, rng=rng) for t in keys]
    run = finish(ceremony, roster, [d.secrets for d in deals], [d.commitment for d in deals],
                 [s for d in deals for s in d.shares], rng=rng)
    assert roster[1].proof.response.to_bytes(32, "big").hex() == \
        "ae67ea06e50978a808dc5137af4a5a1cb943359f1f37e1529035b295fe0e1733"
    sh12 = run.share(1, 2)
    assert sh12.ciphertext.hex() == "b761588667e750adf3abfbf7cbaf2b5ef81791a036a0d646b5415142306e4c53"
    assert sh12.tag.hex() == "b54505ee0548e9ddfa1ca0293c1374ad2cf3848e8c025c25fc965c696c7e4212"
    z = sh12.ephemeral * keys[1].encryption_secret
    k12 = derive_keys(encode(z, sh12.ephemeral, keys[1].encryption_key, fp, 1, 2), "ceremony/share-encryption")
    assert bytes(a ^ b for a, b in zip(sh12.ciphertext, keystream(k12[:32], 32), strict=True)) == \
        tr.evaluate_polynomial(run.dealt[0].polynomial, 2).to_bytes(32, "big")
    assert run.joint.election_key().hex() == "030b658fd5352c711e7f7fe097eadedfb1d5817d6da7bb1ccb44a40938ad0e7141"
    ct, _ = encrypt(ElectionKey(run.joint.election_key()), 3, r=hash_to_scalar(dst("test/rng"), seed, 1000))
    dec_rng = tr.deterministic_rng(seed + b"/decrypt")
    d1 = tr.partial_decrypt(run.joint, run.by_index(1), ct, [0], rng=dec_rng)
    d3 = tr.partial_decrypt(run.joint, run.by_index(3), ct, [0], rng=dec_rng)
    assert d1.share.hex() == "023090434705352bd9c53e60479a66cc7a17b9566e08aed43bce0840e1c979e843"
    assert d1.response.to_bytes(32, "big").hex() == "1b8db1f00d7f9557e32a9438f8d0d0e7c9253212eef8424bbec82ce27e5c3b60"
    assert tr.combine_decryption_shares(run.joint, ct, [d1, d3], bound=10, position=[0]) == 3


def test_documented_keyfile_vector() -> None:
    text = json.dumps({
        "format": "dataguild-trustee-key/v1", "encryption": "scrypt-sha256ctr-hmacsha256",
        "kdf": {"salt": "000102030405060708090a0b0c0d0e0f", "n": 1024, "r": 8, "p": 1},
        "check": "08ae52de140c486cc7f98ae1a17c307ed61d3b692749aff22f8123432779f49e",
        "ciphertext": DOC_KEYFILE_CIPHERTEXT,
        "tag": "9faa8bdf5b26fd1ca8276f1e79fd6bd0e7ba6219dd39e828ff8de4473e0d4a90"})
    secrets = load_keyfile(text, "correct horse battery staple")
    assert secrets.index == 1
    assert secrets.fingerprint == hashlib.sha256(b"dataguild test vector election").digest()
    assert json.loads(dump_keyfile(secrets, "correct horse battery staple", scrypt_n=1024,
                                   salt=bytes(range(16))))["ciphertext"] == DOC_KEYFILE_CIPHERTEXT


DOC_KEYFILE_CIPHERTEXT = (
    "cd5936b70968512575e7be30588079968508e86e486990391d17447b56db2f11438907ebc7c406f5d64cfe7ba22c8576"
    "185604057c20f69ddaa3d7341afd5caeceb3e67fd0aecdfcfc71257fb8994fcc455244c2bce540425c7b6cefd3723bfa"
    "e7a82299c0491ff864ed90f42ab9d61f960117de719af0c7a1d55c477f8197da9eee9cbe075d12879bdede589104b73a"
    "c7de12524a1c84f3019acc3d319207604cc25eb75badc3cb0ae5ba4b51ebac7f6da4df7c3c591782a3f8c89044c56e7c"
    "471b2a10f56581ca2ec8911ab5af43fa811832445dd2f227b5584e5d0235a02604a6cc4ce597e53bf560215bee4df183"
    "7a38d6184a1ac04687dbf51f3b827ab5a2a23d28671b575b9d76bb00bfc66e7f4f755e33e74d693a19e3d337af2f5fb8"
    "d6d46c679290dc166e339c60a4744ce344e471c1e69777f2e199b2bace2a0b918c9a936696ed42c428fe047766a14ffe"
    "64a4d217c667506ccff73c76e84580d7e691f315a1b435960eb9dc6c3f66eac2a24f5d4747987da64fc2d7b3e4b0bbac"
    "1bb387e324efc04bcc08ac2a317288aa1b18b01adf696a7143e3fceba67eaa289d951f767e5d6587336ed55f344ceac1"
    "bfc5e4573c41bba0fca6b09439f65365d2a51f51ba8351f89626833886979cb0349da0fe335b00d64a1caf73271cd073"
    "ef1a72a0547d5a"
)
