"""The proposals part of /api/v1 through the real app: tokens and signed-in sessions (with the CSRF header),
every answer checked against the OpenAPI document, and the pages' role checks on their API twins."""

from __future__ import annotations

import re

import pytest
from jsonschema import Draft202012Validator
from openapi_spec_validator import OpenAPIV31SpecValidator, validate
from sqlalchemy import select

from governance.sitecontext import utcnow
from proposals import notifications, services
from proposals.models import Comment, NotificationPreference, Proposal, ProposalState, ProposalVersion
from tests.conftest import count_rows, csrf_token, fetch_all, make_member, make_token
from tests.proposals.factories import example_body, make_proposal, new_member, seed_governance

S = ProposalState
API = "/api/v1"


@pytest.fixture
def document(client) -> dict:
    return client.get(f"{API}/openapi.json").json


def conforms(document: dict, schema: str, data: object) -> None:
    """``data`` is what the document says the component ``schema`` is (refs resolved in the document)."""
    validator = Draft202012Validator({"$ref": f"#/components/schemas/{schema}", "components": document["components"]})
    errors = sorted(validator.iter_errors(data), key=lambda e: list(e.path))
    assert not errors, [f"{list(e.path)}: {e.message}" for e in errors]


def problem(response, status: int, *, field: str | None = None, words: str = "") -> dict:
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.mimetype == "application/problem+json"
    body = response.json
    assert body["status"] == status, body
    assert words in body["detail"], body
    if field is not None:
        assert body.get("field") == field, body
    return body


def auth(token: str) -> dict[str, str]:
    return {"Authorization": token}


@pytest.fixture
def coop(db_session):
    """A steward, an author with a draft and three public proposals, another member, an observer, tokens."""
    steward = seed_governance(db_session)
    author, other = new_member(db_session, "member", name="Ada Author"), new_member(db_session, "member")
    observer = new_member(db_session, "observer")
    draft = make_proposal(db_session, author, "data_use_rule", S.DRAFT, title="Secret draft about bicycles")
    rule = make_proposal(db_session, author, "data_use_rule", S.DISCUSSION, title="No bicycle data for ads",
                         summary="Keep ride logs out of advertising.")
    deal = make_proposal(db_session, other, "deal_approval", S.DISCUSSION, title="University deal")
    voting = make_proposal(db_session, other, "bylaw_change", S.VOTING, title="More sponsors")
    db_session.commit()
    tokens = {name: make_token(db_session, member, "read", "draft") for name, member in
              (("steward", steward), ("author", author), ("other", other))}
    tokens["author_read"] = make_token(db_session, author, "read")
    tokens["other_read"] = make_token(db_session, other, "read")
    tokens["observer"] = make_token(db_session, observer, "read")
    return {"steward": steward, "author": author, "other": other, "observer": observer, "tokens": tokens,
            "draft": draft.id, "rule": rule.id, "deal": deal.id, "voting": voting.id}


# ---------------------------------------------------------------- the document


def test_the_document_still_validates_and_describes_the_proposals_operations(document):
    validate(document, cls=OpenAPIV31SpecValidator)
    paths = document["paths"]
    assert set(paths[f"{API}/proposals"]) == {"get", "post"}
    assert set(paths[f"{API}/proposals/{{proposal_id}}"]) == {"get", "patch"}
    assert set(paths[f"{API}/proposals/{{proposal_id}}/comments"]) == {"get", "post"}
    assert set(paths[f"{API}/proposals/{{proposal_id}}/sponsors"]) == {"post"}
    assert set(paths[f"{API}/me/notifications"]) == {"get", "put"}
    scope = {(path, method): op["security"][0]["bearerAuth"] for path, ops in paths.items()
             for method, op in ops.items() if path.startswith((f"{API}/proposals", f"{API}/me/notifications"))}
    assert scope[(f"{API}/proposals", "get")] == ["read"]
    assert scope[(f"{API}/proposals", "post")] == ["draft"]
    assert scope[(f"{API}/proposals/{{proposal_id}}/sponsors", "post")] == ["draft"]
    assert scope[(f"{API}/me/notifications", "put")] == ["draft"]
    listing = paths[f"{API}/proposals"]["get"]
    assert "Link" in listing["responses"]["200"]["headers"]
    assert {"400", "401", "403", "429"} <= set(listing["responses"])
    assert {"404", "409", "422"} <= set(paths[f"{API}/proposals/{{proposal_id}}"]["patch"]["responses"])
    assert "304" in paths[f"{API}/proposals/{{proposal_id}}"]["get"]["responses"]
    assert set(document["components"]["schemas"]["NotificationSettingsChange"]["properties"]["settings"]
               ["properties"]) == set(notifications.TOPICS)


