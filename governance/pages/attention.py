"""What the home page shows a signed-in member: a registry of "attention" providers.

Each provider is ``"module:function"``; the function takes ``(session, member)`` and returns a list
of :class:`AttentionItem`. Proposals and ballots add theirs here (open ballots to vote in, drafts to
review, key ceremonies waiting for a trustee) without the home page knowing about them.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy.orm import Session

from governance.members.models import Member, Role


@dataclass(frozen=True)
class AttentionItem:
    title: str
    text: str
    url: str | None = None
    link_label: str = "Open"


Provider = Callable[[Session, Member], list[AttentionItem]]

ATTENTION_PROVIDERS: list[str] = [
    "governance.pages.attention:member_items",
    "proposals.attention:proposal_items",
    # [attention] later packages add "module:function" here
]


def member_items(session: Session, member: Member) -> list[AttentionItem]:
    from flask import url_for

    from governance.members.services import pending_invitations

    items: list[AttentionItem] = []
    if member.has_role(Role.STEWARD, Role.ADMIN):
        pending = pending_invitations(session)
        if pending:
            items.append(AttentionItem(
                "Invitations not yet accepted",
                f"{len(pending)} invited {'person has' if len(pending) == 1 else 'people have'} not joined yet.",
                url_for("members.invitations"), "See invitations"))
    return items


def attention_items(session: Session, member: Member) -> list[AttentionItem]:
    items: list[AttentionItem] = []
    for spec in ATTENTION_PROVIDERS:
        module_name, attr = spec.split(":")
        provider: Provider = getattr(importlib.import_module(module_name), attr)
        items.extend(provider(session, member))
    return items
