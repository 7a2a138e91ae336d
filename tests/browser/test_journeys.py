"""The user journeys of issue 7 in a real browser, against gunicorn and a real database (the demo).

Each journey signs people in through the real forms in fresh browser contexts. The only thing done
behind the site's back is moving the clock (a discussion period or a voting window that has ended),
through ``Site.sql``.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
import urllib.request
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from tests.browser.conftest import Site, assert_accessible, demo_email, expect, save_screenshot, sign_in, sign_out

#: Demo elections (voting/demo/elections.py): 3 is a secret yes/no vote open now, 7 a secret quadratic one, 4 a
#: closed secret vote on "Let non-profits analyse the working-conditions survey" waiting for the trustees.
OPEN_SECRET_ELECTION = 3
OPEN_QUADRATIC_ELECTION = 7
OPEN_ROLL_CALL_ELECTION = 9
WAITING_ELECTION = 4


def signed_in(new_page: Any, site: Site, local: str) -> Any:
    page = new_page(site)
    sign_in(page, demo_email(local))
    return page


def expect_flash(page: Any, text: str | re.Pattern[str]) -> None:
    expect(page.locator(".flashes")).to_contain_text(text)


def move_voting_window_to_the_past(site: Site, election_id: int) -> None:
    """The clock: the election's window ends now (it opened days ago)."""
    past = datetime.now(UTC).replace(tzinfo=None).isoformat(sep=" ")
    site.sql("UPDATE elections SET closes_at = :t WHERE id = :e", t=past, e=election_id)
    site.sql("UPDATE proposals SET voting_closes_at = :t WHERE id = (SELECT proposal_id FROM elections WHERE id = :e)",
             t=past, e=election_id)


def watch_ballot_posts(page: Any) -> list[dict[str, Any]]:
    """The JSON bodies the page sends to ballot.json (filled in as the page sends them)."""
    sent: list[dict[str, Any]] = []
    page.on("request", lambda request: sent.append(json.loads(request.post_data or "{}"))
            if request.method == "POST" and "/ballot" in request.url else None)
    return sent


def assert_no_plain_choice(body: dict[str, Any]) -> None:
    """A cast leaves the browser as an encrypted ballot only: no choices, no values, no randomness."""
    assert set(body) == {"action", "ballot", "expected_previous"}, body
    text = json.dumps(body)
    for word in ('"choices"', '"values"', '"randomness"', '"reveal"'):
        assert word not in text, word


def encrypt_and(page: Any, then: str) -> str:
    """Press "Encrypt my ballot", read the tracking code, then press ``then`` ("Cast this ballot" or
    "Audit it instead"); returns the tracking code shown."""
    page.get_by_role("button", name="Encrypt my ballot").click()
    sealed = page.locator("#ballot-sealed")
    expect(sealed).to_be_visible()
    code = sealed.locator("[data-tracking-code]").text_content() or ""
    assert len(code) == 64
    page.get_by_role("button", name=then).click()
    return code


def cast(page: Any, site: Site, election_id: int, choice: str, *, audit_first: bool = False) -> str:
    """Vote Yes/No/Abstain on a secret yes/no ballot, encrypted in the browser (optionally auditing a
    ballot first); checks that no request carried the choice; returns the receipt's URL."""
    page.goto(f"/elections/{election_id}")
    page.get_by_role("link", name=re.compile(r"^Vote( again)?$")).click()
    sent = watch_ballot_posts(page)
    page.get_by_role("radio", name=re.compile(f"^{choice}")).check()
    if audit_first:
        audited_code = encrypt_and(page, "Audit it instead")
        expect(page.locator("#ballot-status")).to_contain_text("Audited")
        fresh = page.locator("#ballot-sealed [data-tracking-code]").text_content()
        assert fresh != audited_code  # encrypted afresh after the audit
        audited_url = page.get_by_role("link", name="See the audited ballot").get_attribute("href")
        assert audited_url
        assert audited_code in audited_url
        page.get_by_role("button", name="Cast this ballot").click()
    else:
        encrypt_and(page, "Cast this ballot")
    expect(page).to_have_url(re.compile("/receipts/"))
    casts = [body for body in sent if body.get("action") == "cast"]
    assert len(casts) == 1
    assert_no_plain_choice(casts[0])
    if audit_first:
        page.goto(audited_url)
        expect(page.locator("main")).to_contain_text(choice)
        page.go_back()
    return page.url


