"""`dataguild trustee ...` against a live server (werkzeug on a free port in a thread, real HTTP):
a whole 2-of-3 ceremony with three key files, then the stored key shares decrypt together."""

from __future__ import annotations

import json
import socket
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

from tests.conftest import live_site, make_member, reload
from tests.voting.committee_helpers import NOW, trustee_token
from voting.committees import services as svc
from voting.committees.models import CommitteeStatus, TrusteeCommittee
from voting.crypto import elgamal
from voting.crypto import trustees as T
from voting.crypto.keyfile import load_keyfile
from voting.trustees.cli import trustee_cli

PASSPHRASE = "a long passphrase for trustee three"


@pytest.fixture
def site(app) -> Iterator[str]:
    with live_site(app) as base:
        yield base


OUTPUTS: list[str] = []


def _run(*args: str, token: str | None = None, input: str | None = None, ok: bool = True):
    env = {"DATAGUILD_TRUSTEE_TOKEN": token} if token else {}
    result = CliRunner().invoke(trustee_cli, list(args), env=env, input=input)
    assert (result.exit_code == 0) == ok, result.output
    OUTPUTS.append(result.output)
    return result.output


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_a_2_of_3_ceremony_with_the_trustee_commands(site, db_session, tmp_path: Path):
    steward = make_member(db_session, "steward@example.org", roles=("member", "steward"))
    trustees = [make_member(db_session, f"t{i}@example.org", name=f"Trustee {i}", roles=("member", "trustee"))
                for i in (1, 2, 3)]
    committee = svc.create_committee(db_session, actor=steward, name="Keys", member_ids=[t.id for t in trustees],
                                     k=2, now=NOW)
    tokens = [trustee_token(db_session, t, "cli")[1] for t in trustees]
    db_session.commit()
    cid = str(committee.id)
    keys = [tmp_path / f"trustee{i}.json" for i in (1, 2, 3)]
    _run("keygen", "--out", str(keys[0]), "--no-passphrase")
    _run("keygen", "--out", str(keys[1]), "--no-passphrase")
    _run("keygen", "--out", str(keys[2]), input=f"{PASSPHRASE}\n{PASSPHRASE}\n")
    assert "refusing to overwrite" in _run("keygen", "--out", str(keys[0]), "--no-passphrase", ok=False)
    assert json.loads(keys[2].read_text())["encryption"] != "none"
    assert (keys[0].stat().st_mode & 0o777) == 0o600

    def step(name: str, i: int, **kwargs) -> str:
        entered = f"{PASSPHRASE}\n" if i == 2 else None
        return _run(name, "--site", site, "--committee", cid, "--key", str(keys[i]), token=tokens[i],
                    input=entered, **kwargs)

    listed = _run("status", "--site", site, token=tokens[1])
    assert f"#{cid} Keys: 2 of 3, announcing, you are trustee 2 — next: announce" in listed
    assert "HTTP 401" in _run("status", "--site", site, token="dgt_wrong", ok=False)
    assert "Cannot reach the site" in _run("status", "--site", f"http://127.0.0.1:{_closed_port()}",
                                           token=tokens[0], ok=False)
    assert "--token" in _run("status", "--site", site, ok=False)
    for i in range(3):
        out = step("announce", i)
        assert f"Announced as trustee {i + 1} of committee {cid}" in out
    assert "Next: dataguild trustee deal" in out
    assert "not waiting for your announcement" in step("announce", 0, ok=False)
    for i in range(3):
        assert "sent your commitment and 2 encrypted shares" in step("deal", i)
    assert "Waiting for the other trustees" in step("confirm", 0)
    assert "Waiting for the other trustees" in step("confirm", 1)
    assert reload(db_session, TrusteeCommittee, committee.id).status == CommitteeStatus.CONFIRMING
    out = step("confirm", 2)
    assert "Shares checked: 2 good." in out
    assert "Your key share is stored" in out
    assert "Your key share is stored" in step("confirm", 0)
    assert "Your key share is stored" in step("confirm", 1)
    assert "already in the key file" in step("confirm", 1)
    assert keys[1].with_name("trustee2.json.bak").exists()
    status = _run("status", "--site", site, "--committee", cid, token=tokens[0])
    assert "step ready" in status
    assert "trustee 3 Trustee 3: announced, dealt, confirmed" in status

    db_session.expire_all()
    joint = svc.joint_key_of(db_session, committee.id)
    db_session.rollback()
    secrets = [load_keyfile(keys[0].read_text()), load_keyfile(keys[1].read_text()),
               load_keyfile(keys[2].read_text(), PASSPHRASE)]
    assert [s.index for s in secrets] == [1, 2, 3]
    assert all(s.share is not None for s in secrets)
    ct, _ = elgamal.encrypt(elgamal.ElectionKey(joint.election_key()), 5)
    for pair in ((0, 2), (1, 2)):
        shares = [T.partial_decrypt(joint, secrets[i], ct) for i in pair]
        assert T.combine_decryption_shares(joint, ct, shares, bound=10) == 5
    printed = "\n".join(OUTPUTS)
    for s in secrets:  # nothing secret was ever printed
        assert f"{s.share:064x}" not in printed
        assert f"{s.encryption_secret:064x}" not in printed
        assert s.signing_secret.hex() not in printed
