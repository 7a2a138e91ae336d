"""Elections in every state for the record tests and the test vectors (docs/record-vectors/): real
ceremony, real casting (with a superseded and an audited ballot), real counting and signing.

``python -m tests.voting.record_scenarios`` regenerates docs/record-vectors/ (see docs/record-spec.md §8).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from sqlalchemy.orm import Session

from governance.sitecontext import as_utc
from tests.conftest import make_member
from tests.voting.committee_helpers import NOW
from tests.voting.counting_helpers import Trustee, after_close, make_secret_election, ready_committee
from tests.voting.factories import ElectionSetup, audit, cast, make_election
from voting.counting import services as counting
from voting.crypto import bls
from voting.elections.models import Election, Secrecy
from voting.record import tally
from voting.trustees.client import bls_secret_of

YES, NO, ABSTAIN = [1, 0, 0], [0, 1, 0], [0, 0, 1]


@dataclass
class Scenario:
    setup: ElectionSetup
    trustees: dict[int, Trustee]
    leaves: dict[str, int]  # what each leaf is: "a", "b-first", "b", "c-audit", "c"

    @property
    def election(self) -> Election:
        return self.setup.election


def cast_votes(session: Session, setup: ElectionSetup) -> dict[str, int]:
    """a votes yes; b votes no, then yes (the first is superseded); c audits a 'no' ballot, then
    abstains. Returns the leaf index of each ballot. Commits."""
    _steward, a, b, c = setup.voters[:4]
    moment = as_utc(setup.election.opens_at) + timedelta(minutes=1)
    leaves: dict[str, int] = {}
    secret = setup.election.secrecy == Secrecy.SECRET
    steps: list[tuple[str, Any, list[int], bool]] = [("a", a, YES, False), ("b-first", b, NO, False),
                                                     ("b", b, YES, False)]
    if secret:
        steps.append(("c-audit", c, NO, True))
    steps.append(("c", c, ABSTAIN, False))
    casts: dict[int, int] = {}
    for name, member, choice, audited in steps:
        moment += timedelta(minutes=1)
        if audited:
            result = audit(session, setup.election, member, [choice], now=moment)
        else:
            result = cast(session, setup.election, member, [choice],
                                         expected_previous=casts.get(member.id, 0), now=moment)
            casts[member.id] = casts.get(member.id, 0) + 1
        leaves[name] = result.entry.leaf_index
        session.commit()
    return leaves


def secret_scenario(session: Session, *, decide: bool = True, sign: bool = True, prefix: str = "rec",
                    now=NOW) -> Scenario:
    """A secret one-member-one-vote election with a 2-of-3 committee and 3 voting members (roll of
    4), closed and decrypted by trustees 1 and 3, who then both sign the result (as far as asked)."""
    steward = make_member(session, f"{prefix}-steward@example.org", roles=("member", "steward"))
    committee, trustees = ready_committee(session, steward, 3, 2, prefix)
    setup = make_secret_election(session, committee, voters=3, now=now)
    session.commit()
    leaves = cast_votes(session, setup)
    if decide:
        decide_secret(session, setup, trustees, sign=sign)
    return Scenario(setup, trustees, leaves)


def decide_secret(session: Session, setup: ElectionSetup, trustees: dict[int, Trustee], *, sign: bool = True,
                  deciders: tuple[int, ...] = (1, 3)) -> None:
    moment = after_close(setup)
    election = counting.close_election(session, setup.election, now=moment)
    session.commit()
    joint = tally.joint_key_of_manifest(election.manifest)
    ciphertexts = tally.tally_from_document(election.encrypted_tally)
    for j in deciders:
        moment += timedelta(minutes=1)
        shares = tally.make_shares(joint, trustees[j].secrets, election.fingerprint, ciphertexts)
        counting.submit_decryption(session, election, trustees[j].member, trustee_index=j, shares_json=shares,
                                   now=moment)
        session.commit()
    if sign:
        message = tally.result_message(election.result)
        for j in deciders:
            signature = bls.sign(bls_secret_of(trustees[j].secrets), message).to_hex()
            counting.sign_result(session, election, trustees[j].member, trustee_index=j, signature_hex=signature,
                                 now=moment)
            session.commit()


def open_scenario(session: Session, *, decide: bool = True, now=NOW) -> Scenario:
    """An open roll call with the same votes (no audit: open ballots are public), decided at close."""
    setup = make_election(session, secrecy=Secrecy.OPEN, voters=3, now=now)
    session.commit()
    leaves = cast_votes(session, setup)
    if decide:
        counting.close_election(session, setup.election, now=after_close(setup))
        session.commit()
    return Scenario(setup, {}, leaves)


# ---------------------------------------------------------------- the test vectors

def main() -> None:  # pragma: no cover - run by hand to regenerate docs/record-vectors/
    import tempfile
    from pathlib import Path

    from tests.conftest import make_test_app
    from tests.voting.record_vectors import write_vectors

    with tempfile.TemporaryDirectory() as tmp:
        app = make_test_app(f"sqlite:///{tmp}/vectors.sqlite", Path(tmp))
        database = app.extensions["dataguild_db"]
        database.create_all()
        with app.app_context():
            session = database.Session()
            scenario = secret_scenario(session)
            out = Path(__file__).resolve().parents[2] / "docs" / "record-vectors"
            write_vectors(session, scenario.election, out)
            session.close()
        database.engine.dispose()


if __name__ == "__main__":  # pragma: no cover
    main()
