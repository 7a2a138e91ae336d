"""Agreements: approved deals, with their provenance, signature and lifecycle after approval.

An agreement is created once, when an adopted deal proposal is enacted. Its terms are hashed
(``terms_hash`` = SHA-256 of the RFC 8785 form of the deal body) and its provenance is hashed with it::

    record_hash = SHA-256(JCS({"agreement_id", "terms_hash", "proposal_id", "election_id",
                               "election_record_hash", "approved_at"}))

with ``approved_at`` written ``YYYY-MM-DDTHH:MM:SSZ``. The cooperative signs
``agreement_message(agreement_id, record_hash)`` with its BLS key. What happens later (suspension)
is not covered by the hash: it is logged in the audit log, and the status is derived from the dates
and the suspension at the time asked about. Approval, suspension and expiry (a sweep, since nothing runs
at the moment of expiry) are announced to webhook subscribers (``webhook_events``, docs/webhooks.md).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from governance.audit.services import lock_head, record_event
from governance.members.models import Member
from governance.policy import webhook_events
from governance.policy.canonical import sha256_hex
from governance.policy.models import Agreement
from governance.policy.services import (
    MAX_REASON,
    AgreementStatus,
    PolicyError,
    _check_election,
    _check_proposal_id,
    _insert,
    _now,
    _require_steward,
    _sign,
    agreement_message,
    hash_timestamp,
)
from governance.policy.terms.bodies import AgreementRef, DealBody, Rule
from governance.policy.terms.conflicts import Conflict, deal_conflicts
from governance.policy.terms.parsing import from_json
from governance.webhooks.services import emitted_keys


def agreement_record_hash(*, agreement_id: int, terms_hash: str, proposal_id: int | None, election_id: int | None,
                          election_record_hash: str | None, approved_at: datetime) -> str:
    return sha256_hex({"agreement_id": agreement_id, "terms_hash": terms_hash, "proposal_id": proposal_id,
                       "election_id": election_id, "election_record_hash": election_record_hash,
                       "approved_at": hash_timestamp(approved_at)})


def recompute_record_hash(agreement: Agreement) -> str:
    return agreement_record_hash(agreement_id=agreement.id, terms_hash=agreement.terms_hash,
                                 proposal_id=agreement.proposal_id, election_id=agreement.election_id,
                                 election_record_hash=agreement.election_record_hash,
                                 approved_at=agreement.approved_at)


def enact_deal(session: Session, *, actor: Member | None, deal: DealBody, proposal_id: int | None,
               election_id: int | None = None, election_record_hash: str | None = None,
               now: datetime | None = None) -> Agreement:
    """Record an approved deal as an agreement: terms hashed (RFC 8785) so they cannot change unseen,
    provenance hashed with them, the record signed with the cooperative's BLS key."""
    _check_proposal_id(proposal_id)
    _check_election(election_id, election_record_hash)
    lock_head(session)
    if proposal_id is not None and session.execute(
            select(Agreement.id).where(Agreement.proposal_id == proposal_id)).first() is not None:
        raise PolicyError(f"Proposal {proposal_id} has already been enacted as an agreement.")
    terms = deal.to_json()
    when = _now(now).replace(microsecond=0)  # the record hash covers whole seconds
    agreement = Agreement(
        proposal_id=proposal_id, counterparty_name=terms["counterparty"]["name"],
        counterparty_identifier=terms["counterparty"]["identifier"], terms=terms, terms_hash=sha256_hex(terms),
        start_date=date.fromisoformat(terms["start_date"]), end_date=date.fromisoformat(terms["end_date"]),
        approved_at=when, election_id=election_id, election_record_hash=election_record_hash)
    _insert(session, agreement, PolicyError(f"Proposal {proposal_id} has already been enacted as an agreement."))
    # The id is part of the record hash, so the hash and signature follow the insert.
    agreement.record_hash = recompute_record_hash(agreement)
    agreement.signature, agreement.signing_key = _sign(session, agreement_message(agreement.id,
                                                                                  agreement.record_hash))
    session.flush()
    record_event(session, actor=actor, action="policy.agreement_approved", subject_type="agreement",
                 subject_id=agreement.id,
                 details={"agreement_id": agreement.id, "proposal_id": proposal_id,
                          "counterparty": agreement.counterparty_name,
                          "counterparty_identifier": agreement.counterparty_identifier,
                          "terms_hash": agreement.terms_hash, "start_date": terms["start_date"],
                          "end_date": terms["end_date"], "election_id": election_id,
                          "election_record_hash": election_record_hash, "record_hash": agreement.record_hash,
                          "signing_key": agreement.signing_key}, now=when)
    webhook_events.agreement_approved(session, agreement)
    return agreement


