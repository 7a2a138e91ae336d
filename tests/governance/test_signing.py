"""The site's signing keys: created on first use in test/development, refused in production until
`dataguild keys generate`, never overwritten, damaged files reported plainly, public keys served."""

from __future__ import annotations

import json
import stat

import pytest

from governance.signing import (
    KeyStore,
    SigningKeysUnavailable,
    generate_site_keys,
    read_key_file,
    site_keys,
    verify_bls,
    write_key_file,
)
from voting.crypto import bip340
from voting.crypto.errors import CryptoError


def test_a_test_site_creates_its_key_file_once_and_signs_with_it(app, db_session, client):
    keys = site_keys(db_session)
    path = app.instance_path + "/signing-keys.json"
    assert stat.S_IMODE((__import__("os").stat(path)).st_mode) == 0o600
    assert site_keys(app.extensions["dataguild_db"].Session()) == keys
    signature = keys.sign_bls(b"policy")
    verify_bls(keys.bls_public_hex, b"policy", signature)
    with pytest.raises(CryptoError):
        verify_bls(keys.bls_public_hex, b"policy!", signature)
    bip340.verify(bytes.fromhex(keys.bip340_public_hex), b"r" * 32, bytes.fromhex(keys.sign_bip340(b"r" * 32)))
    served = client.get("/.well-known/dataguild-keys.json").get_json()
    assert served == keys.public_json()
    assert "secret" not in json.dumps(served)


def test_production_refuses_to_sign_without_a_key_file(tmp_path):
    store = KeyStore(tmp_path / "keys.json", create_if_missing=False)
    with pytest.raises(SigningKeysUnavailable, match="dataguild keys generate"):
        store.get()
    assert not (tmp_path / "keys.json").exists()


def test_key_files_are_never_overwritten_and_damage_is_reported(tmp_path):
    path = tmp_path / "keys.json"
    keys = generate_site_keys()
    write_key_file(path, keys)
    with pytest.raises(FileExistsError):
        write_key_file(path, generate_site_keys())
    assert read_key_file(path) == keys
    assert "secret" not in repr(keys)
    data = json.loads(path.read_text())
    for damage, message in [({**data, "format": "x"}, "not a dataguild signing key file"),
                            ({**data, "bls_secret_key": "00" * 32}, "damaged"),
                            ({**data, "bip340_secret_key": "zz"}, "damaged")]:
        path.write_text(json.dumps(damage))
        with pytest.raises(SigningKeysUnavailable, match=message):
            read_key_file(path)
    path.write_text("{not json")
    with pytest.raises(SigningKeysUnavailable, match="cannot be read"):
        read_key_file(path)


def test_keys_cli_generates_and_shows_public_keys(app):
    from governance.cli import main

    runner = app.test_cli_runner()
    shown = runner.invoke(main, ["keys", "show"])
    assert shown.exit_code != 0
    assert "dataguild keys generate" in shown.output
    assert runner.invoke(main, ["keys", "generate"]).exit_code == 0
    again = runner.invoke(main, ["keys", "generate"])
    assert again.exit_code != 0
    assert "already exists" in again.output
    shown = runner.invoke(main, ["keys", "show"])
    assert shown.exit_code == 0
    assert set(json.loads(shown.output)) == {"bls_public_key", "bls_ciphersuite", "bip340_public_key"}
