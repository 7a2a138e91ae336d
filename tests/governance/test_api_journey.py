"""An integrator's journey through the API over real HTTP, as docs/api.md tells it: read the OpenAPI
document, create a token on the account page, list proposals, cast an encrypted ballot with the Python
client, check the receipt."""

from __future__ import annotations

import re

import pytest
from openapi_spec_validator import OpenAPIV31SpecValidator, validate

from governance.auth.passwords import password_hasher
from governance.client import ApiError, Client
from tests.conftest import DEFAULT_PASSWORD, csrf_token, live_site, login
from tests.voting.factories import make_election
from voting.elections import client as device


def test_an_integrator_reads_the_description_makes_a_token_lists_proposals_and_votes(app, db_session):
    setup = make_election(db_session, voters=2)
    voter = setup.voters[1]
    voter.password_hash = password_hasher({"ENV_NAME": "test"}).hash(DEFAULT_PASSWORD)
    db_session.commit()
    email, election_id, fingerprint = voter.email, setup.election.id, setup.election.fingerprint
    db_session.rollback()
    with live_site(app) as site:
        with Client(site) as anonymous:
            document = anonymous.get("/openapi.json")
        validate(document, cls=OpenAPIV31SpecValidator)
        assert "/api/v1/elections/{election_id}/ballots" in document["paths"]

        browser = app.test_client()   # the account page, signed in as the member, makes the token
        login(browser, email)
        page = browser.get("/account/tokens")
        made = browser.post("/account/tokens", data={"csrf_token": csrf_token(page.data), "label": "my script",
                                                     "scopes": ["read", "vote"], "lifetime_days": "30"})
        token = re.search(r'<code id="new-token">(dgp_[^<]+)</code>', made.get_data(as_text=True)).group(1)

        with Client(site, token) as api:
            listed = list(api.paginate("/proposals", state="voting"))
            assert [p["state"] for p in listed] == ["voting"]
            election = api.get(f"/elections/{election_id}")
            device.check_manifest(election["manifest"], fingerprint)
            you = api.get(f"/elections/{election_id}/roll")["you"]
            assert you["on_roll"] is True
            prepared = device.prepare(election["manifest"], [[1, 0, 0]])
            answer = api.post(f"/elections/{election_id}/ballots",
                              {"ballot": prepared.to_json(), "expected_previous": you["ballots_cast"]})
            assert device.receipt_problems(answer["receipt"], election["manifest"], prepared.tracking_code) == []
            checked = api.check_receipt(answer["receipt"])
            assert checked["status"] in ("pass", "pending")
            assert {c["name"]: c["status"] for c in checked["checks"]}["signature"] == "pass"
            with pytest.raises(ApiError) as refused:
                api.post(f"/elections/{election_id}/ballots", {"choices": [[1, 0, 0]], "expected_previous": 1})
            assert refused.value.status == 400
            assert refused.value.field == "choices"
