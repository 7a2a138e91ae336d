"""Payout services: record revenue under an agreement, upload contributions, compute a statement
with the payout policy in force, and read them back.

Services flush and never commit (the caller commits once) and audit-log every change in the same
transaction, without member amounts. Each change first takes the audit head lock, so a statement
and a revenue entry recorded at the same moment cannot miss each other: revenue recorded into a
period that already has a statement is refused, and a statement shares each revenue entry once.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal, InvalidOperation

from sqlalchemy import select
from sqlalchemy.orm import Session

from governance.audit.chain import utc
from governance.audit.services import lock_head, record_event
from governance.members.models import Member, MemberRole, MemberStatus, Role
from governance.payouts import actions as _actions  # noqa: F401  (registers the audit action descriptions)
from governance.payouts.compute import compute_payout
from governance.payouts.csv_import import ALIAS_RE, ContributionCsvError, amount_text, parse_contributions
from governance.payouts.models import Contribution, ContributionUpload, PayoutLine, PayoutStatement, RevenueEntry
from governance.payouts.statement import statement_document
from governance.policy.canonical import sha256_hex
from governance.policy.models import Agreement
from governance.policy.services import PAYOUT, current_policy_version
from governance.policy.terms.bodies import PayoutFormula
from governance.policy.terms.fields import MAX_MONEY
from governance.policy.terms.parsing import from_json
from governance.policy.terms.vocabulary import CONTRIBUTION_METRICS

MANAGERS = (Role.STEWARD, Role.ADMIN)
MAX_NOTE = 2000
MAX_PERIOD_DAYS = 366 * 5


class PayoutError(ValueError):
    """Bad input or a refused action; nothing was written. ``errors`` maps a field name or ""
    (the whole request) to a sentence for people."""

    def __init__(self, message: str, errors: Mapping[str, str] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.errors: dict[str, str] = dict(errors or {"": message})


class NotPermitted(PayoutError):
    pass


def can_manage(member: Member | None) -> bool:
    return member is not None and member.has_role(*MANAGERS)


def _require_manager(actor: Member | None, doing: str) -> None:
    """Stewards and admins handle money; ``None`` is the system (CLI, demo)."""
    if actor is not None and not can_manage(actor):
        raise NotPermitted(f"Only stewards may {doing}.")


def _now(now: datetime | None) -> datetime:
    return utc(now or datetime.now(UTC)).replace(microsecond=0)


def _period_errors(start: date | None, end: date | None) -> dict[str, str]:
    errors = {}
    if start is None:
        errors["period_start"] = "Give the first day of the period."
    if end is None:
        errors["period_end"] = "Give the last day of the period."
    if start and end and end < start:
        errors["period_end"] = "The period must end on or after its first day."
    elif start and end and (end - start).days > MAX_PERIOD_DAYS:
        errors["period_end"] = "A period can be at most five years long."
    return errors


def _check_period(start: date | None, end: date | None) -> None:
    errors = _period_errors(start, end)
    if errors:
        raise PayoutError("Check the period.", errors)


def _statement_covering(session: Session, start: date, end: date) -> PayoutStatement | None:
    stmt = select(PayoutStatement).where(PayoutStatement.period_start <= end, PayoutStatement.period_end >= start)
    return session.execute(stmt.order_by(PayoutStatement.id).limit(1)).scalar_one_or_none()


# ---------------------------------------------------------------- revenue


def parse_money_cents(text: str | None) -> int:
    """``"1234.5"`` → ``123450``; raises PayoutError (field ``amount``) for anything else."""
    raw = (text or "").strip()
    try:
        amount = Decimal(raw)
    except InvalidOperation:
        amount = None
    if not raw:
        message = "Give the amount received."
    elif amount is None or not amount.is_finite() or any(c in raw for c in "eE,_ "):
        message = f"'{raw[:40]}' is not an amount; write it like 1200 or 1200.50."
    elif amount <= 0:
        message = "The amount must be more than zero."
    elif amount.as_tuple().exponent < -2:  # type: ignore[operator]
        message = "The amount can have at most 2 decimal places (cents)."
    elif amount > MAX_MONEY:
        message = f"The amount must be at most {MAX_MONEY:,}."
    else:
        return int(amount * 100)
    raise PayoutError(message, {"amount": message})


def record_revenue(session: Session, *, actor: Member | None, agreement_id: int | None, amount: str | None,
                   received_on: date | None, note: str = "", now: datetime | None = None) -> RevenueEntry:
    """Money received under an agreement, in the agreement's currency."""
    _require_manager(actor, "record revenue")
    when = _now(now)
    errors: dict[str, str] = {}
    agreement = session.get(Agreement, agreement_id) if agreement_id else None
    if agreement is None:
        errors["agreement_id"] = "Choose the agreement the money was received under."
    try:
        cents = parse_money_cents(amount)
    except PayoutError as exc:
        errors.update(exc.errors)
    if received_on is None:
        errors["received_on"] = "Give the date the money was received."
    elif received_on > when.date():
        errors["received_on"] = "The date received cannot be in the future."
    note = (note or "").strip()
    if len(note) > MAX_NOTE:
        errors["note"] = f"The note must be at most {MAX_NOTE} characters."
    if errors:
        raise PayoutError("Check the revenue entry.", errors)
    assert agreement is not None
    assert received_on is not None
    lock_head(session)
    covering = _statement_covering(session, received_on, received_on)
    if covering is not None:
        message = (f"The statement for {covering.period_start.isoformat()} to {covering.period_end.isoformat()} "
                   "has already been computed; record this revenue with a date in a period without a statement.")
        raise PayoutError(message, {"received_on": message})
    entry = RevenueEntry(agreement_id=agreement.id, amount_cents=cents, currency=agreement.terms["currency"],
                         received_on=received_on, note=note, recorded_by_id=actor.id if actor else None,
                         recorded_at=when)
    session.add(entry)
    session.flush()
    record_event(session, actor=actor, action="payout.revenue_recorded", subject_type="revenue_entry",
                 subject_id=entry.id,
                 details={"revenue_entry_id": entry.id, "agreement_id": agreement.id, "amount_cents": cents,
                          "currency": entry.currency, "received_on": received_on.isoformat()}, now=when)
    return entry


