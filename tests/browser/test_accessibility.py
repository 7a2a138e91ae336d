"""Every page type under axe-core (no serious or critical violation), at desktop width, on a 360 px phone
and at 200% zoom (a 1280 px window shows 640 CSS px) without horizontal scrolling; screenshots of the
main pages when DATAGUILD_SCREENSHOTS=1."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest

from tests.browser.conftest import (
    DESKTOP,
    PHONE,
    Site,
    assert_accessible,
    demo_email,
    expect,
    horizontal_overflow,
    save_screenshot,
    sign_in,
)

ZOOM_200 = {"width": DESKTOP["width"] // 2, "height": DESKTOP["height"] // 2}

#: (page type, who looks, path or a name resolved by ``resolve``, screenshot name or None)
PAGES: list[tuple[str, str | None, str, str | None]] = [
    ("home", None, "/", "home"),
    ("home-member", "member", "/", "home-member"),
    ("sign-in", None, "/login", "sign-in"),
    ("proposals", None, "/proposals", "proposals"),
    ("proposal-voting", "member", "/proposals/5", "proposal-voting"),
    ("proposal-open-vote", "steward", "/proposals/4", None),
    ("proposal-adopted", None, "/proposals/39", "proposal-adopted"),
    ("proposal-kinds", "member", "/proposals/new", None),
    ("proposal-draft-form", "member", "/proposals/new/data_use_rule", "proposal-draft-form"),
    ("amendment", "member", "amendment", None),
    ("policy", None, "/policy", "policy"),
    ("policy-versions", None, "/policy/versions", None),
    ("policy-check", None, "/policy/check", None),
    ("payout-policy", None, "/policy/payout", None),
    ("datasets", None, "/datasets", None),
    ("deals", None, "/deals", "deals"),
    ("deal", None, "/deals/1", None),
    ("payouts", "steward", "/payouts", "payouts"),
    ("payout-statement", "steward", "/payouts/statements/1", None),
    ("my-payouts", "member", "/payouts/mine", None),
    ("election", None, "/elections/3", "election"),
    ("board", None, "/elections/3/board", None),
    ("ballot", "lena", "/elections/3/ballot", "ballot"),
    ("ballot-quadratic", "lena", "/elections/7/ballot", None),
    ("receipt", "member", "receipt", None),
    ("audited-ballot", "member", "audited", None),
    ("receipt-check", None, "/receipts/check", None),
    ("result", None, "/elections/1/result", "result-decided"),
    ("result-quadratic", None, "/elections/2/result", None),
    ("result-waiting", None, "/elections/4/result", None),
    ("committees", "steward", "/committees", None),
    ("committee", "steward", "/committees/1", None),
    ("access-tokens", "trustee1", "/account/tokens", None),
    ("webhooks", "steward", "/webhooks", None),
    ("trustee-desk", "trustee1", "/trustee", None),
    ("trustee-count", "trustee1", "/trustee/elections/4/decrypt", "trustee-count"),
    ("account", "member", "/account", None),
    ("members", "member", "/members", None),
    ("invite", "steward", "/members/invite", None),
    ("constitution", None, "/constitution", None),
    ("audit-log", None, "/audit", None),
    ("not-found", None, "/no-such-page", None),
]


@pytest.fixture(scope="module")
def contexts(browser: Any, shared_site: Site) -> Iterator[dict[str | None, Any]]:
    """One signed-in browser context per person (signed in once, through the form)."""
    made: dict[str | None, Any] = {}

    def context_for(who: str | None) -> Any:
        if who not in made:
            context = browser.new_context(base_url=shared_site.url, viewport=DESKTOP, locale="en-GB",
                                          timezone_id="UTC")
            context.set_default_timeout(15_000)
            if who:
                page = context.new_page()
                sign_in(page, demo_email(who))
                page.close()
            made[who] = context
        return made[who]

    yield context_for  # type: ignore[misc]
    for context in made.values():
        context.close()


@pytest.fixture(scope="module")
def ballot_pages(contexts: Any) -> dict[str, str]:
    """A receipt and an audited ballot of member@demo.coop in the open secret election."""
    page = contexts("member").new_page()
    page.goto("/elections/3/ballot")
    page.get_by_role("radio", name=re.compile("^Abstain")).check()
    page.get_by_role("button", name="Encrypt my ballot").click()
    expect(page.locator("#ballot-sealed")).to_be_visible()
    assert_accessible(page, "an encrypted ballot asking cast or audit")
    page.get_by_role("button", name="Audit it instead").click()
    audited = page.get_by_role("link", name="See the audited ballot").get_attribute("href") or ""
    assert_accessible(page, "a ballot after an audit")
    page.get_by_role("button", name="Cast this ballot").click()
    expect(page).to_have_url(re.compile("/receipts/"))
    receipt = page.url
    page.goto("/proposals/4")
    amendment = page.locator("a[href*='/amendments/']").first.get_attribute("href")
    page.close()
    return {"receipt": receipt, "audited": audited, "amendment": amendment or "/proposals/4"}


@pytest.mark.parametrize(("kind", "who", "where", "shot"), PAGES, ids=[p[0] for p in PAGES])
def test_page_is_accessible_and_fits_a_phone(kind: str, who: str | None, where: str, shot: str | None,
                                             contexts: Any, ballot_pages: dict[str, str]) -> None:
    page = contexts(who).new_page()
    try:
        response = page.goto(ballot_pages.get(where, where))
        assert response is not None
        assert response.status == (404 if kind == "not-found" else 200), kind
        expect(page.locator("h1")).to_have_count(1)
        assert_accessible(page, kind)
        for size in (PHONE, ZOOM_200):
            page.set_viewport_size(size)
            assert horizontal_overflow(page) <= 0, f"{kind} scrolls sideways at {size['width']} px"
        page.set_viewport_size(DESKTOP)
        if shot:
            save_screenshot(page, shot)
    finally:
        page.close()