# ---------------------------------------------------------------- list


def test_the_list_shows_what_the_list_page_shows_with_filters(coop, client, document):
    tokens = coop["tokens"]
    problem(client.get(f"{API}/proposals"), 401)
    public = {coop["rule"], coop["deal"], coop["voting"]}
    seen = client.get(f"{API}/proposals", headers=auth(tokens["other_read"]))
    assert seen.status_code == 200
    assert seen.headers["Cache-Control"] == "no-store"
    conforms(document, "ProposalPage", seen.json)
    assert [p["id"] for p in seen.json["items"]] == sorted(public, reverse=True)   # newest first, no draft
    assert seen.json["next_cursor"] is None
    assert "Link" not in seen.headers
    # The author and the stewards see the draft (as on the list page); an observer's read token sees the rest.
    for who in ("author_read", "steward"):
        ids = {p["id"] for p in client.get(f"{API}/proposals", headers=auth(tokens[who])).json["items"]}
        assert ids == public | {coop["draft"]}
    assert {p["id"] for p in client.get(f"{API}/proposals", headers=auth(tokens["observer"])).json["items"]} == public

    def ids(query: str, who: str = "author") -> list[int]:
        answer = client.get(f"{API}/proposals?{query}", headers=auth(tokens[who]))
        assert answer.status_code == 200, answer.json
        return [p["id"] for p in answer.json["items"]]

    assert ids("kind=deal_approval") == [coop["deal"]]
    assert ids("state=voting") == [coop["voting"]]
    assert ids("state=draft") == [coop["draft"]]
    assert ids("state=draft", "other") == []
    assert ids("q=BICYCLE") == [coop["rule"], coop["draft"]]
    assert ids("q=advertising") == [coop["rule"]]                      # the summary counts too
    assert ids(f"q=%23{coop['deal']}") == [coop["deal"]]
    assert ids("q=bicycle&kind=data_use_rule&state=discussion") == [coop["rule"]]
    assert ids("mine=true", "other") == sorted([coop["deal"], coop["voting"]], reverse=True)
    problem(client.get(f"{API}/proposals?kind=treaty", headers=auth(tokens["author"])), 400, field="kind")
    problem(client.get(f"{API}/proposals?state=asleep", headers=auth(tokens["author"])), 400, field="state")
    problem(client.get(f"{API}/proposals?mine=maybe", headers=auth(tokens["author"])), 400, field="mine")
    problem(client.get(f"{API}/proposals?q={'x' * 201}", headers=auth(tokens["author"])), 400, field="q")
    # A session works for reading, without any CSRF header.
    assert client.get(f"{API}/proposals?state=discussion", headers=auth(tokens["author"])).json["items"]


