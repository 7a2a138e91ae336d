"""What the demo's elections are about and who votes how (played by :mod:`voting.demo.elections`).

Member keys are the demo accounts' email local parts (see ``governance.operations.demo``). Nobody
here is ``member`` (Mia, the account a visitor signs in with): her ballot is the visitor's to cast.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

from proposals.demo_content import add, formula, payout, rule
from proposals.models import ProposalState

#: Hours between bursts of casts (a signed tree head per burst, see ``voting.demo.elections.cast_votes``).
BURST_HOURS = 4
#: Demo proposals in voting whose election is an open roll call (the others are secret).
ROLL_CALLS = frozenset({"A smaller voice-credit budget for payout votes"})
#: Who votes, in this order (never ``member``, nor the suspended or invited people).
VOTERS = ("amara", "bilal", "chen", "dana", "elif", "farah", "goran", "hana", "ines", "jonas", "kofi", "lena",
          "mateo", "nadia", "oskar", "paula", "rania", "sven", "tara", "umar", "vera", "wanjiru", "ximena",
          "yusuf", "zoe", "rosa", "steward", "admin", "trustee1", "trustee2", "trustee3")

YES, NO, ABSTAIN = (1, 0, 0), (0, 1, 0), (0, 0, 1)


@dataclass(frozen=True)
class Vote:
    voter: str
    choices: tuple[int, ...]                   # one question: one number per option
    then: tuple[int, ...] | None = None        # a re-vote a few hours later (the first is superseded)
    audit_first: tuple[int, ...] | None = None  # a ballot audited (cast-or-audit) just before casting


@dataclass(frozen=True)
class ElectionStory:
    kind: str
    title: str
    summary: str
    body: dict[str, Any]
    author: str
    sponsors: tuple[str, ...]
    comments: tuple[tuple[str, str], ...]
    opens_ago: timedelta      # voting opened this long before "now"
    window: timedelta
    discussion: timedelta     # from publication to the opening of the vote
    votes: tuple[Vote, ...]
    outcome: ProposalState


def _votes(voters: tuple[str, ...], choices: list[tuple[int, ...]]) -> list[Vote]:
    return [Vote(v, c) for v, c in zip(voters, choices, strict=True)]


# The finished elections open after the demo's bylaw change was adopted (three days ago), so the
# constitution version they were decided under was in force when they opened; stewards chose a
# two-day window (the constitution's seven days are only the default).

def secret_rule_story() -> ElectionStory:
    """A data-use rule adopted by secret ballot (one member, one vote), counted by trustees 1 and 3."""
    votes = _votes(VOTERS[:20], [YES, YES, NO, YES, YES, ABSTAIN, YES, YES, YES, NO, YES, YES, YES, ABSTAIN, YES,
                                 NO, YES, YES, YES, YES])
    votes[1] = Vote("bilal", NO, then=YES)                  # changed his mind: the board shows the first superseded
    votes[4] = Vote("elif", YES, audit_first=YES)           # checked the encryption first (cast-or-audit)
    votes[7] = Vote("hana", ABSTAIN, then=YES)
    votes[10] = Vote("kofi", YES, then=NO)
    return ElectionStory(
        "data_use_rule", "No AI training on our work data",
        "Platforms train the models that price our rides, rate us and deactivate us on data like ours. Nobody "
        "should train AI models on the work data we pool: ride logs, delivery routes, app usage and vehicle "
        "telemetry. Aggregate research under our other rules stays allowed.",
        {"changes": [add(rule("no-ai-training-work-data", "prohibition",
                              ["app-usage", "delivery-routes", "ride-logs", "vehicle-telemetry"], "train_ai_model",
                              description="Our work data does not train the models that manage us."))]},
        author="goran", sponsors=("lena", "oskar"),
        comments=(("paula", "Does this stop the Open Mobility Lab study? They only compute statistics."),
                  ("goran", "No: aggregating and analysing stays allowed under the research rule; this only "
                   "prohibits training AI models."),
                  ("sven", "Good. The telemetry start-ups will come back once we collect that data.")),
        opens_ago=timedelta(hours=66), window=timedelta(hours=48), discussion=timedelta(days=9),
        votes=tuple(votes), outcome=ProposalState.ADOPTED)


def quadratic_payout_story() -> ElectionStory:
    """A payout policy chosen by secret quadratic ballot among three formulas, counted by trustees 1 and 2;
    the winner becomes the payout policy the demo's statement uses."""
    scores = [(6, -4, 3), (7, 0, -5), (5, 5, -5), (-3, 8, 0), (8, -3, -4), (4, 4, 4), (0, 6, -6), (6, 2, -3),
              (9, -4, 0), (-5, 7, 2), (5, -5, 5), (3, 0, 8), (7, 3, -2), (2, -6, 6)]
    voters = VOTERS[8:22]
    votes = _votes(voters, scores)
    votes[0] = Vote(voters[0], (0, 8, 0), then=scores[0])
    votes[4] = Vote(voters[4], scores[4], audit_first=(5, 5, 5))
    return ElectionStory(
        "payout_policy", "Count days worked, not only records",
        "Drivers' apps log a record every few seconds, couriers' apps far fewer: sharing by records favours "
        "drivers. Three formulas from the next statement on; spend your 100 voice credits for the ones you "
        "prefer and against those you reject.",
        payout(formula("Half equal, half by active days", "hybrid", equal="0.50", metric="active_days"),
               formula("Half equal, half by records (as now)", "hybrid", equal="0.50", metric="records_contributed"),
               formula("Equal split", "equal")),
        author="farah", sponsors=("ines", "wanjiru"),
        comments=(("mateo", "As a driver I lose a little under the first formula, but it is fairer to couriers."),
                  ("tara", "Active days are in the platform exports already, so nobody has to upload more.")),
        opens_ago=timedelta(hours=65), window=timedelta(hours=48), discussion=timedelta(days=15),
        votes=tuple(votes), outcome=ProposalState.ADOPTED)