def save_receipt(page: Any, where: Path) -> Path:
    """Click "Download receipt (JSON)" on the receipt page and keep the file, as a voter would."""
    with page.expect_download() as download_info:
        page.get_by_role("link", name="Download receipt (JSON)").click()
    download = download_info.value
    target = where / download.suggested_filename
    download.save_as(target)
    json.loads(target.read_text())  # a receipt is JSON
    return target


# ------------------------------------------------------------------ 1: invitation to first sign-in

def test_journey_1_invited_member_accepts_sets_password_and_signs_in(site: Site, new_page: Any) -> None:
    steward = signed_in(new_page, site, "steward")
    steward.get_by_role("link", name="Invite", exact=True).click()
    steward.get_by_label("Email").fill("noor.new@example.org")
    steward.get_by_label("Name").fill("Noor New")
    steward.get_by_label("Member", exact=True).check()
    steward.get_by_role("button", name="Send the invitation").click()
    expect_flash(steward, "noor.new@example.org")

    link = re.search(r"http://127\.0\.0\.1:\d+/invitations/\S+", site.latest_mail("noor.new@example.org"))
    assert link, "the invitation mail has no link"
    newcomer = new_page(site)
    newcomer.goto(link.group(0))
    newcomer.get_by_label("Name").fill("Noor N.")
    newcomer.get_by_label("New password", exact=True).fill("short")
    newcomer.get_by_label("Repeat the new password").fill("short")
    newcomer.get_by_role("button", name="Join").click()
    expect(newcomer.locator(".field-error").first).to_be_visible()  # refused, and said why next to the field
    assert_accessible(newcomer, "the invitation form with errors")  # errors tied to their fields
    newcomer.get_by_label("New password", exact=True).fill("a long enough passphrase")
    newcomer.get_by_label("Repeat the new password").fill("a long enough passphrase")
    newcomer.get_by_role("button", name="Join").click()
    expect(newcomer.get_by_role("button", name="Sign out")).to_be_visible()
    sign_out(newcomer)
    sign_in(newcomer, "noor.new@example.org", "a long enough passphrase")
    expect(newcomer.get_by_role("link", name="Noor N.")).to_be_visible()


# ------------------------------------------------------------------ 2: drafting to voting