def test_the_list_pages_with_a_stable_cursor(coop, client, db_session):
    for n in range(3):
        make_proposal(db_session, coop["other"], "bylaw_change", S.DISCUSSION, title=f"Extra {n}")
    db_session.commit()
    every = [p.id for p in fetch_all(db_session, select(Proposal).where(Proposal.state != S.DRAFT)
                                     .order_by(Proposal.id.desc()))]
    assert len(every) == 6
    token = auth(coop["tokens"]["other_read"])
    seen, url, pages = [], f"{API}/proposals?limit=4", 0
    first = client.get(url, headers=token)
    assert len(first.json["items"]) == 4
    assert first.json["next_cursor"]
    assert first.headers["Link"] == (f'<http://localhost{API}/proposals?limit=4&cursor={first.json["next_cursor"]}>;'
                                     ' rel="next"')
    # An item added between two pages appears on no later page and moves nothing.
    make_proposal(db_session, coop["other"], "bylaw_change", S.DISCUSSION, title="Added meanwhile")
    db_session.commit()
    answer = first
    while True:
        pages += 1
        seen += [p["id"] for p in answer.json["items"]]
        if answer.json["next_cursor"] is None:
            assert "Link" not in answer.headers
            break
        url = answer.headers["Link"].split(">")[0][len("<http://localhost"):]
        answer = client.get(url, headers=token)
        assert answer.status_code == 200
    assert pages == 2
    assert seen == every
    problem(client.get(f"{API}/proposals?cursor=not-ours", headers=token), 400, field="cursor")
    problem(client.get(f"{API}/proposals?cursor=eyJhZnRlciI6IC0xfQ", headers=token), 400, field="cursor")
    problem(client.get(f"{API}/proposals?limit=0", headers=token), 400, field="limit")
    problem(client.get(f"{API}/proposals?limit=101", headers=token), 400, field="limit")


# ---------------------------------------------------------------- read


def test_a_proposal_reads_with_its_versions_amendments_sponsors_and_windows(coop, client, db_session, document):
    now = utcnow()
    proposal = db_session.get(Proposal, coop["rule"])
    amendment = services.propose_amendment(db_session, proposal, actor=coop["other"], title="No bicycle data for ads",
                                           summary="Keep ride logs out of advertising, and out of profiling.",
                                           body=proposal.latest.body, rationale="Profiling too.", now=now)
    services.accept_amendment(db_session, amendment, actor=coop["author"], now=now)
    services.propose_amendment(db_session, proposal, actor=coop["steward"], title="Other title",
                               summary="", body=proposal.latest.body, rationale="Shorter.", now=now)
    services.sponsor(db_session, proposal, actor=coop["other"], now=now)
    db_session.commit()
    token = auth(coop["tokens"]["other_read"])
    answer = client.get(f"{API}/proposals/{coop['rule']}", headers=token)
    assert answer.status_code == 200, answer.json
    conforms(document, "Proposal", answer.json)
    got = answer.json
    assert (got["kind"], got["state"], got["current_version"]) == ("data_use_rule", "discussion", 2)
    assert got["author"] == {"id": coop["author"].id, "name": "Ada Author"}
    assert "profiling" in got["summary"]
    assert [v["number"] for v in got["versions"]] == [1, 2]
    assert got["versions"][1]["amendment_id"] == amendment.id
    assert [(a["status"], a["resulting_version"]) for a in got["amendments"]] == [("accepted", 2), ("open", None)]
    assert [s["member"]["id"] for s in got["sponsors"]] == [coop["other"].id]
    assert got["sponsors_needed"] == got["rules"]["min_sponsors"] >= 1
    assert got["windows"]["discussion_started_at"]
    assert got["windows"]["voting_opened_at"] is None
    assert got["url"] == f"http://localhost/proposals/{coop['rule']}"
    # Voting windows, as the page shows them; and ETags.
    voting = client.get(f"{API}/proposals/{coop['voting']}", headers=token)
    conforms(document, "Proposal", voting.json)
    assert voting.json["state"] == "voting"
    assert voting.json["frozen_version"] == 1
    assert voting.json["windows"]["voting_opened_at"] < voting.json["windows"]["voting_closes_at"]
    again = client.get(f"{API}/proposals/{coop['voting']}", headers={**token, "If-None-Match": voting.headers["ETag"]})
    assert again.status_code == 304
    # A draft: its author and the stewards read it; anyone else gets the 404 the page gives.
    problem(client.get(f"{API}/proposals/{coop['draft']}", headers=token), 404)
    assert client.get(f"{API}/proposals/{coop['draft']}", headers=auth(coop["tokens"]["author_read"])).json[
        "state"] == "draft"
    assert client.get(f"{API}/proposals/{coop['draft']}", headers=auth(coop["tokens"]["steward"])).status_code == 200
    problem(client.get(f"{API}/proposals/99999", headers=token), 404)
    problem(client.get(f"{API}/proposals/{coop['rule']}"), 401)


