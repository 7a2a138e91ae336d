"""The demo cooperative's proposals: one story for each kind in each state (see
:mod:`proposals.demo_content` for the building blocks)."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from proposals.demo_content import (
    RESEARCH_DATASETS,
    Amend,
    S,
    Story,
    Talk,
    Version,
    add,
    bylaw,
    change,
    deal,
    duty,
    formula,
    payout,
    remove,
    rule,
)

# ---------------------------------------------------------------- data-use rules

RESEARCH = rule("research-aggregate", "permission", RESEARCH_DATASETS, "aggregate", purposes=["AcademicResearch"],
                cohort=50, retention=365, duties=[duty("delete_after", 365), duty("report_every", 180)],
                description="Universities may analyse our work data in aggregate, never member by member.")
NO_GENAI = rule("no-genai-written-works", "prohibition", ["written-works"], "train_generative_model",
                description="Our writing is not training material for text generators.")
NO_SALE = rule("no-sale", "prohibition", ["*"], "sell", description="We license uses; we never sell copies.")


def _research(*, constraints: dict[str, Any] | None = None, **fields: Any) -> dict[str, Any]:
    """The research permission in force (Chen's attribution amendment to the founding rules, then the
    European processing adopted later), with changes."""
    adopted = {**RESEARCH, "duties": [*RESEARCH["duties"], {"kind": "attribute"}],
               "constraints": {**RESEARCH["constraints"], "regions": ["EEA"]}}
    return {**adopted, **fields, "constraints": {**adopted["constraints"], **(constraints or {})}}


def _set_cohort(value: int):
    def edit(body: dict[str, Any]) -> None:
        body["changes"][0]["rule"]["constraints"]["min_cohort_size"] = value
    return edit


def _add_attribution(body: dict[str, Any]) -> None:
    body["changes"][0]["rule"]["duties"].append({"kind": "attribute"})


def _founding() -> Story:
    summary = ("The rules every deal of the cooperative must respect, until members change them:\n\n"
               "- universities may analyse our work data in aggregate, in groups of at least 50 members, and must "
               "delete it after a year;\n- nobody trains generative AI on our members' writing;\n"
               "- we never sell copies of our data.")
    first = Version("Founding data-use rules", summary.replace("\n- we never sell copies of our data.", ""),
                    {"changes": [add(RESEARCH), add(NO_GENAI)]})
    return Story(
        "data_use_rule", S.ADOPTED, "steward", key="founding-rules", days_ago=38,
        versions=(first, Version("Founding data-use rules", summary,
                                 {"changes": [add(RESEARCH), add(NO_GENAI), add(NO_SALE)]},
                                 note="Added the ban on selling copies, as agreed at the founding assembly.")),
        talks=(Talk("amara", "Fifty drivers per group is the minimum our statistician advised: below that, "
                    "someone who knows the city can guess who drove where.",
                    replies=(("steward", "Yes, that is where the 50 comes from. The survey team can tell more."),
                             ("chen", "Could we make it 100 for the health data later? Heart rates are more "
                              "personal than ride logs."))),
               Talk("hana", "As a translator I am very glad about the generative-AI ban. Publishers already ask "
                    "us to sign clauses allowing it.")),
        amendments=(Amend("chen", "Researchers should name the cooperative as the source; it helps us "
                          "recruit members.", _add_attribution, "accepted"),
                    Amend("amara", "Let us start stricter: 100 per group, we can lower it later.", _set_cohort(100),
                          "declined", reason="The researchers we talked to cannot work with groups of 100 in "
                          "smaller cities; 50 is what our statistician recommends.")),
        scores=())


def _research_in_europe() -> Story:
    """The second version of the data-use policy: a change to a rule in force, so the policy history
    has something to compare."""
    return Story(
        "data_use_rule", S.ADOPTED, "ines", days_ago=12, versions=(
            Version("Research data stays in Europe",
                    "Researchers may process our work data only inside the European Economic Area, where our "
                    "members can enforce the GDPR. A lab in the US asked last month; this makes the answer clear.",
                    {"changes": [change(_research())]}),),
        talks=(Talk("jonas", "Does this stop a Norwegian university? Norway is not in the EU.",
                    replies=(("ines", "No: the EEA includes Norway, Iceland and Liechtenstein."),)),))


def rule_stories() -> list[Story]:
    return [
        _founding(),
        _research_in_europe(),
        Story("data_use_rule", S.DRAFT, "rosa", versions=(
            Version("Let public transport planners analyse delivery routes",
                    "The city's transport department wants to know where couriers wait and where bike lanes are "
                    "missing.", {"changes": [add(rule(
                        "public-mobility-planning", "permission", ["delivery-routes"], "aggregate",
                        purposes=["ImproveTransportMobility"], cohort=100, retention=180,
                        assignee={"type": "category", "value": "public_body"}))]}),
            Version("Let public transport planners analyse delivery and ride routes",
                    "The city's transport department wants to know where couriers and drivers wait, and where "
                    "bike lanes and pick-up bays are missing. Only inside the EU, groups of at least 100.",
                    {"changes": [add(rule(
                        "public-mobility-planning", "permission", ["delivery-routes", "ride-logs"], "aggregate",
                        purposes=["ImproveTransportMobility"], cohort=100, retention=180, regions=["EU"],
                        assignee={"type": "category", "value": "public_body"},
                        duties=[{"kind": "attribute"}]))]},
                    note="Ride logs too, EU only, attribution."))),
        Story("data_use_rule", S.DISCUSSION, "amara", versions=(
            Version("Raise the minimum research cohort to 100",
                    "Two papers last year re-identified drivers in groups of 60 using public taxi-rank cameras. "
                    "Let us double the minimum group size for research.",
                    {"changes": [change(_research(constraints={"min_cohort_size": 100}))]}),),
            talks=(Talk("bilal", "Do we know whether the researchers can still work with 100? In my town there "
                        "are only 80 of us.", replies=(("amara", "Good point. Maybe 75 is a compromise."),
                                                       ("dana", "Smaller towns could be pooled by region."))),
                   Talk("yusuf", "Who cares, just sell everything to the highest bidder. Call my cousin on "
                        "+49 151 2345678 for a quick deal.",
                        hidden="Contains another person's phone number. The opinion itself is welcome if posted "
                        "again without it."),
                   Talk("elif", "I support 100. Privacy first.", edited_to="I support 100: privacy first, and "
                        "researchers can pool regions.")),
            amendments=(Amend("bilal", "75 keeps small towns in the studies and still doubles the safety margin "
                              "of the re-identification papers.", _set_cohort(75)),
                        Amend("chen", "Go all the way to 500; nobody can be singled out then.", _set_cohort(500),
                              "declined", reason="500 would end every study outside the three biggest cities.")),
            sponsors=1),
        Story("data_use_rule", S.VOTING, "chen", versions=(
            Version("No sharing of health wearable data with companies",
                    "Insurers have approached members directly. The cooperative should never pass wearable data to "
                    "commercial companies, whatever they pay.",
                    {"changes": [add(rule("no-health-sharing-commercial", "prohibition", ["health-wearables"],
                                          "share", assignee={"type": "category", "value": "commercial"}))]}),),
            amendments=(Amend("farah", "The survey also asks about injuries: the same protection should apply.",
                              lambda body: body["changes"][0]["rule"].update(
                                  datasets=["health-wearables", "shift-surveys"]), "accepted",
                              title="No sharing of health data with companies"),),
            talks=(Talk("ines", "Fully agree. My insurer offered a discount for my step counts; no thanks."),)),
        Story("data_use_rule", S.COUNTING, "dana", versions=(
            Version("Let non-profits analyse the working-conditions survey",
                    "Unions and NGOs want to use our survey for their campaigns on safe working hours.",
                    {"changes": [add(rule("ngo-survey-analysis", "permission", ["shift-surveys"], "aggregate",
                                          purposes=["NonCommercialResearch"], cohort=30, retention=730,
                                          assignee={"type": "category", "value": "nonprofit"},
                                          duties=[{"kind": "attribute"}, duty("report_every", 365)]))]}),)),
        Story("data_use_rule", S.REJECTED, "elif", days_ago=12, versions=(
            Version("Allow commercial research on app usage",
                    "Platforms pay well for studies of how drivers use their apps. Let companies analyse our "
                    "app-usage data in large groups, for research only.",
                    {"changes": [add(rule("commercial-app-research", "permission", ["app-usage"], "aggregate",
                                          purposes=["CommercialResearch"], cohort=200, retention=90,
                                          assignee={"type": "category", "value": "commercial"}))]}),),
            talks=(Talk("goran", "This helps the platforms tune the very algorithms that deactivate us.",
                        replies=(("elif", "The money would fund the legal help desk, though."),)),)),
        Story("data_use_rule", S.NO_QUORUM, "farah", days_ago=20, versions=(
            Version("Researchers must accept audits",
                    "Every research permission should let the cooperative audit how the data is used.",
                    {"changes": [change(_research(duties=[*_research()["duties"], {"kind": "submit_to_audit"}]))]}),
        )),
        Story("data_use_rule", S.WITHDRAWN, "goran", days_ago=9, versions=(
            Version("Lift the ban on selling data",
                    "Selling anonymised copies could bring in more than licences.",
                    {"changes": [remove("no-sale")]}),),
            talks=(Talk("kofi", "Once a copy is sold we lose every say over it. Against."),
                   Talk("lena", "Licences can be ended, sales cannot. Please don't.")),
            reason="The discussion made clear that selling copies is off the table; I will propose a narrower "
                   "licence instead.", sponsors=0),
        Story("data_use_rule", S.CANCELLED, "hana", days_ago=16, versions=(
            Version("Allow AI training on vehicle telemetry",
                    "Driver-assistance start-ups want to train models on our braking and speed data.",
                    {"changes": [add(rule("telemetry-ai-training", "permission", ["vehicle-telemetry"],
                                          "train_ai_model", purposes=["CommercialResearch"], cohort=100,
                                          retention=365))]}),),
            reason="The telemetry dataset is only collected from 2027; stewards will bring this back once members "
                   "have seen what it holds.", sponsors=1),
    ]


# ---------------------------------------------------------------- deals


def _raise_price(price: str):
    def edit(body: dict[str, Any]) -> None:
        body["price"] = price
    return edit


def deal_stories(today: date) -> list[Story]:
    def on(days: int) -> date:
        return today + timedelta(days=days)

    academic = [("aggregate", ["AcademicResearch"])]
    lisbon = deal("University of Lisbon, Platform Work Lab", "https://platformwork.example.edu", "academic",
                  ["app-usage", "earnings-statements"], academic, price="15000.00", schedule="quarterly",
                  start=on(30), end=on(395), contact="lab@platformwork.example.edu", regions=["PT"],
                  notes="Study of how platform fees changed after the 2026 pay reform.")
    return [
        Story("deal_approval", S.DRAFT, "steward", versions=(
            Version("Deal: Nordic Transport Institute, courier route study",
                    "Route data for a study of courier safety at junctions.",
                    deal("Nordic Transport Institute", "https://nti.example.org", "academic", ["delivery-routes"],
                         academic, price="8000.00", start=on(60), end=on(240), regions=["EEA"])),
            Version("Deal: Nordic Transport Institute, courier route study",
                    "Route data for a study of courier safety at junctions. The institute accepted our usual "
                    "fee for six months of data.",
                    deal("Nordic Transport Institute", "https://nti.example.org", "academic", ["delivery-routes"],
                         academic, price="8500.00", start=on(60), end=on(240), regions=["EEA"],
                         contact="research@nti.example.org"), note="Price as negotiated on the phone."))),
        Story("deal_approval", S.DISCUSSION, "rosa", steward="steward", versions=(
            Version("Deal: Quillstream AI, licence to train a writing assistant",
                    "Quillstream offers 250,000 EUR a year to fine-tune its writing assistant on our members' "
                    "articles and stories. This deal conflicts with our rule against generative-AI training on "
                    "written works: it can only go to vote with a rule change, or a steward's override.",
                    deal("Quillstream AI Ltd", "https://quillstream.example", "commercial", ["written-works"],
                         [("train_generative_model", ["ImproveExistingProductsAndServices"])], price="250000.00",
                         schedule="yearly", start=on(45), end=on(45 + 3 * 365), prohibited=("sell",),
                         retention=None, cohort=None, reporting=365, audit=False,
                         contact="partnerships@quillstream.example",
                         notes="Quillstream would credit the cooperative in its model card.")),),
            talks=(Talk("hana", "This is exactly what our founding rules exclude. No.",
                        replies=(("rosa", "I put it up so that members can decide openly rather than stewards "
                                  "saying no behind closed doors."),
                                 ("ximena", "Thank you for that, Rosa. Still no from me."))),
                   Talk("mateo", "250k a year is more than all research deals together. Could writers opt in "
                        "individually?")),
            sponsors=1),
        Story("deal_approval", S.VOTING, "steward", versions=(
            Version("Deal: University of Lisbon, platform fee study",
                    "Earnings statements and app usage for a study of platform fees, in groups of at least 50, "
                    "deleted after a year, with a report every quarter.", lisbon),),
            amendments=(Amend("ines", "Similar studies paid 18,000 EUR; we should not undersell.",
                              _raise_price("18000.00"), "accepted"),),
            talks=(Talk("jonas", "Will the lab publish the results openly?",
                        replies=(("steward", "Yes, open access, and they will present them at our assembly."),)),)),
        Story("deal_approval", S.COUNTING, "rosa", steward="steward", override=(
            "Members asked at the assembly to decide on this study directly: it is about heat stress at work. "
            "A matching rule for health research is being drafted."), versions=(
            Version("Deal: Regional Occupational Health Service, heat-stress study",
                    "Wearable data of members who opted in, to study heat stress during summer shifts.",
                    deal("Regional Occupational Health Service", "https://occupational-health.example.gov",
                         "public_body", ["health-wearables"], [("aggregate", ["ImproveHealthcare"])],
                         price="6000.00", start=on(20), end=on(200), retention=180, cohort=100,
                         contact="heatstudy@occupational-health.example.gov")),)),
        Story("deal_approval", S.ADOPTED, "steward", days_ago=6, versions=(
            Version("Deal: Open Mobility Lab, working hours of ride-hailing drivers",
                    "Ride logs for a two-year study of working hours, in groups of at least 50, deleted after a "
                    "year, quarterly reports, open to our audit.",
                    deal("Open Mobility Lab", "https://openmobility.example.edu", "academic", ["ride-logs"],
                         academic, price="12000.00", start=today - timedelta(days=3), end=on(362), regions=["EEA"],
                         contact="data@openmobility.example.edu")),),
            talks=(Talk("kofi", "A fair price and strict terms. I am in favour."),)),
        # Approved a month ago for a four-week pilot: enacted then (the story's clock is in the past), so
        # the agreement's dates have passed and it is expired today.
        Story("deal_approval", S.ADOPTED, "rosa", steward="steward", days_ago=30, versions=(
            Version("Deal: Urban Freight Lab, four-week courier pilot",
                    "Delivery routes of four weeks for a pilot study of waiting times at restaurants, in groups "
                    "of at least 50, deleted after a year.",
                    deal("Urban Freight Lab", "https://urbanfreight.example.edu", "academic", ["delivery-routes"],
                         academic, price="3000.00", start=on(-29), end=on(-2), regions=["EEA"],
                         contact="pilot@urbanfreight.example.edu")),),
            talks=(Talk("farah", "Four weeks is short, but the waiting times are exactly what we complain about."),)),
        Story("deal_approval", S.REJECTED, "rosa", days_ago=14, versions=(
            Version("Deal: Gig Economy Observatory, five years of earnings data",
                    "Earnings statements for a long-term panel; the observatory offers 2,000 EUR.",
                    deal("Gig Economy Observatory", "https://gig-observatory.example.org", "academic",
                         ["earnings-statements"], academic, price="2000.00", start=on(-10), end=on(355),
                         regions=["EEA"])),),
            talks=(Talk("nadia", "2,000 EUR for our pay slips is far too little."),)),
        Story("deal_approval", S.NO_QUORUM, "steward", days_ago=24, versions=(
            Version("Deal: Institute for Labour Studies, app usage panel",
                    "App usage for a study of offer rejection rates.",
                    deal("Institute for Labour Studies", "https://labour-studies.example.edu", "academic",
                         ["app-usage"], academic, price="9000.00", start=on(-20), end=on(160), regions=["EEA"])),)),
        Story("deal_approval", S.WITHDRAWN, "rosa", days_ago=10, versions=(
            Version("Deal: Routewise GmbH, route optimisation licence",
                    "Routewise wants our delivery routes to improve its dispatch software.",
                    deal("Routewise GmbH", "https://routewise.example.com", "commercial", ["delivery-routes"],
                         [("aggregate", ["ImproveExistingProductsAndServices"])], price="40000.00",
                         schedule="yearly", start=on(30), end=on(395), retention=730)),),
            reason="Routewise would not accept deleting the data after a year.", sponsors=0),
        Story("deal_approval", S.CANCELLED, "steward", steward="rosa", days_ago=18, versions=(
            Version("Deal: CityPulse Analytics, ride demand study",
                    "CityPulse wants to study ride demand around events.",
                    deal("CityPulse Analytics", "https://citypulse.example.com", "academic", ["ride-logs"],
                         academic, price="7000.00", start=on(10), end=on(190), regions=["EEA"])),),
            reason="CityPulse turned out to be a marketing agency, not a research institute; the counterparty "
                   "category was wrong.", sponsors=1),
    ]


# ---------------------------------------------------------------- payout policy

def _reserve(value: str):
    def edit(body: dict[str, Any]) -> None:
        for alternative in body["alternatives"]:
            alternative["reserve_fraction"] = value
    return edit


def payout_stories() -> list[Story]:
    hybrid = formula("Half equal, half by records", "hybrid", equal="0.50", metric="records_contributed")
    return [
        Story("payout_policy", S.DRAFT, "admin", versions=(
            Version("A minimum payout for every member", "Everyone gets at least 5 EUR from each deal.",
                    payout(formula("Equal split with a minimum", "equal", minimum="5.00"))),)),
        Story("payout_policy", S.DISCUSSION, "jonas", versions=(
            Version("Reward long-standing members",
                    "Members who have contributed for years carry the cooperative; let payouts reflect it.",
                    payout(formula("By months of membership", "pro_rata", metric="membership_months"),
                           formula("Half equal, half by months", "hybrid", equal="0.50",
                                   metric="membership_months"))),),
            amendments=(Amend("lena", "A bigger reserve lets us pay lawyers when a platform sues.", _reserve("0.15")),),
            talks=(Talk("oskar", "New members would get almost nothing under the first option.",
                        replies=(("jonas", "That is why the second option keeps half equal."),)),),
            sponsors=1),
        Story("payout_policy", S.VOTING, "kofi", versions=(
            Version("How to share the Open Mobility Lab revenue",
                    "Three ways to share the 12,000 EUR from the Open Mobility Lab deal.",
                    payout(formula("Equal split", "equal"),
                           formula("By records contributed", "pro_rata", metric="records_contributed"),
                           formula("Mostly equal, some by records", "hybrid", equal="0.60",
                                   metric="records_contributed"))),)),
        Story("payout_policy", S.COUNTING, "lena", versions=(
            Version("A bigger reserve fund", "Put 20% of each deal's revenue aside for legal defence.",
                    payout(formula("Equal split, 20% reserve", "equal", reserve="0.20"),
                           {**hybrid, "label": "Hybrid, 20% reserve", "reserve_fraction": "0.20"})),)),
        Story("payout_policy", S.ADOPTED, "steward", days_ago=27, scores=(18, 31), versions=(
            Version("First payout policy",
                    "How revenue is shared until members decide otherwise: equally, or half equally and half by "
                    "the records each member contributed.",
                    payout(formula("Equal split", "equal"), hybrid)),),
            talks=(Talk("mateo", "The hybrid rewards those of us who drive full time without leaving anyone out."),)),
        Story("payout_policy", S.REJECTED, "mateo", days_ago=8, versions=(
            Version("Everything by records contributed",
                    "Pay each member in proportion to the records they contributed, nothing equal.",
                    payout(formula("By records contributed", "pro_rata", metric="records_contributed"))),)),
        Story("payout_policy", S.NO_QUORUM, "nadia", days_ago=19, scores=(3, 1), versions=(
            Version("A minimum of 20 EUR per member", "Nobody should receive less than 20 EUR from a deal.",
                    payout(formula("Equal, at least 20 EUR", "equal", minimum="20.00"),
                           {**hybrid, "label": "Hybrid, at least 20 EUR", "minimum_per_member": "20.00"})),)),
        Story("payout_policy", S.WITHDRAWN, "oskar", days_ago=11, versions=(
            Version("Pay operating costs first", "Take 15% for operating costs before any payout.",
                    payout(formula("Equal after 15% costs", "equal", operating="0.15"))),),
            reason="The treasurer showed that 5% covers our costs; withdrawn.", sponsors=1),
        Story("payout_policy", S.CANCELLED, "paula", days_ago=15, versions=(
            Version("Monthly payouts", "Pay out every month instead of after each deal.",
                    payout(formula("Equal split, paid monthly", "equal"))),),
            reason="How often we pay is not part of the payout formula; the treasurer will take this up with the "
                   "stewards.", sponsors=0),
    ]


# ---------------------------------------------------------------- bylaw changes

def _quorum(value: int):
    def edit(body: dict[str, Any]) -> None:
        body["changes"]["deal_approval"]["quorum_percent"] = value
    return edit


def bylaw_stories() -> list[Story]:
    return [
        Story("bylaw_change", S.DRAFT, "rania", versions=(
            Version("Three weeks of discussion for bylaw changes",
                    "Changing our rules deserves more than two weeks of discussion.",
                    bylaw("bylaw_change", "min_discussion_days", 21)),)),
        Story("bylaw_change", S.DISCUSSION, "sven", versions=(
            Version("A higher quorum for deals", "Deals bind all of us; at least 40% should vote on them.",
                    bylaw("deal_approval", "quorum_percent", 40)),),
            amendments=(Amend("tara", "40% is more than we ever reached; 30% is ambitious but possible.",
                              _quorum(30), "accepted"),
                        Amend("umar", "Make it 50%: half of us.", _quorum(50), "declined",
                              reason="We have never reached 50%; every deal would fail for lack of quorum."),
                        Amend("vera", "35% as a middle ground.", _quorum(35), "withdrawn")),
            talks=(Talk("wanjiru", "Will the stewards remind people to vote if the quorum is higher?",
                        replies=(("sven", "Members get a reminder 24 hours before a vote closes."),)),),
            sponsors=1),
        Story("bylaw_change", S.VOTING, "tara", versions=(
            Version("A smaller voice-credit budget for payout votes",
                    "100 credits make quadratic ballots tedious on a phone; 64 keeps the same proportions.",
                    bylaw("payout_policy", "quadratic_budget", 64)),)),
        Story("bylaw_change", S.COUNTING, "umar", versions=(
            Version("Ten days of voting on data-use rules",
                    "Many drivers only vote at the weekend; a week-long vote can miss one.",
                    bylaw("data_use_rule", "voting_days", 10)),)),
        Story("bylaw_change", S.REJECTED, "vera", days_ago=22, versions=(
            Version("A simple majority for bylaw changes", "Two thirds makes our rules too hard to improve.",
                    bylaw("bylaw_change", "threshold", "1/2")),)),
        Story("bylaw_change", S.NO_QUORUM, "wanjiru", days_ago=17, versions=(
            Version("Quadratic voting for data-use rules",
                    "Let members show how strongly they feel about a rule.",
                    bylaw("data_use_rule", "method", "quadratic")),)),
        Story("bylaw_change", S.WITHDRAWN, "ximena", days_ago=13, versions=(
            Version("Three co-sponsors for deals", "More co-sponsors before a deal goes to vote.",
                    bylaw("deal_approval", "min_sponsors", 3)),),
            reason="Two co-sponsors have worked well so far.", sponsors=0),
        Story("bylaw_change", S.CANCELLED, "yusuf", days_ago=21, versions=(
            Version("Two weeks of voting on payouts", "Payout votes should run for 14 days.",
                    bylaw("payout_policy", "voting_days", 14)),),
            reason="Posted twice by mistake; the discussion continues on the author's other proposal.",
            sponsors=0),
        Story("bylaw_change", S.ADOPTED, "rosa", days_ago=3, versions=(
            Version("Ten days of discussion for deals",
                    "A week is too short for members to read a deal's terms and ask questions.",
                    bylaw("deal_approval", "min_discussion_days", 10)),),
            talks=(Talk("zoe", "Yes, the Lisbon terms took me a whole weekend to read."),)),
    ]


def stories(today: date) -> list[Story]:
    """Every kind in every state. Order matters: the founding rules are adopted first (deals are
    checked against them), the adopted bylaw change comes last (it changes the constitution that
    the other proposals were checked and opened under)."""
    rules = rule_stories()
    bylaws = bylaw_stories()
    return (rules + deal_stories(today) + payout_stories()
            + [s for s in bylaws if s.state != S.ADOPTED] + [s for s in bylaws if s.state == S.ADOPTED])
