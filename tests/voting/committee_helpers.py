"""Trustees with real key material, and the ceremony messages they send (built with the same client
code the ``dataguild trustee`` commands use), for the committee tests."""

from __future__ import annotations

import functools
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.orm import Session

from tests.conftest import make_member
from voting import trustee_client as tc
from voting.committee_models import TrusteeCommittee
from voting.committee_services import create_committee
from voting.crypto import bls
from voting.crypto import trustees as T
from voting.crypto.keyfile import TrusteeSecrets, generate_trustee

NOW = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)


@functools.cache
def _bls_pop(signing_secret: bytes) -> tuple[str, str]:
    # BLS is deterministic, and a proof of possession costs ~0.6 s in py-ecc: prove once per key.
    secret = bls.keygen(signing_secret, tc.BLS_KEY_INFO)
    return secret.public_key().to_hex(), bls.pop_prove(secret).to_hex()


@functools.cache
def trustee_keys(seed: str) -> TrusteeSecrets:
    """Fixed key material per seed (the same in every test, so the BLS proof is computed once)."""
    return generate_trustee(1, T.deterministic_rng(seed.encode()))


def announcement_payload(ceremony: T.Ceremony, secrets: TrusteeSecrets) -> dict[str, Any]:
    public, pop = _bls_pop(secrets.signing_secret)
    return {"announcement": T.announce(ceremony, secrets).to_json(), "bls_public_key": public, "bls_pop": pop}


@dataclass
class Seat:
    member: Any
    secrets: TrusteeSecrets


def appoint(session: Session, steward: Any, n: int, k: int, *,
            prefix: str = "t") -> tuple[TrusteeCommittee, list[Seat]]:
    members = [make_member(session, f"{prefix}{i}@example.org", name=f"Trustee {prefix}{i}",
                           roles=("member", "trustee")) for i in range(1, n + 1)]
    committee = create_committee(session, actor=steward, name=f"Committee {prefix}", member_ids=[m.id for m in members],
                                 k=k, now=NOW)
    session.commit()
    ceremony = T.Ceremony(bytes.fromhex(committee.fingerprint), n, k)
    seats = [Seat(m, replace(trustee_keys(f"{prefix}-{i}"), index=i, fingerprint=ceremony.fingerprint))
             for i, m in enumerate(members, start=1)]
    return committee, seats


def ceremony_of(committee: TrusteeCommittee) -> T.Ceremony:
    return T.Ceremony(bytes.fromhex(committee.fingerprint), committee.n, committee.k)