# ---------------------------------------------------------------- drafting


def test_drafting_creates_a_private_draft_and_explains_every_refusal(coop, client, db_session, document,
                                                                     make_logged_in_client):
    token = auth(coop["tokens"]["author"])
    new = {"kind": "deal_approval", "title": "  Museum deal  ", "summary": "Aggregates for a museum.",
           "body": example_body("deal_approval")}
    created = client.post(f"{API}/proposals", json=new, headers=token)
    assert created.status_code == 201, created.json
    conforms(document, "Proposal", created.json)
    pid = created.json["id"]
    assert created.headers["Location"] == f"http://localhost{API}/proposals/{pid}"
    assert (created.json["state"], created.json["title"], created.json["current_version"]) == \
        ("draft", "Museum deal", 1)
    assert created.json["body"]["price"] == "12000.00"
    assert client.get(f"{API}/proposals/{pid}", headers=auth(coop["tokens"]["other_read"])).status_code == 404
    stored = fetch_all(db_session, select(ProposalVersion).where(ProposalVersion.proposal_id == pid))
    assert [v.content_hash for v in stored] == [created.json["content_hash"]]

    def refused(status: int, body: object, field: str | None, **kwargs):
        before = count_rows(db_session, Proposal)
        problem(client.post(f"{API}/proposals", json=body, headers=token, **kwargs), status, field=field)
        assert count_rows(db_session, Proposal) == before

    refused(400, {k: v for k, v in new.items() if k != "title"}, "title")
    refused(400, {**new, "sumary": "typo"}, "sumary")
    refused(400, {**new, "title": 7}, "title")
    refused(400, {**new, "body": ["not", "an", "object"]}, "body")
    refused(422, {**new, "title": "   "}, "title")
    refused(422, {**new, "kind": "treaty"}, "kind")
    refused(422, {**new, "body": {**new["body"], "price": "-5"}}, "body.price")
    refused(422, {**new, "body": {}}, "body.counterparty")
    problem(client.post(f"{API}/proposals", data="title=x", headers=token), 415)
    problem(client.post(f"{API}/proposals", data="{not json", headers={**token, "Content-Type": "application/json"}),
            400)
    # The role checks of the drafting pages.
    problem(client.post(f"{API}/proposals", json=new), 401)
    problem(client.post(f"{API}/proposals", json=new, headers=auth(coop["tokens"]["author_read"])), 403,
            words="draft")
    admin = make_member(db_session, "admin-only@example.org", roles=("admin",))
    problem(client.post(f"{API}/proposals", json=new, headers=auth(make_token(db_session, admin, "draft"))), 403,
            words="Only active members and stewards")
    observer_browser, _ = make_logged_in_client("observer")
    assert observer_browser.get("/proposals/new").status_code == 403           # the page's check ...
    problem(observer_browser.post(f"{API}/proposals", json=new,
                                  headers={"X-CSRFToken": csrf_token(observer_browser.get("/account").data)}),
            403)                                                               # ... and its API twin
    browser, _member = make_logged_in_client("member")
    problem(browser.post(f"{API}/proposals", json=new), 400, words="X-CSRFToken")
    made = browser.post(f"{API}/proposals", json=new, headers={"X-CSRFToken": csrf_token(browser.get("/account").data)})
    assert made.status_code == 201
    assert made.json["author"]["id"] == _member.id