def list_agreements(session: Session) -> list[Agreement]:
    """Every agreement, newest approval first."""
    return list(session.execute(select(Agreement).order_by(Agreement.approved_at.desc(), Agreement.id.desc()))
                .scalars())


def get_agreement(session: Session, agreement_id: int) -> Agreement | None:
    return session.get(Agreement, agreement_id)


def agreement_status(agreement: Agreement, today: date) -> AgreementStatus:
    """Derived from the dates and the suspension, never stored: nothing depends on a job having run.
    Both dates are included in the term."""
    if agreement.suspended_at is not None:
        return "suspended"
    if today < agreement.start_date:
        return "upcoming"
    if today > agreement.end_date:
        return "expired"
    return "active"


def suspend_agreement(session: Session, agreement: Agreement, *, actor: Member | None, reason: str,
                      now: datetime | None = None) -> Agreement:
    """Stop an agreement before its end (a breach, a court order); the reason is public in the audit log."""
    _require_steward(actor, "suspend agreements")
    reason = (reason or "").strip()
    when = _now(now)
    if not reason:
        raise PolicyError("Give a reason for the suspension.", {"reason": "Give a reason for the suspension."})
    if len(reason) > MAX_REASON:
        raise PolicyError("The reason is too long.", {"reason": f"The reason must be at most {MAX_REASON} characters."})
    status = agreement_status(agreement, when.date())
    if status in ("suspended", "expired"):
        raise PolicyError(f"The agreement with {agreement.counterparty_name} is already {status}.")
    agreement.suspended_at = when
    agreement.suspension_reason = reason
    session.flush()
    record_event(session, actor=actor, action="policy.agreement_suspended", subject_type="agreement",
                 subject_id=agreement.id, details={"agreement_id": agreement.id, "reason": reason}, now=when)
    webhook_events.agreement_suspended(session, agreement, by_proposal_id=None)
    return agreement


def suspend_agreement_by_vote(session: Session, agreement: Agreement, *, proposal_id: int,
                              election_id: int | None = None, election_record_hash: str | None = None,
                              reason: str, now: datetime | None = None, actor: Member | None = None) -> Agreement:
    """Suspend an agreement because the members adopted a deal-suspension proposal. The vote is the
    authority, so no role is checked (``actor`` is only who recorded the outcome, for the log). An
    agreement already suspended or expired at that moment is refused with :class:`PolicyError`: the
    adopted proposal then cannot be enacted, and the caller rolls back."""
    _check_proposal_id(proposal_id)
    if proposal_id is None:
        raise PolicyError("A suspension by vote names the proposal that decided it.")
    _check_election(election_id, election_record_hash)
    reason = (reason or "").strip()
    if not reason:
        raise PolicyError("Give a reason for the suspension.", {"reason": "Give a reason for the suspension."})
    if len(reason) > MAX_REASON:
        raise PolicyError("The reason is too long.", {"reason": f"The reason must be at most {MAX_REASON} characters."})
    when = _now(now)
    lock_head(session)  # one suspension at a time (a steward's or a vote's): re-read under the lock
    session.refresh(agreement, with_for_update=True)
    status = agreement_status(agreement, when.date())
    if status in ("suspended", "expired"):
        raise PolicyError(f"The agreement with {agreement.counterparty_name} (#{agreement.id}) is already {status}; "
                          "there is nothing left to suspend.")
    agreement.suspended_at = when
    agreement.suspension_reason = reason
    agreement.suspended_by_proposal_id = proposal_id
    session.flush()
    record_event(session, actor=actor, action="policy.agreement_suspended", subject_type="agreement",
                 subject_id=agreement.id,
                 details={"agreement_id": agreement.id, "reason": reason, "by": "vote", "proposal_id": proposal_id,
                          "election_id": election_id, "election_record_hash": election_record_hash}, now=when)
    webhook_events.agreement_suspended(session, agreement, by_proposal_id=proposal_id)
    return agreement