# ---------------------------------------------------------------- ballots in the demo's other elections

_CHOICES = [YES, YES, NO, YES, ABSTAIN, YES, YES, NO, YES, YES, YES, YES]
_SCORES = [(6, -3, 2), (4, 5, -3), (7, 0, 1), (-2, 8, 3), (5, 5, 0), (3, -6, 4), (0, 9, -1), (6, 2, -5),
           (8, -1, 2), (2, 7, -4), (5, -4, 6), (-3, 6, 5)]


def votes_for(question: dict[str, Any], *, secret: bool, ended: bool, offset: int) -> list[Vote]:
    """Ballots for one of the demo's proposals in voting: a dozen where the window has ended (enough for
    every kind's quorum), six so far where it is still open, with a re-vote and an audited ballot."""
    count = 12 if ended else 6
    voters = [VOTERS[(offset + i) % len(VOTERS)] for i in range(count)]
    options = len(question["options"])
    quadratic = question["kind"] == "quadratic"
    picks = [s[:options] for s in _SCORES[:count]] if quadratic else _CHOICES[:count]
    if quadratic and question["options"] == ["for", "against"]:  # one side per member, no negative votes
        picks = [(max(s[0], 0), max(-s[0], 0)) for s in _SCORES[:count]]
    votes = _votes(tuple(voters), picks)
    votes[1] = Vote(voters[1], picks[2], then=picks[1])
    if secret:
        votes[3] = Vote(voters[3], picks[3], audit_first=picks[0])
    return votes


# ---------------------------------------------------------------- the trustees' README


def trustee_readme(*, directory: Path, base_url: str, waiting: dict[int, str],
                   trustees: list[tuple[int, str, str]]) -> str:
    listed = "\n".join(f"  election {eid}: {title}" for eid, title in sorted(waiting.items())) or "  (none)"
    people = "\n".join(f"  trustee {index}: {name} <{email}>  key trustee-{index}.json, token token-{index}.txt"
                       for index, email, name in trustees)
    command = "\n".join(
        f'  dataguild trustee decrypt --site {base_url} --token "$(cat {directory}/token-{j}.txt)" \\\n'
        f"      --key {directory}/trustee-{j}.json --election N" for j in (1, 2))
    return f"""Demo trustees of the dataguild demo cooperative
===============================================

DEMO ONLY. These key files are NOT protected by a passphrase and the personal API tokens are written
next to them in plain text, so that you can play the trustees yourself. A real trustee makes a key
file with a passphrase (`dataguild trustee keygen`) on their own computer, keeps the token to
themselves, and never puts either on the server.

The committee "Demo trustees" has three trustees, of whom any two can count an election (k = 2):
{people}

Each key file holds the trustee's key share from the key ceremony the demo ran (announce, deal,
confirm; see docs/trustees.md). Secret elections are encrypted to the committee's joint key; no one
ever holds the whole decryption key.

Count an election yourself
--------------------------
These elections have closed and their encrypted tallies are posted, waiting for the trustees:
{listed}

In the browser: start the demo (`dataguild demo`), sign in as trustee1@demo.coop (password
dataguild-demo), open the trustee desk ({base_url}/trustee), follow "Election #N is waiting for
your decryption" and pick trustee-1.json from this folder (leave the passphrase empty). The page
reads the file and never sends it. Then do the same as trustee2@demo.coop with trustee-2.json: that
decides the election.

Or with the command line, for one of them (N), as two of the trustees:

{command}

The first command checks that the posted tally is the sum of the ballots on the public board,
recomputes it, and posts trustee 1's partial decryptions with proofs; the second does the same for
trustee 2, which decides the election: the result and the proposal's outcome appear on
{base_url}/elections/N/result. Run the first command again to add trustee 1's co-signature to the
result certificate. Trustee 3's files work the same way. If you serve the demo at another address,
change --site.

Elections whose window is still open can be closed once it ends, by a steward (Close and count on
the election's result page) or by `dataguild count`.
"""