def test_editing_a_draft_is_for_its_author_and_the_stewards_only(coop, client, db_session, document):
    url, token = f"{API}/proposals/{coop['draft']}", auth(coop["tokens"]["author"])
    edited = client.patch(url, json={"title": "Open draft about bicycles", "note": "Clearer title"}, headers=token)
    assert edited.status_code == 200, edited.json
    conforms(document, "Proposal", edited.json)
    assert (edited.json["current_version"], edited.json["title"]) == (2, "Open draft about bicycles")
    assert edited.json["versions"][1]["note"] == "Clearer title"
    assert edited.json["body"] == edited.json["versions"][0]["body"]            # fields left out are kept
    body = example_body("data_use_rule", rule_id="no-bicycle-ads")
    assert client.patch(url, json={"body": body}, headers=token).json["body"]["changes"][0]["rule"]["id"] == \
        "no-bicycle-ads"
    problem(client.patch(url, json={"title": "Open draft about bicycles"}, headers=token), 422, words="Nothing changed")
    problem(client.patch(url, json={"body": {"changes": [{"op": "add"}]}}, headers=token), 422,
            field="body.changes.0.rule")
    problem(client.patch(url, json={"note": "x" * 501, "title": "Other"}, headers=token), 422, field="note")
    problem(client.patch(url, json={"state": "discussion"}, headers=token), 400, field="state")
    problem(client.patch(url, json={"summary": None}, headers=token), 400, field="summary")
    # Another member cannot see the draft, so cannot edit it (404, as on the edit page); a steward can.
    problem(client.patch(url, json={"title": "Mine now"}, headers=auth(coop["tokens"]["other"])), 404)
    assert client.patch(url, json={"summary": "Tidied by a steward."},
                        headers=auth(coop["tokens"]["steward"])).json["current_version"] == 4
    problem(client.patch(url, json={"title": "x"}, headers=auth(coop["tokens"]["author_read"])), 403)
    problem(client.patch(url, json={"title": "x"}), 401)
    # Published: no longer editable, whoever asks.
    for who in ("author", "steward"):
        problem(client.patch(f"{API}/proposals/{coop['rule']}", json={"title": "Changed"},
                             headers=auth(coop["tokens"][who])), 409, words="no longer a draft")
    problem(client.patch(f"{API}/proposals/99999", json={"title": "x"}, headers=token), 404)
    assert count_rows(db_session, ProposalVersion, ProposalVersion.proposal_id == coop["draft"]) == 4


# ---------------------------------------------------------------- discussion and sponsors


def test_comments_post_with_the_pages_checks_and_read_in_pages(coop, client, db_session, document):
    url = f"{API}/proposals/{coop['rule']}/comments"
    first = client.post(url, json={"text": "Why all datasets?"}, headers=auth(coop["tokens"]["other"]))
    assert first.status_code == 201, first.json
    conforms(document, "Comment", first.json)
    assert (first.json["author"]["id"], first.json["parent_id"], first.json["text"]) == \
        (coop["other"].id, None, "Why all datasets?")
    reply = client.post(url, json={"text": "Simpler to audit.", "parent_id": first.json["id"]},
                        headers=auth(coop["tokens"]["author"]))
    assert reply.json["parent_id"] == first.json["id"]
    deeper = client.post(url, json={"text": "Deeper", "parent_id": reply.json["id"]},
                         headers=auth(coop["tokens"]["other"]))
    assert deeper.json["parent_id"] == first.json["id"]                        # one level only, as on the page
    for n in range(2):
        assert client.post(url, json={"text": f"More {n}"}, headers=auth(coop["tokens"]["steward"])).status_code == 201
    before = count_rows(db_session, Comment)
    token = auth(coop["tokens"]["other"])
    problem(client.post(url, json={"text": "   "}, headers=token), 422, field="text")
    problem(client.post(url, json={"text": "x" * 10_001}, headers=token), 422, field="text")
    problem(client.post(url, json={"text": 3}, headers=token), 400, field="text")
    problem(client.post(url, json={}, headers=token), 400, field="text")
    problem(client.post(url, json={"text": "Hi", "parent_id": "1"}, headers=token), 400, field="parent_id")
    problem(client.post(url, json={"text": "Hi", "parent_id": True}, headers=token), 400, field="parent_id")
    elsewhere = client.post(f"{API}/proposals/{coop['deal']}/comments", json={"text": "On the deal"},
                            headers=token).json["id"]
    problem(client.post(url, json={"text": "Hi", "parent_id": elsewhere}, headers=token), 422, field="parent_id")
    # The page's role checks: the member role (not a read token, not a steward without it), an open discussion.
    problem(client.post(url, json={"text": "Hi"}, headers=auth(coop["tokens"]["other_read"])), 403)
    problem(client.post(url, json={"text": "Hi"}), 401)
    lone_steward = make_member(db_session, "steward-only@example.org", roles=("steward",))
    problem(client.post(url, json={"text": "Hi"}, headers=auth(make_token(db_session, lone_steward, "draft"))), 403,
            words="Only active members can comment")
    problem(client.post(f"{API}/proposals/{coop['draft']}/comments", json={"text": "Hi"},
                        headers=auth(coop["tokens"]["author"])), 409)
    problem(client.post(f"{API}/proposals/{coop['draft']}/comments", json={"text": "Hi"}, headers=token), 404)
    assert count_rows(db_session, Comment) == before + 1                      # only the comment on the deal
    # A steward hides one: its text is gone from the API too, the reason is shown.
    hidden = db_session.get(Comment, deeper.json["id"])
    services.hide_comment(db_session, hidden, actor=coop["steward"], reason="Off topic", now=utcnow())
    db_session.commit()
    # Reading, in pages of two, oldest first.
    read = auth(coop["tokens"]["observer"])
    seen, answer = [], client.get(f"{url}?limit=2", headers=read)
    while True:
        assert answer.status_code == 200
        conforms(document, "CommentPage", answer.json)
        assert len(answer.json["items"]) <= 2
        seen += answer.json["items"]
        if not answer.json["next_cursor"]:
            break
        assert "Link" in answer.headers
        answer = client.get(f"{url}?limit=2&cursor={answer.json['next_cursor']}", headers=read)
    assert [c["text"] for c in seen] == ["Why all datasets?", "Simpler to audit.", None, "More 0", "More 1"]
    assert (seen[2]["hidden"], seen[2]["hidden_reason"]) == (True, "Off topic")
    problem(client.get(f"{url}?cursor=%%%", headers=read), 400, field="cursor")
    problem(client.get(f"{API}/proposals/{coop['draft']}/comments", headers=read), 404)
    problem(client.get(url), 401)


