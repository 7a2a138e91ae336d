"""Journey 7: the journeys without a mouse (Tab, Shift+Tab, Enter, Space, typing), with the focus always
visible; and the casting and receipt check with JavaScript switched off."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from tests.browser.conftest import DEMO_PASSWORD, Site, demo_email, expect, sign_in
from tests.browser.test_journeys import OPEN_QUADRATIC_ELECTION, OPEN_ROLL_CALL_ELECTION, OPEN_SECRET_ELECTION

MAX_TABS = 250

#: Is the focused element the one wanted? ``css`` must match it and its visible text or label contain ``text``.
_FOCUSED_IS = """([css, text]) => {
    const e = document.activeElement;
    if (!e || !e.matches(css)) return false;
    if (!text) return true;
    const label = (e.labels && e.labels[0] ? e.labels[0].innerText : '') + ' ' + (e.innerText || e.value || '');
    return label.replace(/\\s+/g, ' ').includes(text);
}"""

_FOCUS_VISIBLE = """() => {
    const s = getComputedStyle(document.activeElement);
    return s.outlineStyle !== 'none' && parseFloat(s.outlineWidth) >= 2;
}"""


def tab_to(page: Any, css: str, text: str = "") -> None:
    """Press Tab until the wanted control has the focus (it must be reachable), and check the focus shows."""
    for _ in range(MAX_TABS):
        page.keyboard.press("Tab")
        if page.evaluate(_FOCUSED_IS, [css, text]):
            assert page.evaluate(_FOCUS_VISIBLE), f"focus on {css} {text!r} is not visible"
            return
    raise AssertionError(f"{css} {text!r} cannot be reached with Tab on {page.url}")


def activate(page: Any, key: str = "Enter", *, to: str | None = None) -> None:
    """Press a key on the focused control; with ``to``, wait until the page it leads to has loaded."""
    page.keyboard.press(key)
    if to is not None:
        expect(page).to_have_url(re.compile(to))
        page.wait_for_load_state()


def type_into(page: Any, css: str, text: str, label: str = "") -> None:
    tab_to(page, css, label)
    page.keyboard.press("Control+A")
    page.keyboard.type(text)


def keyboard_sign_in(page: Any, email: str, password: str = DEMO_PASSWORD) -> None:
    page.goto("/")
    tab_to(page, "a", "Sign in")
    activate(page, to="/login")
    type_into(page, "#email", email)
    type_into(page, "#password", password)
    activate(page, to=r"^(?!.*/login)")  # Enter in a field submits its form
    expect(page.get_by_role("button", name="Sign out")).to_be_visible()


def test_journey_7_keyboard_only_invitation_to_sign_in(sqlite_site: Site, new_page: Any) -> None:
    steward = new_page(sqlite_site)
    keyboard_sign_in(steward, demo_email("steward"))
    tab_to(steward, "a", "Invite")
    activate(steward, to="/members/invite$")
    type_into(steward, "#email", "keys@example.org")
    type_into(steward, "#name", "Kim Keys")
    tab_to(steward, "input[type=checkbox][value=member]")
    if not steward.evaluate("document.activeElement.checked"):
        steward.keyboard.press("Space")
    assert steward.evaluate("document.activeElement.checked")
    tab_to(steward, "button", "Send the invitation")
    activate(steward)
    expect(steward.locator(".flashes"), steward.locator("main").inner_text()).to_contain_text("keys@example.org")

    link = re.search(r"http://127\.0\.0\.1:\d+/invitations/\S+", sqlite_site.latest_mail("keys@example.org"))
    assert link
    newcomer = new_page(sqlite_site)
    newcomer.goto(link.group(0))
    type_into(newcomer, "#name", "Kim K.")
    type_into(newcomer, "#password", "typed with the keyboard only")
    type_into(newcomer, "#confirm", "typed with the keyboard only")
    tab_to(newcomer, "button", "Join")
    activate(newcomer, to=r"^(?!.*/invitations/)")
    expect(newcomer.get_by_role("button", name="Sign out")).to_be_visible()
    tab_to(newcomer, "button", "Sign out")
    activate(newcomer)
    expect(newcomer.get_by_role("banner").get_by_role("link", name="Sign in")).to_be_visible()
    keyboard_sign_in(newcomer, "keys@example.org", "typed with the keyboard only")


def keyboard_choose(page: Any, choice: str) -> None:
    """In a radio group the focus lands on the first (or checked) option; arrows move and select."""
    tab_to(page, "input[type=radio]")
    for _ in range(5):
        if page.evaluate(_FOCUSED_IS, ["input[type=radio]", choice]):
            break
        page.keyboard.press("ArrowDown")
    assert page.evaluate(_FOCUSED_IS, ["input[type=radio]", choice])
    page.keyboard.press("Space")
    assert page.evaluate("document.activeElement.checked")


def test_journey_7_keyboard_only_casting_audit_revote_receipt_and_check(sqlite_site: Site, new_page: Any,
                                                                         tmp_path: Path) -> None:
    voter = new_page(sqlite_site)
    keyboard_sign_in(voter, demo_email("oskar"))
    voter.goto(f"/proposals/{5}")
    tab_to(voter, "a", "Vote now")
    activate(voter, to="/ballot$")
    keyboard_choose(voter, "No")
    tab_to(voter, "button", "Encrypt my ballot")
    activate(voter)
    expect(voter.locator("#ballot-sealed")).to_be_visible()
    tab_to(voter, "button", "Audit it instead")
    activate(voter)
    expect(voter.locator("#ballot-status")).to_contain_text("Audited")
    tab_to(voter, "button", "Cast this ballot")
    activate(voter, to="/receipts/")
    tab_to(voter, "a", "Change your vote")
    activate(voter, to="/ballot$")
    keyboard_choose(voter, "Yes")
    tab_to(voter, "button", "Encrypt my ballot")
    activate(voter)
    expect(voter.locator("#ballot-sealed")).to_be_visible()
    tab_to(voter, "button", "Cast this ballot")
    activate(voter, to="/receipts/")
    tab_to(voter, "a", "Download receipt (JSON)")
    with voter.expect_download() as download_info:
        voter.keyboard.press("Enter")
    receipt = tmp_path / "receipt.json"
    download_info.value.save_as(receipt)

    # Quadratic: the numbers are typed, the counter follows.
    voter.goto(f"/elections/{OPEN_QUADRATIC_ELECTION}/ballot")
    type_into(voter, "input[data-votes]", "2")
    expect(voter.locator("[data-credits-spent]").first).to_have_text("4")

    # Journey 5 by keyboard: an observer, not signed in, checks the receipt and fetches the record.
    observer = new_page(sqlite_site)
    observer.goto("/")
    tab_to(observer, "a", "check a ballot receipt")
    activate(observer, to="/receipts/check$")
    tab_to(observer, "textarea#receipt")
    observer.keyboard.insert_text(receipt.read_text())
    tab_to(observer, "button", "Check the receipt")
    activate(observer)
    expect(observer.locator("main .alert[role=status]")).to_contain_text("passed")
    tab_to(observer, "a", "The bulletin board")
    activate(observer, to="/board$")
    expect(observer.locator("main")).to_contain_text(json.loads(receipt.read_text())["tracking_code"][:16])
    observer.goto(f"/elections/{OPEN_SECRET_ELECTION}")
    tab_to(observer, "a", "Election record (JSON)")
    with observer.expect_download() as record_info:
        observer.keyboard.press("Enter")
    record = json.loads(Path(record_info.value.path()).read_text())
    assert record


def test_without_javascript_a_secret_ballot_explains_the_command_line_and_an_open_one_is_cast(
        sqlite_site: Site, new_page: Any, tmp_path: Path) -> None:
    voter = new_page(sqlite_site, javascript=False)
    sign_in(voter, demo_email("paula"))
    voter.goto(f"/elections/{OPEN_SECRET_ELECTION}/ballot")
    missing = voter.locator("[data-js-missing]")
    expect(missing).to_be_visible()
    expect(missing).to_contain_text("This secret ballot needs JavaScript")
    expect(missing).to_contain_text("dataguild vote")
    # Nothing can be sent before the page's script can encrypt (the server would refuse it anyway:
    # tests/voting/elections/test_ballot_web.py), so the button is disabled until then.
    expect(voter.get_by_role("button", name="Encrypt my ballot")).to_be_disabled()

    # An open roll call needs no JavaScript: its choices are public anyway.
    voter.goto(f"/elections/{OPEN_ROLL_CALL_ELECTION}/ballot")
    voter.get_by_role("radio", name=re.compile("^Yes")).check()
    voter.get_by_role("button", name="Cast my ballot").click()
    expect(voter).to_have_url(re.compile("/receipts/"))
    with voter.expect_download() as download_info:
        voter.get_by_role("link", name="Download receipt (JSON)").click()
    receipt = tmp_path / "receipt.json"
    download_info.value.save_as(receipt)

    observer = new_page(sqlite_site, javascript=False)
    observer.goto("/receipts/check")
    observer.get_by_label("Receipt (JSON)").fill(receipt.read_text())
    observer.get_by_role("button", name="Check the receipt").click()
    expect(observer.locator("main .alert[role=status]")).to_contain_text("passed")
    observer.goto(f"/elections/{OPEN_ROLL_CALL_ELECTION}/board")
    expect(observer.locator("main")).to_contain_text(json.loads(receipt.read_text())["tracking_code"][:16])


def test_journey_7_keyboard_only_trustee_counts_with_key_file(sqlite_site: Site, new_page: Any) -> None:
    trustee = new_page(sqlite_site)
    keyboard_sign_in(trustee, demo_email("trustee3"))
    trustee.goto("/trustee")
    tab_to(trustee, "a[href$='/trustee/elections/8/decrypt']")
    activate(trustee, to="/trustee/elections/8/decrypt$")
    tab_to(trustee, "#trustee-key-file")
    from playwright.sync_api import TimeoutError as PlaywrightTimeoutError

    for attempt in range(3):  # Space opens the browser's file dialog; under load the first press may be lost
        try:
            with trustee.expect_file_chooser(timeout=10_000) as chooser:
                trustee.keyboard.press("Space")
            break
        except PlaywrightTimeoutError:
            if attempt == 2:
                raise
            tab_to(trustee, "#trustee-key-file")
    chooser.value.set_files(str(sqlite_site.instance / "demo-trustees" / "trustee-3.json"))
    tab_to(trustee, "button", "Check the tally and decrypt")
    activate(trustee)
    expect(trustee.locator("#trustee-progress")).to_contain_text("Waiting for 1 more trustee", timeout=180_000)


def test_trustee_desk_without_javascript_says_how_to_count_with_the_command(sqlite_site: Site, new_page: Any) -> None:
    trustee = new_page(sqlite_site, javascript=False)
    sign_in(trustee, demo_email("trustee1"))
    trustee.goto("/trustee/elections/8/decrypt")
    expect(trustee.locator("[data-js-missing]")).to_be_visible()
    expect(trustee.locator("[data-js-missing] pre")).to_contain_text("dataguild trustee decrypt")
    expect(trustee.locator("#trustee-step")).to_be_hidden()


def keyboard_select(page: Any, css: str, value: str) -> None:
    """A closed <select>: the arrow keys move through its options."""
    tab_to(page, css)
    for _ in range(40):
        if page.evaluate("document.activeElement.value") == value:
            return
        page.keyboard.press("ArrowDown")
    raise AssertionError(f"{css} has no option {value!r} reachable with the arrow keys")


def keyboard_check(page: Any, css: str) -> None:
    tab_to(page, css)
    if not page.evaluate("document.activeElement.checked"):
        page.keyboard.press("Space")
    assert page.evaluate("document.activeElement.checked")


def test_journey_7_keyboard_only_drafting_publishing_cosponsoring_and_amending(sqlite_site: Site,
                                                                                new_page: Any) -> None:
    author = new_page(sqlite_site)
    keyboard_sign_in(author, demo_email("ines"))
    author.goto("/proposals/new")
    tab_to(author, "a[href$='/proposals/new/data_use_rule']")
    activate(author, to="/proposals/new/data_use_rule$")
    type_into(author, "#title", "Keyboard rule: planners may study delivery routes")
    type_into(author, "#summary", "Typed without a mouse.")
    keyboard_select(author, "#changes-0-op", "add")
    type_into(author, "#changes-0-rule-id", "keyboard-planners")
    keyboard_select(author, "#changes-0-rule-effect", "permission")
    keyboard_check(author, "input[name='changes-0-rule-datasets'][value='delivery-routes']")
    keyboard_select(author, "#changes-0-rule-action", "aggregate")
    keyboard_check(author, "input[name='changes-0-rule-purposes'][value$='ImproveTransportMobility']")
    tab_to(author, "button", "Save the draft")
    activate(author, to=r"/proposals/\d+$")
    proposal_url = author.url
    tab_to(author, "button", "Publish for discussion")
    activate(author)
    expect(author.locator(".badge-state-discussion")).to_be_visible()

    sponsor = new_page(sqlite_site)
    keyboard_sign_in(sponsor, demo_email("jonas"))
    sponsor.goto(proposal_url)
    tab_to(sponsor, "button", "Co-sponsor this proposal")
    activate(sponsor)
    expect(sponsor.get_by_role("button", name="Withdraw my co-sponsorship")).to_be_visible()
    tab_to(sponsor, "a", "Propose an amendment")
    activate(sponsor, to="/amendments/new$")
    type_into(sponsor, "#rationale", "Say who may do it.")
    type_into(sponsor, "#summary", "City planners, typed without a mouse.")
    tab_to(sponsor, "button", "Propose the amendment")
    activate(sponsor, to=r"/amendments/\d+$")
    amendment_url = sponsor.url

    author.goto(amendment_url)
    tab_to(author, "button", "Accept the amendment")
    activate(author)
    expect(author.locator("main")).to_contain_text("accepted")