# ---------------------------------------------------------------- contributions


def _member_resolver(session: Session):
    members = list(session.execute(select(Member)).scalars())
    by_email = {member.email: member for member in members}
    by_id = {member.id: member for member in members}

    def resolve(identifier: str) -> int | str:
        alias = ALIAS_RE.match(identifier.lower())
        member = by_id.get(int(alias.group(1))) if alias else by_email.get(identifier.lower())
        if member is None:
            return f"'{identifier[:80]}' is not a member of the cooperative (unknown email address or alias)."
        if member.status == MemberStatus.INVITED:
            return f"'{identifier[:80]}' has been invited but has not joined, so cannot be paid."
        if not member.has_role(Role.MEMBER):
            return f"'{identifier[:80]}' is not a member of the cooperative (the account has no member role)."
        return member.id

    return resolve


def upload_contributions(session: Session, *, actor: Member | None, period_start: date | None,
                         period_end: date | None, metric: str | None, filename: str, data: bytes | None,
                         now: datetime | None = None) -> ContributionUpload:
    """Store every row of a contributions CSV, or nothing (``PayoutError`` with every problem; those
    of the file's rows under ``file``). ``data`` None means no file was chosen."""
    _require_manager(actor, "upload contributions")
    errors = _period_errors(period_start, period_end)
    if metric not in CONTRIBUTION_METRICS:
        errors["metric"] = "Choose the contribution metric."
    if data is None:
        errors["file"] = "Choose the CSV file to upload."
    if errors:
        raise PayoutError("Check the upload.", errors)
    assert data is not None
    assert metric is not None
    try:
        rows = parse_contributions(data, metric=metric, resolve=_member_resolver(session))
    except ContributionCsvError as exc:
        raise PayoutError("The contributions file cannot be used.", {"file": " ".join(exc.errors)}) from None
    when = _now(now)
    lock_head(session)
    upload = ContributionUpload(period_start=period_start, period_end=period_end, metric=metric,
                                filename=(filename or "")[:255], content_sha256=hashlib.sha256(data).hexdigest(),
                                row_count=len(rows), uploaded_by_id=actor.id if actor else None, uploaded_at=when)
    session.add(upload)
    session.flush()
    session.add_all(Contribution(upload_id=upload.id, member_id=row.member_id, metric=metric,
                                 amount=amount_text(row.amount), line_number=row.line_number) for row in rows)
    session.flush()
    assert period_start is not None
    assert period_end is not None
    record_event(session, actor=actor, action="payout.contributions_uploaded", subject_type="contribution_upload",
                 subject_id=upload.id,
                 details={"upload_id": upload.id, "period_start": period_start.isoformat(),
                          "period_end": period_end.isoformat(), "metric": metric, "rows": len(rows),
                          "content_sha256": upload.content_sha256}, now=when)
    return upload