def test_co_sponsoring_refuses_as_the_page_does(coop, client, db_session, document, make_logged_in_client):
    url = f"{API}/proposals/{coop['rule']}/sponsors"
    done = client.post(url, headers=auth(coop["tokens"]["other"]))
    assert done.status_code == 201, done.json
    conforms(document, "Sponsorship", done.json)
    assert (done.json["member"]["id"], done.json["sponsor_count"]) == (coop["other"].id, 1)
    problem(client.post(url, headers=auth(coop["tokens"]["other"])), 422, words="already co-sponsor")
    problem(client.post(url, headers=auth(coop["tokens"]["author"])), 403, words="your own proposal")
    problem(client.post(f"{API}/proposals/{coop['voting']}/sponsors", headers=auth(coop["tokens"]["author"])), 409)
    problem(client.post(f"{API}/proposals/{coop['draft']}/sponsors", headers=auth(coop["tokens"]["author"])), 409)
    problem(client.post(f"{API}/proposals/{coop['draft']}/sponsors", headers=auth(coop["tokens"]["other"])), 404)
    problem(client.post(url, headers=auth(coop["tokens"]["other_read"])), 403)
    problem(client.post(url), 401)
    observer_browser, _ = make_logged_in_client("observer")
    problem(observer_browser.post(url, headers={"X-CSRFToken": csrf_token(observer_browser.get("/account").data)}),
            403)
    browser, member = make_logged_in_client("member")
    problem(browser.post(url), 400, words="X-CSRFToken")
    signed = browser.post(url, headers={"X-CSRFToken": csrf_token(browser.get("/account").data)})
    assert signed.status_code == 201
    assert signed.json["sponsor_count"] == 2
    sponsors = client.get(f"{API}/proposals/{coop['rule']}", headers=auth(coop["tokens"]["observer"])).json["sponsors"]
    assert [s["member"]["id"] for s in sponsors] == [coop["other"].id, member.id]


# ---------------------------------------------------------------- notification settings


