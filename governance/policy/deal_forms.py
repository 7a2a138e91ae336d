"""The steward's form to suspend an agreement. The service checks the reason (one set of rules for the
site and the CLI); the form carries it and the CSRF token, and shows the service's error next to it."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import TextAreaField


class SuspendAgreementForm(FlaskForm):
    reason = TextAreaField("Reason (required, public in the audit log)")
