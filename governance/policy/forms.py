"""Forms of the dataset catalogue. The service validates (one set of rules for the site, the CLI and
the demo); these forms only carry the values and the CSRF token, and show the service's errors."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import StringField, TextAreaField


class NewDatasetForm(FlaskForm):
    # The slug comes first (fields keep declaration order): it is chosen once and never changes.
    slug = StringField("Short name")
    title = StringField("Title")
    category = StringField("Category (optional)")
    description = TextAreaField("Description (optional)")


class DatasetForm(FlaskForm):
    title = StringField("Title")
    category = StringField("Category (optional)")
    description = TextAreaField("Description (optional)")


class RetireDatasetForm(FlaskForm):
    reason = TextAreaField("Reason (optional, public in the audit log)")