def test_notification_settings_read_and_change_the_pages_preferences(coop, client, db_session, document,
                                                                    make_logged_in_client):
    url, token = f"{API}/me/notifications", auth(coop["tokens"]["other"])
    got = client.get(url, headers=auth(coop["tokens"]["other_read"]))
    assert got.status_code == 200
    conforms(document, "NotificationSettings", got.json)
    assert got.json["settings"] == dict.fromkeys(notifications.TOPICS, True)
    assert got.json["topics"] == notifications.TOPICS
    changed = client.put(url, json={"settings": {"outcome": False, "closing_soon": False}}, headers=token)
    assert changed.status_code == 200, changed.json
    assert changed.json["settings"] == {**dict.fromkeys(notifications.TOPICS, True), "outcome": False,
                                        "closing_soon": False}
    again = client.put(url, json={"settings": {"closing_soon": True}}, headers=token)
    assert again.json["settings"]["outcome"] is False
    rows = fetch_all(db_session, select(NotificationPreference)
                     .where(NotificationPreference.member_id == coop["other"].id))
    assert {(r.topic, r.enabled) for r in rows} == {("outcome", False), ("closing_soon", True)}
    # Nobody else's settings moved.
    assert client.get(url, headers=auth(coop["tokens"]["author_read"])).json["settings"]["outcome"] is True
    problem(client.put(url, json={"settings": {"gossip": False}}, headers=token), 400, field="settings.gossip")
    problem(client.put(url, json={"settings": {"outcome": "no"}}, headers=token), 400, field="settings.outcome")
    problem(client.put(url, json={"settings": []}, headers=token), 400, field="settings")
    problem(client.put(url, json={"outcome": False}, headers=token), 400, field="outcome")
    problem(client.put(url, json={"settings": {"outcome": True}}, headers=auth(coop["tokens"]["other_read"])), 403)
    problem(client.get(url), 401)
    problem(client.put(url, json={"settings": {}}), 401)
    assert client.get(url, headers=auth(coop["tokens"]["observer"])).status_code == 200
    # A browser session: the page and the API show the same choice.
    browser, _member = make_logged_in_client("member")
    saved = browser.put(url, json={"settings": {"voting_opened": False}},
                        headers={"X-CSRFToken": csrf_token(browser.get("/account").data)})
    assert saved.status_code == 200
    page = browser.get("/settings/notifications").get_data(as_text=True)
    boxes = {m.group(1): " checked" in m.group(0)
             for m in re.finditer(r'<input[^>]*name="topic_(\w+)"[^>]*>', page)}
    assert boxes == {**dict.fromkeys(notifications.TOPICS, True), "voting_opened": False}


def test_a_token_whose_owner_lost_the_role_cannot_draft_any_more(coop, client, db_session):
    from governance.members.models import Role
    from governance.members.services import revoke_role

    token = make_token(db_session, coop["other"], "read", "draft")
    assert client.post(f"{API}/proposals/{coop['rule']}/comments", json={"text": "Before"},
                       headers=auth(token)).status_code == 201
    revoke_role(db_session, actor=None, member=db_session.get(type(coop["other"]), coop["other"].id), role=Role.MEMBER)
    db_session.commit()
    problem(client.post(f"{API}/proposals/{coop['rule']}/comments", json={"text": "After"}, headers=auth(token)), 403)
    problem(client.post(f"{API}/proposals/{coop['rule']}/sponsors", headers=auth(token)), 403)
    assert client.get(f"{API}/proposals/{coop['rule']}", headers=auth(token)).status_code == 200   # still reads


def test_a_search_text_with_a_nul_byte_is_no_server_error(client, db_session):
    """Found by schemathesis on PostgreSQL, whose text cannot hold NUL: the API refuses it as any input, the
    page searches as if it were not there."""
    member = make_member(db_session, "nul@example.org")
    header = make_token(db_session, member, "read", "draft")
    answer = client.get("/api/v1/proposals?q=a%00b", headers={"Authorization": header})
    assert answer.status_code == 400
    assert answer.json["field"] == "q"
    assert client.get("/proposals?q=a%00b").status_code in (200, 302)
    made = client.post("/api/v1/proposals", json={"kind": "bylaw_change", "title": "a\u0000b", "body": {}},
                       headers={"Authorization": header})
    assert made.status_code == 400
    assert made.json["field"] == "title"
