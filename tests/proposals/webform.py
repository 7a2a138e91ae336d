"""A tiny browser for web tests: read a form from a page as a browser would submit it, change some
fields, press a button.

``form_fields(html, action)`` collects the successful controls of the form whose ``action`` ends
with ``action`` (or the first form with a ``csrf_token`` when ``action`` is None): text inputs and
textareas with their values, checked checkboxes and radios, the selected options of selects (the
first option when none is selected), hidden fields, never submit buttons (press one with
``submit(..., button=name)``). The result is a list of (name, value) pairs, because names repeat
(checkbox lists, multi-selects).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from html.parser import HTMLParser
from typing import Any

from flask.testing import FlaskClient
from werkzeug.datastructures import MultiDict


class _FormParser(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.forms: list[dict[str, Any]] = []
        self._form: dict[str, Any] | None = None
        self._select: dict[str, Any] | None = None
        self._option: dict[str, Any] | None = None
        self._textarea: dict[str, Any] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: (v if v is not None else "") for k, v in attrs}
        if tag == "form":
            self._form = {"action": a.get("action", ""), "method": a.get("method", "get").lower(), "fields": [],
                          "buttons": []}
            self.forms.append(self._form)
            return
        if self._form is None:
            return
        if tag == "input":
            kind = a.get("type", "text").lower()
            name = a.get("name")
            if not name or "disabled" in a:
                return
            if kind in ("submit", "image", "button", "reset"):
                self._form["buttons"].append((name, a.get("value", "")))
            elif kind in ("checkbox", "radio"):
                if "checked" in a:
                    self._form["fields"].append((name, a.get("value", "on")))
            else:
                self._form["fields"].append((name, a.get("value", "")))
        elif tag == "button":
            if a.get("name") and a.get("type", "submit").lower() == "submit":
                self._form["buttons"].append((a["name"], a.get("value", "")))
        elif tag == "select" and a.get("name"):
            self._select = {"name": a["name"], "multiple": "multiple" in a, "options": [], "selected": []}
        elif tag == "option" and self._select is not None:
            self._option = {"value": a.get("value"), "text": "", "selected": "selected" in a}
        elif tag == "textarea" and a.get("name"):
            self._textarea = {"name": a["name"], "text": ""}

    def handle_data(self, data: str) -> None:
        if self._option is not None:
            self._option["text"] += data
        if self._textarea is not None:
            self._textarea["text"] += data

    def handle_endtag(self, tag: str) -> None:
        if tag == "option" and self._option is not None and self._select is not None:
            option = self._option
            value = option["value"] if option["value"] is not None else option["text"].strip()
            self._select["options"].append(value)
            if option["selected"]:
                self._select["selected"].append(value)
            self._option = None
        elif tag == "select" and self._select is not None and self._form is not None:
            chosen = self._select["selected"]
            if not chosen and not self._select["multiple"] and self._select["options"]:
                chosen = self._select["options"][:1]
            self._form["fields"].extend((self._select["name"], v) for v in chosen)
            self._select = None
        elif tag == "textarea" and self._textarea is not None and self._form is not None:
            text = self._textarea["text"]
            self._form["fields"].append((self._textarea["name"], text[1:] if text.startswith("\n") else text))
            self._textarea = None
        elif tag == "form":
            self._form = None


def find_form(html: str | bytes, action: str | None = None) -> dict[str, Any]:
    if isinstance(html, bytes):
        html = html.decode("utf-8")
    parser = _FormParser()
    parser.feed(html)
    for form in parser.forms:
        names = {name for name, _ in form["fields"]}
        if action is None and form["method"] == "post" and any(n.endswith("csrf_token") for n in names) \
                and not form["action"].endswith("/logout"):
            return form
        if action is not None and form["action"].split("#")[0].endswith(action):
            return form
    raise AssertionError(f"no form with action {action!r} on the page")


def form_fields(html: str | bytes, action: str | None = None) -> list[tuple[str, str]]:
    return list(find_form(html, action)["fields"])


def fill(fields: Iterable[tuple[str, str]], changes: Mapping[str, str | list[str] | None]) -> MultiDict:
    """``fields`` with ``changes`` applied: a string replaces the field's value, a list sets all the
    values of a repeated name (checkboxes, multi-selects), None removes the field (an unticked box)."""
    data = MultiDict(list(fields))
    for name, value in changes.items():
        data.poplist(name)
        if value is None:
            continue
        for v in [value] if isinstance(value, str) else value:
            data.add(name, v)
    return data


def submit(client: FlaskClient, page_path: str, changes: Mapping[str, str | list[str] | None] | None = None, *,
           action: str | None = None, button: str | None = None, post_to: str | None = None):
    """Open ``page_path``, fill the form (see :func:`fill`), press ``button`` (a submit button's name)
    or the default one, and return the response of the POST (not followed)."""
    page = client.get(page_path)
    assert page.status_code == 200, (page.status_code, page.data.decode()[:500])
    form = find_form(page.data, action)
    data = fill(form["fields"], changes or {})
    if button is not None:
        value = next((v for n, v in form["buttons"] if n == button), None)
        assert value is not None or any(n == button for n, _ in form["buttons"]), f"no button {button!r}"
        data.add(button, value or "")
    target = post_to or form["action"] or page_path
    return client.post(target, data=data)