def test_journey_2_draft_publish_cosponsor_amend_and_open_voting(site: Site, new_page: Any) -> None:
    author = signed_in(new_page, site, "amara")
    author.goto("/proposals")
    author.get_by_role("link", name=re.compile("^(Write|New|Draft) a proposal")).first.click()
    author.get_by_role("link", name=re.compile("data-use rule", re.IGNORECASE)).first.click()
    author.get_by_label("Title").fill("Let city planners study ride logs")
    author.get_by_label("Summary").fill("City transport planners may aggregate our ride logs for public benefit.")
    author.get_by_label("Rule name").fill("planners-ride-logs")
    author.get_by_label("The rule").select_option("permission")
    author.get_by_label("Ride logs").check()
    author.get_by_label("What is allowed or forbidden").select_option("aggregate")
    author.get_by_label("Improve Transport and Mobility").check()
    author.get_by_role("button", name="Save the draft").click()
    expect(author).to_have_url(re.compile(r"/proposals/\d+$"))
    proposal_url = author.url
    proposal_id = int(proposal_url.rsplit("/", 1)[1])
    author.get_by_role("button", name="Publish for discussion").click()
    expect(author.locator(".badge-state-discussion")).to_be_visible()
    save_screenshot(author, "proposal-in-discussion")

    for local in ("bilal", "chen"):
        sponsor = signed_in(new_page, site, local)
        sponsor.goto(proposal_url)
        sponsor.get_by_role("button", name="Co-sponsor this proposal").click()
        expect(sponsor.get_by_role("button", name="Withdraw my co-sponsorship")).to_be_visible()

    amender = signed_in(new_page, site, "dana")
    amender.goto(proposal_url)
    amender.get_by_role("link", name="Propose an amendment").click()
    amender.get_by_label("Summary").fill("City transport planners may aggregate our ride logs, in groups of at "
                                         "least 50 riders, for public benefit.")
    amender.get_by_label("Why this amendment").fill("Small groups could identify riders.")
    amender.get_by_role("button", name="Propose the amendment").click()
    expect(amender).to_have_url(re.compile(r"/amendments/\d+$"))
    amendment_url = amender.url

    author.goto(amendment_url)
    author.get_by_role("button", name="Accept the amendment").click()
    expect(author.locator("main")).to_contain_text("accepted")

    # The clock: the constitution's minimum discussion period has passed.
    site.sql("UPDATE proposals SET discussion_started_at = '2000-01-01 00:00:00' WHERE id = :p", p=proposal_id)
    steward = signed_in(new_page, site, "steward")
    steward.goto(proposal_url)
    expect(steward.locator("main")).to_contain_text("a steward can open voting now")
    steward.get_by_text("For stewards: open the vote").click()
    steward.get_by_role("radio", name=re.compile("^Secret ballot")).check()
    committee = steward.get_by_label(re.compile("^Trustee committee"))
    committee.select_option(index=1)
    steward.get_by_role("button", name="Open voting").click()
    expect_flash(steward, "Voting is open")
    expect(steward.locator(".badge-state-voting")).to_be_visible()
    author.goto(proposal_url)
    expect(author.locator(".you-next")).to_contain_text("You have not voted yet.")


# ------------------------------------------------------------------ 3: secret voting to the outcome

def trustee_decrypts(site: Site, trustee: int, election_id: int) -> str:
    """A trustee counts with their key file and token, with the trustee's own tool against the site."""
    folder = site.instance / "demo-trustees"
    token = (folder / f"token-{trustee}.txt").read_text().strip()
    code = "import sys; from governance.cli import main; sys.argv[0] = 'dataguild'; main()"
    done = subprocess.run(  # noqa: S603
        [sys.executable, "-c", code, "trustee", "decrypt", "--site", site.url, "--token", token,
         "--key", str(folder / f"trustee-{trustee}.json"), "--election", str(election_id)],
        capture_output=True, text=True, timeout=240, check=False)
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


