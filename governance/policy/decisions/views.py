"""``/policy/check``: the decision API as a form for people. Public, like the policy it reads.

Load → call the service → render; it writes nothing (the POST is only there to carry the CSRF token
like every form of the site). The answer is shown in plain words: the decision, the rules that
decided it, the duties, the reasons, and the policy versions consulted.
"""

from __future__ import annotations

from flask import Blueprint, current_app, render_template

from governance import db
from governance.policy.decisions.engine import Decision, rule_sentence
from governance.policy.decisions.forms import DecisionCheckForm
from governance.policy.decisions.request import BadDecisionRequest
from governance.policy.decisions.services import decide_request
from governance.policy.services import list_datasets
from governance.sitecontext import SiteSettings

bp = Blueprint("policy_check", __name__)


@bp.route("/policy/check", methods=["GET", "POST"])
def check() -> tuple[str, int]:
    session = db.session()
    datasets = list_datasets(session, include_retired=True)
    form = DecisionCheckForm()
    form.offer_datasets((d.slug, d.title, d.retired_at is not None) for d in datasets)
    decision: Decision | None = None
    general: list[str] = []
    status = 200
    if form.validate_on_submit():
        base_url = SiteSettings.from_config(current_app.config).base_url
        try:
            decision = decide_request(session, form.request_json(), base_url=base_url)
        except BadDecisionRequest as exc:
            field = getattr(form, exc.field, None) if exc.field else None
            if field is not None:
                field.errors = [*field.errors, exc.message]
            else:
                general.append(exc.message)
            status = 400
    elif form.is_submitted():
        status = 400
    return render_template("policy/check.html", form=form, decision=decision, general_errors=general,
                           sentence=rule_sentence), status
