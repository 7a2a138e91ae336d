"""governance.client over real HTTP against the live app: tokens, pages, problems, an unreachable site."""

from __future__ import annotations

import socket

import pytest

from governance.client import ApiError, Client, ClientError, Unreachable, check_site_url
from tests.conftest import live_site, make_member, make_token
from tests.policy.test_export_views import seed_site


def test_the_client_reads_pages_and_reports_problems(app, db_session):
    seed_site(db_session)
    member = make_member(db_session, "c@example.org")
    header = make_token(db_session, member, "read")
    db_session.close()
    with live_site(app) as url, Client(url, header.removeprefix("Bearer ")) as api:
        assert api.me()["email"] == "c@example.org"
        numbers = [v["number"] for v in api.paginate("/policy/data-use/versions", limit=1)]
        assert numbers == [2, 1]                        # two pages, followed by their cursors
        with pytest.raises(ApiError) as refused:
            api.decide({"party": "https://example.ai"})
        assert refused.value.status == 400
        assert refused.value.field == "action"
        assert "HTTP 400" in str(refused.value)
        with pytest.raises(ApiError) as missing:
            api.get("/agreements/999")
        assert missing.value.status == 404
        assert missing.value.problem["type"].endswith("#problem-not-found")
        with pytest.raises(ApiError) as legacy:      # the trustee API's own error shape is read too
            api.get("/api/v1/trustee/committees")
        assert legacy.value.status == 403
        assert "lacks the scope “trustee”" in legacy.value.detail
        with pytest.raises(ClientError, match="another host"):
            api.get_public("http://example.org/elections/1/board.json")
    with Client(url) as anonymous, pytest.raises(Unreachable):
        anonymous.me()                                # the server is gone


def test_site_addresses_are_checked():
    assert check_site_url("https://coop.example.org/") == "https://coop.example.org"
    for bad in ("", "coop.example.org", "ftp://coop.example.org", "https://"):
        with pytest.raises(ValueError, match="must look like"):
            check_site_url(bad)


def test_a_port_nobody_listens_on_is_unreachable():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with Client(f"http://127.0.0.1:{port}", timeout=2) as api, pytest.raises(Unreachable, match="Cannot reach"):
        api.me()