def latest_upload(session: Session, start: date, end: date, metric: str | None) -> ContributionUpload | None:
    """The newest upload for exactly this period (and ``metric``, when given)."""
    stmt = select(ContributionUpload).where(ContributionUpload.period_start == start,
                                            ContributionUpload.period_end == end)
    if metric is not None:
        stmt = stmt.where(ContributionUpload.metric == metric)
    return session.execute(stmt.order_by(ContributionUpload.id.desc()).limit(1)).scalar_one_or_none()


def _active_member_ids(session: Session) -> list[int]:
    stmt = (select(Member.id).join(MemberRole, MemberRole.member_id == Member.id)
            .where(Member.status == MemberStatus.ACTIVE, MemberRole.role == Role.MEMBER))
    return sorted(set(session.execute(stmt).scalars()))


# ---------------------------------------------------------------- statements


@dataclass(frozen=True)
class _Participants:
    contributions: dict[int, Decimal]
    upload: ContributionUpload | None
    source: str


def _participants(session: Session, start: date, end: date, method: str, metric: str | None) -> _Participants:
    upload = latest_upload(session, start, end, None if method == "equal" else metric)
    if upload is not None:
        rows = session.execute(select(Contribution).where(Contribution.upload_id == upload.id)).scalars()
        return _Participants({row.member_id: Decimal(row.amount) for row in rows}, upload, "upload")
    if method != "equal":
        words = CONTRIBUTION_METRICS.get(metric or "", metric or "").lower()
        message = (f"The payout policy in force shares revenue by {words}: upload the contributions for "
                   f"{start.isoformat()} to {end.isoformat()} first.")
        raise PayoutError(message)
    return _Participants({member_id: Decimal(0) for member_id in _active_member_ids(session)}, None,
                         "active_members")


