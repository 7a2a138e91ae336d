"""Demo seeding for proposals: the dataset catalogue, the adopted data-use policy, and proposals of
every kind in every state, played through the real services (drafting, versions, comments,
amendments, sponsors, the lifecycle, outcomes and enactment), so that the audit log, the versions,
the policy chain and the outbox are what real use would have produced.

Each story is played on its own timeline in the past: drafted, published, discussed for at least the
constitution's minimum, voted on for its voting period, decided a few days ago. The clock only ever
moves forward within a story.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from governance.constitution.services import rules_for
from governance.members.models import Member
from governance.members.services import eligible_voter_ids_at
from governance.policy.services import add_dataset, dataset_slugs
from proposals import lifecycle, services
from proposals.demo_content import DATASETS, Amend, Story, Talk, edited
from proposals.demo_stories import stories
from proposals.lifecycle import VoteResult
from proposals.models import Amendment, Proposal, ProposalState

S = ProposalState
VOTE_OPENS = frozenset({S.VOTING, S.COUNTING, S.ADOPTED, S.REJECTED, S.NO_QUORUM})
DECIDED = frozenset({S.ADOPTED, S.REJECTED, S.NO_QUORUM})
#: Members who co-sponsor, in turn (never the author; suspended and invited people never sponsor).
SPONSOR_POOL = ("member", "amara", "bilal", "chen", "dana", "elif", "farah", "goran", "hana", "ines", "jonas",
                "kofi", "lena", "mateo", "nadia", "oskar", "paula", "rania", "sven", "tara", "umar", "vera")


def seed_catalogue(session: Session, *, steward: Member, now: datetime) -> None:
    """The cooperative's datasets (those not yet in the catalogue)."""
    present = dataset_slugs(session)
    for i, (slug, title, category, description) in enumerate(DATASETS):
        if slug not in present:
            add_dataset(session, actor=steward, slug=slug, title=title, description=description, category=category,
                        now=now + timedelta(minutes=i))


@dataclass(frozen=True)
class Timeline:
    """When each step of a story happens."""

    drafted: datetime
    published: datetime
    discussion_ends: datetime       # voting opens, or the proposal is withdrawn/cancelled, or "now"
    closes: datetime | None = None
    decided: datetime | None = None

    @classmethod
    def of(cls, story: Story, *, min_discussion: timedelta, voting: timedelta, now: datetime) -> Timeline:
        ago = timedelta(days=story.days_ago) if story.days_ago is not None else None
        state = story.state
        if state == S.DRAFT:
            drafted = now - timedelta(days=4)
            return cls(drafted, drafted, drafted)
        if state == S.DISCUSSION:
            published = now - (ago or timedelta(days=5))
            return cls(published - timedelta(days=1), published, now - timedelta(hours=2))
        if state in (S.WITHDRAWN, S.CANCELLED):
            end = now - (ago or timedelta(days=6))
            return cls(end - timedelta(days=6), end - timedelta(days=5), end)
        if state == S.VOTING:
            opened = now - timedelta(days=2)
            closes = opened + voting
        elif state == S.COUNTING:  # the window has ended; nobody has stored "counting" yet
            closes = now - timedelta(hours=5)
            opened = closes - voting
        else:
            decided = now - (ago or timedelta(days=4))
            closes = decided - timedelta(hours=1)
            opened = closes - voting
        published = opened - min_discussion - timedelta(days=1)
        decided_at = closes + timedelta(hours=1) if state in DECIDED else None
        return cls(published - timedelta(days=2), published, opened, closes, decided_at)

    def spread(self, count: int) -> list[datetime]:
        """``count`` moments spaced evenly through the discussion."""
        step = (self.discussion_ends - self.published) / (count + 1)
        return [self.published + step * (i + 1) for i in range(count)]