def emit_expired_agreements(session: Session, *, now: datetime) -> int:
    """Emit ``agreement.expired`` once for each agreement whose term has ended (the day after its end
    date, UTC; a suspended agreement stays "suspended" and never expires). Nothing runs at the moment
    of expiry, so ``dataguild webhooks deliver`` calls this sweep; the event key makes it idempotent.
    Returns how many were emitted now."""
    when = _now(now)
    today = when.date()
    candidates = session.execute(select(Agreement).where(Agreement.suspended_at.is_(None), Agreement.end_date < today)
                                 .order_by(Agreement.id)).scalars().all()
    done = emitted_keys(session, [webhook_events.expired_key(a.id) for a in candidates])
    emitted = 0
    for agreement in candidates:
        if webhook_events.expired_key(agreement.id) not in done and agreement_status(agreement, today) == "expired":
            emitted += webhook_events.agreement_expired(session, agreement, now=when)
    return emitted


def agreement_refs(session: Session, today: date) -> dict[int, AgreementRef]:
    """Every agreement with its status on ``today``: what a suspension proposal is checked against."""
    return {a.id: AgreementRef(a.id, a.counterparty_name, agreement_status(a, today)) for a in list_agreements(session)}


def agreement_names(session: Session) -> dict[int, str]:
    """Agreement id → counterparty name, to describe suspension proposals in words."""
    return {row.id: row.counterparty_name for row in session.execute(
        select(Agreement.id, Agreement.counterparty_name))}


def agreement_problems(agreements: list[Agreement], *, logged: Mapping[str, Any],
                       check_signature: Any) -> list[str]:
    """Problems with stored agreements (see ``integrity.verify_policy_chain``). ``logged`` maps an
    agreement id (text) to the details the audit log recorded at approval; ``check_signature(name,
    message, signature, signing_key)`` returns the problems of one signature."""
    problems: list[str] = []
    for agreement in agreements:
        name = f"the agreement with {agreement.counterparty_name} (#{agreement.id})"
        recorded = logged.get(str(agreement.id)) or {}
        if sha256_hex(agreement.terms) != agreement.terms_hash:
            problems.append(f"{name} was changed after approval (its terms no longer match their hash)")
        if recorded.get("terms_hash") != agreement.terms_hash:
            problems.append(f"{name} does not match the terms hash the audit log recorded when it was approved")
        if recompute_record_hash(agreement) != agreement.record_hash:
            problems.append(f"{name} has a record hash that no longer matches its terms hash and provenance "
                            "(proposal, election, approval time)")
        if recorded.get("record_hash") != agreement.record_hash:
            problems.append(f"{name} does not match the record hash the audit log recorded when it was approved")
        if agreement.record_hash is not None:
            problems += check_signature(name, agreement_message(agreement.id, agreement.record_hash),
                                        agreement.signature, agreement.signing_key)
    return problems


def narrowed_agreements(agreements: list[Agreement], rules: Sequence[Rule], today: date) -> dict[int, list[Conflict]]:
    """The agreements in force or upcoming whose text is looser than ``rules`` (the data-use rules in force
    now: a rule adopted after the approval tightened a region, a duty, a cohort minimum ...), with each
    reason: the rules bind them anyway (``terms.binding``), so their terms are now narrower than their text."""
    found = {}
    for agreement in agreements:
        if agreement_status(agreement, today) in ("upcoming", "active"):
            conflicts = deal_conflicts(from_json(DealBody, agreement.terms), rules)
            if conflicts:
                found[agreement.id] = conflicts
    return found