def test_journey_3_secret_vote_audit_revote_receipts_close_count_and_policy(production_db_site: Site, new_page: Any,
                                                                            tmp_path: Path) -> None:
    site = production_db_site
    election = OPEN_SECRET_ELECTION
    receipts = {}
    lena = signed_in(new_page, site, "lena")  # checks the encryption first, then votes
    cast(lena, site, election, "Yes", audit_first=True)
    save_screenshot(lena, "receipt")
    receipts["lena"] = save_receipt(lena, tmp_path / "lena")
    mateo = signed_in(new_page, site, "mateo")  # votes, then changes his mind
    first = cast(mateo, site, election, "No")
    second = cast(mateo, site, election, "Yes")
    assert first != second
    receipts["mateo"] = save_receipt(mateo, tmp_path / "mateo")
    nadia = signed_in(new_page, site, "nadia")
    cast(nadia, site, election, "Yes")
    receipts["nadia"] = save_receipt(nadia, tmp_path / "nadia")

    board = new_page(site)  # anyone, not signed in
    board.goto(f"/elections/{election}/board")
    for receipt in receipts.values():
        expect(board.locator("main")).to_contain_text(json.loads(receipt.read_text())["tracking_code"][:16])
    expect(board.locator(".tag-superseded").first).to_be_visible()
    expect(board.locator(".tag-audited").first).to_be_visible()
    save_screenshot(board, "board")

    move_voting_window_to_the_past(site, election)
    steward = signed_in(new_page, site, "steward")
    steward.goto(f"/elections/{election}")
    steward.get_by_role("button", name="Close and count").click()
    expect(steward.locator("main")).to_contain_text("trustees")
    policy_before = new_page(site)
    policy_before.goto("/policy")
    expect(policy_before.locator("main")).not_to_contain_text("no-health-sharing-commercial")

    # The trustees count in the browser with their key files (two of three are needed): the page checks
    # the board and the tally, decrypts its share of the total and, once decided, co-signs the result.
    for trustee, outcome in ((1, "Waiting for 1 more trustee"), (2, "Result co-signed")):
        desk = signed_in(new_page, site, f"trustee{trustee}")
        desk.goto("/trustee")
        desk.locator(f"a[href$='/trustee/elections/{election}/decrypt']").first.click()
        desk.get_by_label("Your key file").set_input_files(str(site.instance / "demo-trustees" /
                                                               f"trustee-{trustee}.json"))
        desk.get_by_role("button", name="Check the tally and decrypt").click()
        expect(desk.locator("#trustee-progress")).to_contain_text(outcome, timeout=180_000)
        expect(desk.locator("#trustee-error")).to_be_hidden()
        assert_accessible(desk, "the trustee's counting page after counting")
        if trustee == 2:
            save_screenshot(desk, "trustee-desk-count", show="#trustee-progress p:last-child")

    result = new_page(site)
    result.goto(f"/elections/{election}/result")
    expect(result.locator("main")).to_contain_text("dopted")
    save_screenshot(result, "result")
    result.goto("/policy")
    expect(result.locator("main")).to_contain_text("no-health-sharing-commercial")


# ------------------------------------------------------------------ 4: quadratic ballot

def test_journey_4_quadratic_counter_updates_live_and_over_budget_is_refused(sqlite_site: Site, new_page: Any) -> None:
    site = sqlite_site  # the database work is covered on PostgreSQL by journeys 1-3
    page = signed_in(new_page, site, "lena")
    page.goto(f"/elections/{OPEN_QUADRATIC_ELECTION}/ballot")
    question = page.locator("[data-quadratic-budget]").first
    budget = int(question.get_attribute("data-quadratic-budget") or "0")
    spent, left = question.locator("[data-credits-spent]"), question.locator("[data-credits-left]")
    expect(spent).to_have_text("0")
    first = question.locator("[data-votes]").nth(0)
    first.fill("3")
    expect(spent).to_have_text("9")  # live, without a reload
    expect(left).to_have_text(str(budget - 9))
    save_screenshot(page, "ballot-quadratic", show="[data-credits-spent]")
    too_many = 1
    while 9 + too_many * too_many <= budget:
        too_many += 1
    question.locator("[data-votes]").nth(1).fill(str(too_many))
    warning = question.locator("[data-over-budget]")
    expect(warning).to_be_visible()
    expect(warning).to_contain_text("Over budget")
    sent = watch_ballot_posts(page)
    page.get_by_role("button", name="Encrypt my ballot").click()
    expect(page.locator("#ballot-alert")).to_contain_text("not encrypted")  # refused on the device
    expect(page.locator("#ballot-alert")).to_contain_text("Over budget")
    assert_accessible(page, "a refused quadratic ballot")
    assert sent == []  # nothing left the browser
    question = page.locator("[data-quadratic-budget]").first
    question.locator("[data-votes]").nth(1).fill("-1")
    expect(question.locator("[data-credits-spent]")).to_have_text("10")
    encrypt_and(page, "Cast this ballot")
    expect(page).to_have_url(re.compile("/receipts/"))
    assert_no_plain_choice(sent[-1])


