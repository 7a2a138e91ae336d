"""From an election's totals to the proposal's ``VoteResult`` (docs/elections.md, "Mapping to
VoteResult"), and reading a decided result back for the pages.

- one member, one vote, single decision: ``yes``, ``no``, ``abstain`` = the totals of the three options;
- one member, one vote, alternatives: ``scores`` = each alternative's total;
- quadratic, single decision (options "for" and "against"): ``yes`` = the votes for, ``no`` = the
  votes against, ``abstain = 0`` (a ballot with no votes still counts towards the quorum); elections
  opened before the two options existed have one option "for" with net votes S: ``yes = max(S, 0)``,
  ``no = max(-S, 0)``;
- quadratic, alternatives: ``scores`` = each alternative's net votes (negative allowed).

``turnout`` = the counted ballots (one per voter who cast), ``electorate_size`` = the roll size.
``record_hash`` is the SHA-256 of the result message (``voting.record.tally.result_hash``); the full election
record contains the outcome, so it cannot take its place (docs/record-spec.md §9).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from proposals.outcome import VoteResult
from voting.crypto.ballot import ChoiceQuestion, QuestionSpec
from voting.elections.services import QUADRATIC, SINGLE_DECISION_OPTIONS


def vote_result(*, election_id: int, method: str, specs: Sequence[QuestionSpec], alternatives: int,
                document: Mapping[str, Any], record_hash: str) -> VoteResult:
    totals = document["totals"][0]
    common = {"electorate_size": int(document["roll_size"]), "turnout": int(document["turnout"]),
              "election_id": election_id, "record_hash": record_hash}
    if alternatives >= 2:
        return VoteResult(scores=tuple(int(t) for t in totals), **common)
    spec = specs[0]
    if tuple(spec.options) == SINGLE_DECISION_OPTIONS:
        return VoteResult(yes=int(totals[0]), no=int(totals[1]), abstain=0, **common)
    if method == QUADRATIC or not isinstance(spec, ChoiceQuestion):
        net = int(totals[0])
        return VoteResult(yes=max(net, 0), no=max(-net, 0), abstain=0, **common)
    by_option = dict(zip(spec.options, (int(t) for t in totals), strict=True))
    return VoteResult(yes=by_option.get("yes", 0), no=by_option.get("no", 0), abstain=by_option.get("abstain", 0),
                      **common)


def option_rows(specs: Sequence[QuestionSpec], totals: Sequence[Sequence[int]]) -> list[list[tuple[str, int]]]:
    """``[(label, total) per option] per question`` for display."""
    labels = {"yes": "Yes", "no": "No", "abstain": "Abstain", "for": "Votes for", "against": "Votes against"}
    if any(tuple(spec.options) == ("for",) for spec in specs):
        labels["for"] = "Net votes for"
    return [[(labels.get(option, option), int(total)) for option, total in zip(spec.options, row, strict=True)]
            for spec, row in zip(specs, totals, strict=True)]
