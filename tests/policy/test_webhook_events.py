"""The policy store's and counting's webhook events, in the real flows: a policy version adopted by
an enacted proposal, an agreement approved, suspended (by a steward on its page, by a vote), expired
(the sweep, idempotent), and an election's result."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import select

from governance.policy.agreements import emit_expired_agreements, enact_deal, suspend_agreement_by_vote
from governance.policy.models import Agreement
from governance.policy.services import current_policy_version
from governance.policy.terms.bodies import DealBody
from governance.policy.terms.parsing import from_json
from governance.sitecontext import utcnow
from governance.webhooks import EVENT_TYPES
from governance.webhooks.cli import webhooks_cli
from governance.webhooks.delivery import WebhookSender, deliver_due
from governance.webhooks.models import WebhookDelivery, WebhookEvent, WebhookSubscription
from governance.webhooks.services import pause_subscription
from proposals.models import ProposalState
from tests.conftest import csrf_token, fetch_all, make_member
from tests.governance.webhook_receiver import expected_signature, receiver, subscribe
from tests.proposals.factories import example_body, example_deal, make_proposal, make_world, seed_governance
from tests.voting.counting_helpers import after_close
from tests.voting.factories import make_election, post_ballot
from voting.counting.services import close_election
from voting.elections.models import Secrecy

S = ProposalState
NOW = datetime.now(UTC).replace(microsecond=0) + timedelta(days=1)
SITE = "http://localhost"  # the test app's BASE_URL


@pytest.fixture
def hook():
    with receiver() as rec:
        yield rec


def _per_subscription(session) -> dict[int, list[str]]:
    rows = fetch_all(session, select(WebhookDelivery.subscription_id, WebhookEvent.event_type)
                     .join(WebhookEvent, WebhookEvent.id == WebhookDelivery.event_id).order_by(WebhookDelivery.id))
    found: dict[int, list[str]] = {}
    for subscription_id, event_type in rows:
        found.setdefault(subscription_id, []).append(event_type)
    return found


def _bodies(hook, event_type: str) -> list[dict]:
    return [json.loads(r.body) for r in hook.requests if r.headers["Dataguild-Event"] == event_type]


def _agreement(session, *, start: date, end: date, name: str = "Example University") -> Agreement:
    deal = example_deal()
    deal["counterparty"] = {**deal["counterparty"], "name": name}
    deal["start_date"], deal["end_date"] = start.isoformat(), end.isoformat()
    return enact_deal(session, actor=None, deal=from_json(DealBody, deal), proposal_id=None,
                      now=datetime.combine(start, datetime.min.time(), UTC) - timedelta(days=30))


def test_an_adopted_policy_version_makes_exactly_one_delivery_per_subscription(app, db_session, hook):
    world = make_world(db_session)
    db_session.commit()
    steward = world.steward
    only_policy, secret = subscribe(db_session, app, steward, hook.url + "/a", label="Policy only")
    everything, secret_all = subscribe(db_session, app, steward, hook.url + "/b", events=tuple(EVENT_TYPES),
                                       label="Everything")
    deals_only, _ = subscribe(db_session, app, steward, hook.url + "/c", events=("agreement.approved",),
                              label="Deals only")
    paused, _ = subscribe(db_session, app, steward, hook.url + "/d", label="Paused")
    pause_subscription(db_session, db_session.get(WebhookSubscription, paused.id), actor=steward, now=utcnow())
    db_session.commit()
    ids = {"a": only_policy.id, "b": everything.id, "c": deals_only.id, "d": paused.id}

    with app.app_context():  # as in a request or a CLI command: links use the site's BASE_URL
        proposal = make_proposal(db_session, world.author, "data_use_rule", S.ADOPTED, now=NOW, steward=steward,
                                 body=example_body("data_use_rule", rule_id="no-genai"))
        db_session.commit()
    version = current_policy_version(db_session, "data_use")
    assert version.proposal_id == proposal.id
    # Read now: deliver_due ends the session's transaction, which expires what it loaded.
    number, digest, adopted, proposal_id = (version.number, version.document_hash,
                                            version.adopted_at.strftime("%Y-%m-%dT%H:%M:%SZ"), proposal.id)
    db_session.rollback()  # (SQLite: a transaction left open would lock the other sessions out)
    assert _per_subscription(db_session) == {ids["a"]: ["policy.version_adopted"],
                                             ids["b"]: ["policy.version_adopted"]}

    report = deliver_due(db_session, WebhookSender(app.config), now=NOW)
    assert report.delivered == 2
    assert sorted(r.path for r in hook.requests) == ["/hooks/dataguild/a", "/hooks/dataguild/b"]
    for request, key in zip(sorted(hook.requests, key=lambda r: r.path), (secret, secret_all), strict=True):
        assert request.headers["Dataguild-Signature"] == expected_signature(
            key, request.headers["Dataguild-Timestamp"], request.body)
    body = json.loads(hook.requests[0].body)
    assert body["type"] == "policy.version_adopted"
    assert body["time"] == adopted
    assert body["data"] == {"line": "data_use", "number": number, "document_hash": digest, "previous_hash": None,
                            "proposal_id": proposal_id, "election_id": None, "adopted_at": adopted}
    assert body["links"] == {"document": f"{SITE}/policy/data-use/v{number}.jsonld",
                             "policy": f"{SITE}/policy", "versions": f"{SITE}/policy/versions",
                             "proposal": f"{SITE}/proposals/{proposal_id}"}
    deliver_due(db_session, WebhookSender(app.config), now=NOW + timedelta(days=1))
    assert len(hook.requests) == 2  # delivered once each


def test_an_approved_deal_and_its_suspension_on_the_deal_page_are_sent(app, db_session, hook,
                                                                       make_logged_in_client):
    world = make_world(db_session)
    db_session.commit()
    subscribe(db_session, app, world.steward, hook.url, events=("agreement.approved", "agreement.suspended"))
    with app.app_context():
        proposal = make_proposal(db_session, world.author, "deal_approval", S.ADOPTED, now=NOW, steward=world.steward)
        db_session.commit()
    [agreement] = fetch_all(db_session, select(Agreement).where(Agreement.proposal_id == proposal.id))
    agreement_id, proposal_id = agreement.id, proposal.id
    terms_hash, record_hash = agreement.terms_hash, agreement.record_hash
    approved_at = agreement.approved_at.strftime("%Y-%m-%dT%H:%M:%SZ")
    deliver_due(db_session, WebhookSender(app.config), now=NOW)
    [approved] = _bodies(hook, "agreement.approved")
    assert approved["data"] == {
        "agreement_id": agreement_id, "party": {"name": "Example University",
                                                "identifier": "https://university.example.org"},
        "start_date": "2027-01-01", "end_date": "2027-12-31", "terms_hash": terms_hash,
        "record_hash": record_hash, "proposal_id": proposal_id, "approved_at": approved_at}
    assert approved["links"] == {"agreement": f"{SITE}/deals/{agreement_id}",
                                 "document": f"{SITE}/deals/{agreement_id}/agreement.jsonld",
                                 "proposal": f"{SITE}/proposals/{proposal_id}"}

    client, _steward = make_logged_in_client("member", "steward")
    page = client.get(f"/deals/{agreement_id}")
    answer = client.post(f"/deals/{agreement_id}/suspend", data={"reason": "Breach of the retention limit.",
                                                               "csrf_token": csrf_token(page.data)})
    assert answer.status_code == 303
    # Sent by the request itself once it committed: no command had to run.
    [suspended] = _bodies(hook, "agreement.suspended")
    assert suspended["data"]["reason"] == "Breach of the retention limit."
    assert (suspended["data"]["by"], suspended["data"]["suspended_by_proposal_id"]) == ("steward", None)
    [delivery] = fetch_all(db_session, select(WebhookDelivery).join(WebhookEvent)
                           .where(WebhookEvent.event_type == "agreement.suspended"))
    assert delivery.attempts == 1
    assert delivery.delivered_at is not None


def test_a_suspension_by_vote_names_the_proposal(app, db_session, hook):
    steward = seed_governance(db_session)
    agreement = _agreement(db_session, start=date(2027, 1, 1), end=date(2027, 12, 31))
    db_session.commit()
    subscribe(db_session, app, steward, hook.url, events=("agreement.suspended",))
    suspend_agreement_by_vote(db_session, agreement, proposal_id=41, reason="Members voted to stop it.",
                              now=datetime(2027, 6, 1, tzinfo=UTC))
    db_session.commit()
    deliver_due(db_session, WebhookSender(app.config), now=datetime(2027, 6, 1, tzinfo=UTC))
    [body] = _bodies(hook, "agreement.suspended")
    assert (body["data"]["by"], body["data"]["suspended_by_proposal_id"]) == ("vote", 41)
    assert body["links"]["suspending_proposal"].endswith("/proposals/41")


def test_the_expiry_sweep_emits_each_expired_agreement_once(app, db_session, hook):
    steward = seed_governance(db_session)
    ending = _agreement(db_session, start=date(2027, 1, 1), end=date(2027, 12, 31))
    stopped = _agreement(db_session, start=date(2027, 1, 1), end=date(2027, 6, 30), name="Stopped Labs")
    suspend_agreement_by_vote(db_session, stopped, proposal_id=7, reason="Stopped.",
                              now=datetime(2027, 3, 1, tzinfo=UTC))
    db_session.commit()
    ending_id = ending.id
    subscribe(db_session, app, steward, hook.url, events=("agreement.expired",))

    assert emit_expired_agreements(db_session, now=datetime(2027, 12, 31, 23, 59, tzinfo=UTC)) == 0  # last day
    new_year = datetime(2028, 1, 1, 0, 0, 1, tzinfo=UTC)
    assert emit_expired_agreements(db_session, now=new_year) == 1
    db_session.commit()
    assert emit_expired_agreements(db_session, now=new_year + timedelta(hours=1)) == 0
    assert emit_expired_agreements(db_session, now=new_year + timedelta(days=400)) == 0
    db_session.commit()
    events = fetch_all(db_session, select(WebhookEvent).where(WebhookEvent.event_type == "agreement.expired"))
    assert [e.event_key for e in events] == [f"agreement.expired:{ending_id}"]  # the suspended one never expires
    deliver_due(db_session, WebhookSender(app.config), now=new_year)
    [body] = _bodies(hook, "agreement.expired")
    assert body["data"]["agreement_id"] == ending_id
    assert body["data"]["end_date"] == "2027-12-31"


def test_the_deliver_command_runs_the_sweep_once_per_agreement(app, db_session, hook):
    steward = seed_governance(db_session)
    today = utcnow().date()
    _agreement(db_session, start=today - timedelta(days=100), end=today - timedelta(days=2), name="Past Partner")
    db_session.commit()
    subscribe(db_session, app, steward, hook.url, events=("agreement.expired",))
    first = app.test_cli_runner().invoke(webhooks_cli, ["deliver"])
    assert first.exit_code == 0, first.output
    assert "1 agreement expiry event(s); delivered 1" in first.output
    second = app.test_cli_runner().invoke(webhooks_cli, ["deliver"])
    assert "0 agreement expiry event(s); delivered 0" in second.output
    [body] = _bodies(hook, "agreement.expired")
    assert body["data"]["party"]["name"] == "Past Partner"
    assert body["links"]["agreement"].startswith(SITE + "/deals/")


def test_a_decided_election_publishes_its_result(app, db_session, hook):
    setup = make_election(db_session, secrecy=Secrecy.OPEN, voters=2)
    steward, a, b = setup.voters
    post_ballot(db_session, setup.election, a, [[1, 0, 0]])
    post_ballot(db_session, setup.election, b, [[1, 0, 0]])
    db_session.commit()
    election_id, proposal_id = setup.election.id, setup.proposal.id
    watcher = make_member(db_session, "watcher@example.org", roles=("member", "steward"))
    subscribe(db_session, app, watcher, hook.url, events=("election.result",))
    now = after_close(setup)
    close_election(db_session, setup.election, now=now, actor=steward, base_url="https://coop.example")
    db_session.commit()
    deliver_due(db_session, WebhookSender(app.config), now=now)
    [body] = _bodies(hook, "election.result")
    assert body["data"]["election_id"] == election_id
    assert body["data"]["proposal_id"] == proposal_id
    assert body["data"]["outcome"] == "adopted"
    assert (body["data"]["turnout"], body["data"]["roll_size"]) == (2, 3)
    assert len(body["data"]["record_hash"]) == 64
    assert body["links"]["result"] == f"https://coop.example/elections/{election_id}/result"
    assert body["links"]["record"] == f"https://coop.example/elections/{election_id}/record.json"