# ------------------------------------------------------------------ 5: an observer checks

def test_journey_5_observer_board_receipt_check_and_record(sqlite_site: Site, new_page: Any, tmp_path: Path) -> None:
    site = sqlite_site  # the database work is covered on PostgreSQL by journeys 1-3
    voter = signed_in(new_page, site, "lena")
    cast(voter, site, OPEN_SECRET_ELECTION, "No")
    receipt = save_receipt(voter, tmp_path)
    tracking_code = json.loads(receipt.read_text())["tracking_code"]

    observer = new_page(site)  # not signed in
    observer.goto("/")
    observer.get_by_role("link", name="Proposals").first.click()
    observer.goto(f"/elections/{OPEN_SECRET_ELECTION}")
    observer.get_by_role("link", name="Bulletin board").first.click()
    expect(observer.locator("main")).to_contain_text(tracking_code[:16])
    observer.get_by_role("contentinfo").get_by_role("link", name="check a ballot receipt").click()
    observer.get_by_label("…or the receipt file").set_input_files(str(receipt))
    observer.get_by_role("button", name="Check the receipt").click()
    expect(observer.locator("main .alert[role=status]")).to_contain_text("passed")
    expect(observer.locator(".check-fail")).to_have_count(0)
    assert_accessible(observer, "a receipt check's result")
    save_screenshot(observer, "receipt-check")
    observer.goto("/receipts/check")
    observer.get_by_label("Receipt (JSON)").fill(receipt.read_text().replace(tracking_code, "0" * 64))
    observer.get_by_role("button", name="Check the receipt").click()
    expect(observer.locator("main [role=alert], main .alert-error").first).to_be_visible()

    # The record of a decided election, downloaded from its page, checks out with the standalone verifier.
    observer.goto("/elections/1")
    with observer.expect_download() as download_info:
        observer.get_by_role("link", name="Election record (JSON)").click()
    record = json.loads(Path(download_info.value.path()).read_text())
    fingerprint = observer.locator(".fingerprint-value code").first.inner_text().replace(" ", "")
    assert fingerprint in json.dumps(record)  # the record is this election's (tests/voting verify its content)


# ------------------------------------------------------------------ 6: the decision API

def decide(site: Site, question: dict[str, Any]) -> dict[str, Any]:
    request = urllib.request.Request(site.url + "/api/v1/policy/decide",  # noqa: S310 - our own server
                                     data=json.dumps(question).encode(),
                                     headers={"Content-Type": "application/json"}, method="POST")
    with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310 - our own server
        assert response.headers["Cache-Control"] == "no-store"
        return json.load(response)


def test_journey_6_decision_api_before_and_after_a_rule_is_adopted(sqlite_site: Site, new_page: Any) -> None:
    site = sqlite_site  # the database work is covered on PostgreSQL by journeys 1-3
    question = {"party": "https://survey-ngo.example", "party_category": "nonprofit", "action": "aggregate",
                "dataset": "shift-surveys", "purpose": "NonCommercialResearch", "cohort_size": 50,
                "time": datetime.now(UTC).isoformat(timespec="seconds")}
    before = decide(site, question)
    assert before["permitted"] is False

    trustee_decrypts(site, 1, WAITING_ELECTION)
    trustee_decrypts(site, 3, WAITING_ELECTION)

    question["time"] = datetime.now(UTC).isoformat(timespec="seconds")
    after = decide(site, question)
    assert after["decision"] == "permit", after
    assert any("ngo-survey-analysis" in rule for rule in after["rules"])
    page = new_page(site)
    page.goto("/policy/check")
    expect(page.locator("main")).to_be_visible()
    page.goto("/policy")
    expect(page.locator("main")).to_contain_text("ngo-survey-analysis")