class _Player:
    """Plays stories for one cooperative: who is who, where the site lives, when "now" is."""

    def __init__(self, session: Session, members: Mapping[str, Member], now: datetime, base_url: str | None):
        self.session, self.members, self.now, self.base_url = session, members, now, base_url
        self._next_sponsor = 0

    def play(self, story: Story) -> Proposal:
        rules = rules_for(self.session, story.kind)
        timeline = Timeline.of(story, min_discussion=timedelta(days=rules.min_discussion_days),
                               voting=timedelta(days=rules.voting_days), now=self.now)
        author, steward = self.members[story.author], self.members[story.steward]
        proposal = self._draft(story, author, timeline)
        if story.state == S.DRAFT:
            return proposal
        lifecycle.publish(self.session, proposal, actor=author, now=timeline.published, base_url=self.base_url)
        events = self._discussion(story, proposal, author, steward, needed=rules.min_sponsors)
        for when, event in zip(timeline.spread(len(events)), events, strict=True):
            event(when)
        if story.state == S.WITHDRAWN:
            lifecycle.withdraw(self.session, proposal, actor=author, reason=story.reason, now=timeline.discussion_ends)
        elif story.state == S.CANCELLED:
            lifecycle.cancel(self.session, proposal, actor=steward, reason=story.reason,
                             now=timeline.discussion_ends)
        elif story.state in VOTE_OPENS:
            lifecycle.open_voting(self.session, proposal, actor=steward, now=timeline.discussion_ends,
                                  closes_at=timeline.closes, base_url=self.base_url)
            if story.state in DECIDED:
                assert timeline.decided is not None
                result = self._result(story, proposal, timeline.discussion_ends)
                decided = lifecycle.record_outcome(self.session, proposal, result, now=timeline.decided,
                                                   base_url=self.base_url)
                assert decided == story.state, f"{proposal.title}: the tally gave {decided}, not {story.state}"
        return proposal

    def _draft(self, story: Story, author: Member, timeline: Timeline) -> Proposal:
        first, *later = story.versions
        proposal = services.create_draft(self.session, actor=author, kind=story.kind, title=first.title,
                                         summary=first.summary, body=first.body, now=timeline.drafted)
        for i, version in enumerate(later, start=1):
            services.save_version(self.session, proposal, actor=author, title=version.title,
                                  summary=version.summary, body=version.body, note=version.note,
                                  now=timeline.drafted + timedelta(hours=6 * i))
        return proposal

    def _discussion(self, story: Story, proposal: Proposal, author: Member, steward: Member,
                    needed: int) -> list[Callable[[datetime], object]]:
        """The discussion's events in order: comments, amendments, an override, co-sponsors."""
        events: list[Callable[[datetime], object]] = []
        for talk in story.talks:
            events.extend(self._talk(proposal, talk, steward))
        for amend in story.amendments:
            events.extend(self._amend(proposal, amend, author))
        if story.override:
            events.append(lambda when: lifecycle.override_conflicts(self.session, proposal, actor=steward,
                                                                    reason=story.override, now=when))
        count = story.sponsors if story.sponsors is not None else (
            needed if story.state in VOTE_OPENS else max(needed - 1, 0))
        for sponsor in self._sponsors(author, count):
            events.append(lambda when, m=sponsor: services.sponsor(self.session, proposal, actor=m, now=when))
        return events

    def _talk(self, proposal: Proposal, talk: Talk, steward: Member) -> list[Callable[[datetime], object]]:
        posted: dict[str, object] = {}

        def comment(when: datetime) -> None:
            posted["comment"] = services.add_comment(self.session, proposal, actor=self.members[talk.author],
                                                     text=talk.text, now=when)
            if talk.edited_to:  # corrected a few minutes later, inside the edit window
                services.edit_comment(self.session, posted["comment"], actor=self.members[talk.author],
                                      text=talk.edited_to, now=when + timedelta(minutes=4))

        def reply(author: str, text: str) -> Callable[[datetime], object]:
            return lambda when: services.add_comment(self.session, proposal, actor=self.members[author], text=text,
                                                     parent_id=posted["comment"].id, now=when)

        events: list[Callable[[datetime], object]] = [comment]
        events.extend(reply(author, text) for author, text in talk.replies)
        if talk.hidden:
            events.append(lambda when: services.hide_comment(self.session, posted["comment"], actor=steward,
                                                             reason=talk.hidden, now=when))
        return events

    def _amend(self, proposal: Proposal, amend: Amend, author: Member) -> list[Callable[[datetime], object]]:
        made: dict[str, Amendment] = {}
        proposer = self.members[amend.proposer]

        def propose(when: datetime) -> None:
            latest = proposal.latest
            body = edited(latest.body, amend.edit)
            made["amendment"] = services.propose_amendment(
                self.session, proposal, actor=proposer, title=amend.title or latest.title, summary=latest.summary,
                body=body, rationale=amend.rationale, now=when)

        def decide(when: datetime) -> None:
            amendment = made["amendment"]
            if amend.decision == "accepted":
                services.accept_amendment(self.session, amendment, actor=author, now=when)
            elif amend.decision == "declined":
                services.decline_amendment(self.session, amendment, actor=author, reason=amend.reason, now=when)
            elif amend.decision == "withdrawn":
                services.withdraw_amendment(self.session, amendment, actor=proposer, now=when)

        return [propose] if amend.decision == "open" else [propose, decide]

    def _sponsors(self, author: Member, count: int) -> list[Member]:
        chosen: list[Member] = []
        while len(chosen) < count:
            member = self.members[SPONSOR_POOL[self._next_sponsor % len(SPONSOR_POOL)]]
            self._next_sponsor += 1
            if member.id != author.id and member not in chosen:
                chosen.append(member)
        return chosen

    def _result(self, story: Story, proposal: Proposal, opened: datetime) -> VoteResult:
        """A plausible tally for the story's outcome, over the members eligible when voting opened."""
        electorate = len(eligible_voter_ids_at(self.session, opened))
        if story.state == S.NO_QUORUM:
            return VoteResult(electorate_size=electorate, turnout=3, yes=2, no=1, scores=story.scores)
        turnout = electorate * 2 // 3
        if story.state == S.ADOPTED:
            return VoteResult(electorate_size=electorate, turnout=turnout, yes=turnout - 7, no=5, abstain=2,
                              scores=story.scores)
        return VoteResult(electorate_size=electorate, turnout=turnout, yes=7, no=turnout - 8, abstain=1,
                          scores=story.scores)


def seed_proposals(session: Session, *, members: Mapping[str, Member], now: datetime,
                   base_url: str | None = None) -> list[Proposal]:
    """Seed the catalogue and a proposal of every kind in every state (see :mod:`proposals.demo_stories`).
    ``members`` maps the demo accounts' email local parts to members; needs the constitution."""
    seed_catalogue(session, steward=members["steward"], now=now - timedelta(days=58))
    player = _Player(session, members, now, base_url)
    return [player.play(story) for story in stories(now.date())]