def compute_statement(session: Session, *, actor: Member | None, period_start: date | None,
                      period_end: date | None, now: datetime | None = None) -> PayoutStatement:
    """Share the revenue received in the period under the payout policy in force, and store the
    statement (immutable) with one line per member."""
    _require_manager(actor, "compute payout statements")
    _check_period(period_start, period_end)
    assert period_start is not None
    assert period_end is not None
    when = _now(now)
    lock_head(session)
    version = current_policy_version(session, PAYOUT)
    if version is None:
        raise PayoutError("No payout policy has been adopted yet, so there is no formula to compute payouts with. "
                          "Members adopt one by voting on a payout policy proposal.")
    covering = _statement_covering(session, period_start, period_end)
    if covering is not None:
        raise PayoutError(f"Statement #{covering.id} already covers {covering.period_start.isoformat()} to "
                          f"{covering.period_end.isoformat()}; periods of statements cannot overlap.",
                          {"period_start": "This period overlaps a statement that has already been computed."})
    entries = list(session.execute(
        select(RevenueEntry).where(RevenueEntry.received_on >= period_start, RevenueEntry.received_on <= period_end,
                                   RevenueEntry.statement_id.is_(None)).order_by(RevenueEntry.id)).scalars())
    if not entries:
        raise PayoutError(f"No revenue was recorded as received between {period_start.isoformat()} and "
                          f"{period_end.isoformat()}; there is nothing to share.")
    currencies = sorted({entry.currency for entry in entries})
    if len(currencies) > 1:
        raise PayoutError(f"The revenue of this period is in several currencies ({', '.join(currencies)}); "
                          "compute a statement per currency by choosing periods that separate them.")
    formula = from_json(PayoutFormula, version.document["formula"])
    people = _participants(session, period_start, period_end, formula.method, formula.metric)
    result = compute_payout(formula, sum(entry.amount_cents for entry in entries), people.contributions,
                            currency=currencies[0])
    upload_json = None if people.upload is None else {
        "id": people.upload.id, "metric": people.upload.metric, "content_sha256": people.upload.content_sha256,
        "rows": people.upload.row_count}
    document = statement_document(
        period_start=period_start, period_end=period_end, currency=currencies[0], policy_number=version.number,
        policy_hash=version.document_hash, formula_json=version.document["formula"],
        revenue=[{"id": e.id, "agreement_id": e.agreement_id, "amount_cents": e.amount_cents,
                  "received_on": e.received_on.isoformat()} for e in entries],
        upload=upload_json, participants_from=people.source, result=result, computed_at=when)
    statement = PayoutStatement(
        period_start=period_start, period_end=period_end, policy_version_number=version.number,
        policy_document_hash=version.document_hash, upload_id=people.upload.id if people.upload else None,
        currency=currencies[0], revenue_cents=result.revenue_cents, reserve_cents=result.reserve_cents,
        operating_cost_cents=result.operating_cost_cents, distributable_cents=result.distributable_cents,
        distributed_cents=result.distributed_cents, document=document, document_hash=sha256_hex(document),
        computed_at=when, computed_by_id=actor.id if actor else None)
    session.add(statement)
    session.flush()
    session.add_all(PayoutLine(statement_id=statement.id, member_id=line["member_id"],
                               amount_cents=line["amount_cents"], contribution=line["contribution"],
                               explanation=line["explanation"]) for line in document["lines"])
    for entry in entries:
        entry.statement_id = statement.id
    session.flush()
    record_event(session, actor=actor, action="payout.statement_computed", subject_type="payout_statement",
                 subject_id=statement.id,
                 details={"statement_id": statement.id, "period_start": period_start.isoformat(),
                          "period_end": period_end.isoformat(), "policy_version": version.number,
                          "currency": statement.currency, "revenue_cents": statement.revenue_cents,
                          "reserve_cents": statement.reserve_cents,
                          "operating_cost_cents": statement.operating_cost_cents,
                          "distributed_cents": statement.distributed_cents, "members": len(document["lines"]),
                          "minimum_honoured": result.minimum_honoured, "document_hash": statement.document_hash},
                 now=when)
    return statement


def statement_intact(statement: PayoutStatement) -> bool:
    """The stored document still hashes to the stored hash."""
    return sha256_hex(statement.document) == statement.document_hash


# ---------------------------------------------------------------- reading


def list_revenue(session: Session) -> list[RevenueEntry]:
    return list(session.execute(select(RevenueEntry).order_by(RevenueEntry.received_on.desc(),
                                                              RevenueEntry.id.desc())).scalars())


def list_uploads(session: Session) -> list[ContributionUpload]:
    return list(session.execute(select(ContributionUpload).order_by(ContributionUpload.id.desc())).scalars())


def list_statements(session: Session) -> list[PayoutStatement]:
    return list(session.execute(select(PayoutStatement).order_by(PayoutStatement.period_end.desc(),
                                                                 PayoutStatement.id.desc())).scalars())


def statement_lines(session: Session, statement: PayoutStatement) -> list[tuple[PayoutLine, Member]]:
    stmt = (select(PayoutLine, Member).join(Member, Member.id == PayoutLine.member_id)
            .where(PayoutLine.statement_id == statement.id).order_by(Member.name, Member.id))
    return [(line, member) for line, member in session.execute(stmt)]


def own_line(session: Session, statement: PayoutStatement, member: Member) -> PayoutLine | None:
    stmt = select(PayoutLine).where(PayoutLine.statement_id == statement.id, PayoutLine.member_id == member.id)
    return session.execute(stmt).scalar_one_or_none()


def member_lines(session: Session, member: Member) -> list[tuple[PayoutLine, PayoutStatement]]:
    """A member's own lines, newest statement first."""
    stmt = (select(PayoutLine, PayoutStatement).join(PayoutStatement, PayoutStatement.id == PayoutLine.statement_id)
            .where(PayoutLine.member_id == member.id)
            .order_by(PayoutStatement.period_end.desc(), PayoutStatement.id.desc()))
    return [(line, statement) for line, statement in session.execute(stmt)]


def people_of(session: Session, statement: PayoutStatement) -> dict[int, tuple[str, str]]:
    """Member id → (name, email) for the members of a statement (for the stewards' CSV)."""
    return {member.id: (member.name, member.email) for _line, member in statement_lines(session, statement)}
