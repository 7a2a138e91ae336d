"""The trustee's side of the key ceremony: builds the messages the site's JSON API takes, from the
trustee's key material and the public ceremony state the API returns. Runs on the trustee's machine
(``dataguild trustee ...``); nothing here talks to the database or sends a secret anywhere.

Pure apart from :mod:`voting.crypto`: the ``state`` arguments are the JSON of
``GET /api/v1/trustee/committees/<id>`` (see :mod:`voting.trustees.api`).

The trustee's BLS key (which co-signs election results) is not stored in the key file: it is derived
from the key file's BIP-340 signing secret as ``bls.keygen(signing_secret, b"dataguild-trustee-result-v1")``
(IETF KeyGen: HKDF over the 32-byte secret with that key_info), so the one key file holds everything.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

from voting.crypto import bls
from voting.crypto import trustees as T
from voting.crypto.errors import CryptoError, InvalidEncoding, InvalidShare
from voting.crypto.keyfile import TrusteeSecrets

BLS_KEY_INFO = b"dataguild-trustee-result-v1"


class CeremonyMismatch(CryptoError):
    """The key file and the committee do not belong together, or the site's data is inconsistent."""


def bls_secret_of(secrets: TrusteeSecrets) -> bls.BlsSecretKey:
    return bls.keygen(secrets.signing_secret, BLS_KEY_INFO)


def ceremony_of_state(state: dict[str, Any]) -> T.Ceremony:
    return T.Ceremony.from_json(state["committee"]["ceremony"])


def my_index(state: dict[str, Any]) -> int:
    return int(state["me"]["index"])


def bind_to_ceremony(secrets: TrusteeSecrets, ceremony: T.Ceremony, index: int) -> TrusteeSecrets:
    """Number a fresh key file for this committee; refuse a key file already used for another one."""
    if secrets.fingerprint is not None and secrets.fingerprint != ceremony.fingerprint:
        raise CeremonyMismatch("this key file already belongs to another committee's ceremony; make a new one "
                               "with `dataguild trustee keygen` (one key file per committee)")
    if secrets.fingerprint == ceremony.fingerprint and secrets.index != index:
        raise CeremonyMismatch(f"this key file is trustee {secrets.index}'s, but you are trustee {index}")
    if secrets.fingerprint is None and (secrets.polynomial or secrets.share is not None):
        raise CeremonyMismatch("this key file holds ceremony material but no ceremony fingerprint")
    return replace(secrets, index=index, fingerprint=ceremony.fingerprint)


def announcement_payload(ceremony: T.Ceremony, secrets: TrusteeSecrets) -> dict[str, Any]:
    """Step 1: the announcement, and the BLS public key with its proof of possession."""
    bls_secret = bls_secret_of(secrets)
    return {"announcement": T.announce(ceremony, secrets).to_json(),
            "bls_public_key": bls_secret.public_key().to_hex(),
            "bls_pop": bls.pop_prove(bls_secret).to_hex()}


def checked_roster(ceremony: T.Ceremony, state: dict[str, Any], secrets: TrusteeSecrets) -> dict[int, T.Announcement]:
    """Every trustee's announcement, verified here (proofs, signatures, distinct keys) — and ours is ours."""
    roster = T.check_roster(ceremony, [T.Announcement.from_json(a) for a in state["announcements"]])
    mine = roster[secrets.index]
    if mine.encryption_key != secrets.encryption_key:
        raise CeremonyMismatch(f"the site's announcement of trustee {secrets.index} is not from this key file")
    return roster


def dealing_payload(ceremony: T.Ceremony, secrets: TrusteeSecrets,
                    roster: dict[int, T.Announcement]) -> tuple[TrusteeSecrets, dict[str, Any]]:
    """Step 2: the commitment and the encrypted shares; the returned secrets hold the polynomial
    (save them before sending: a re-run reuses the same polynomial)."""
    dealing = T.deal(ceremony, secrets, roster)
    return dealing.secrets, {"commitment": dealing.commitment.to_json(),
                             "shares": [sh.to_json() for sh in dealing.shares]}


def _commitments(state: dict[str, Any]) -> list[T.DealerCommitment]:
    return [T.DealerCommitment.from_json(c) for c in state["commitments"]]


def _shares_to_me(state: dict[str, Any]) -> list[T.EncryptedShare]:
    return [T.EncryptedShare.from_json(s) for s in state["shares_to_me"]]


@dataclass(frozen=True)
class Confirmation:
    payload: dict[str, Any]
    accepted_from: tuple[int, ...]
    complaints_against: tuple[int, ...]


def confirmation_payload(ceremony: T.Ceremony, secrets: TrusteeSecrets, roster: dict[int, T.Announcement],
                         state: dict[str, Any]) -> Confirmation:
    """Step 3: decrypt and check every share sent to us; a complaint for each one that fails."""
    received, complaints = T.collect_shares(ceremony, secrets, roster, _commitments(state), _shares_to_me(state))
    return Confirmation({"complaints": [c.to_json() for c in complaints]}, tuple(sorted(received)),
                        tuple(sorted(c.dealer for c in complaints)))


def checked_joint_key(ceremony: T.Ceremony, roster: dict[int, T.Announcement], state: dict[str, Any],
                      all_shares: list[dict[str, Any]] | None = None) -> T.JointKey:
    """The site's joint key — recomputed here from the public messages when they are all given."""
    joint = T.JointKey.from_json(state["joint_key"])
    if joint.ceremony != ceremony:
        raise CeremonyMismatch("the site's joint key is for another ceremony")
    if all_shares is not None:
        ours = T.finalize_ceremony(ceremony, roster, _commitments(state),
                                   [T.EncryptedShare.from_json(s) for s in all_shares],
                                   [T.Complaint.from_json(c["complaint"]) for c in state["complaints"]])
        if ours.to_json() != joint.to_json():
            raise CeremonyMismatch("the site's joint key differs from the one computed from the ceremony messages")
    return joint


def derive_share(ceremony: T.Ceremony, secrets: TrusteeSecrets, roster: dict[int, T.Announcement],
                 state: dict[str, Any], joint: T.JointKey) -> TrusteeSecrets:
    """Our decryption key share s_j from the qualified dealers' shares (checked again) and our polynomial."""
    if secrets.index not in joint.committee:
        raise InvalidShare(f"trustee {secrets.index} is not in the decrypting committee: "
                           f"{joint.disqualified.get(secrets.index, 'not qualified')}")
    commitments = {c.dealer: c for c in _commitments(state)}
    received: dict[int, int] = {}
    for share in _shares_to_me(state):
        if share.dealer in joint.committee:
            if share.dealer not in commitments:
                raise InvalidEncoding(f"the site sent no commitment of qualified dealer {share.dealer}")
            received[share.dealer] = T.receive_share(ceremony, secrets, roster, commitments[share.dealer], share)
    return T.derive_trustee_share(joint, secrets, received)
