"""The dataset catalogue: ``/datasets`` for everyone; stewards add, edit and retire datasets.
Views: load → authorize → call the service → commit → redirect or render."""

from __future__ import annotations

from collections.abc import Mapping

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_wtf import FlaskForm
from werkzeug.wrappers import Response
from wtforms import Field

from governance import db
from governance.auth.access import current_member, roles_required
from governance.members.models import Member, Role
from governance.policy.forms import DatasetForm, NewDatasetForm, RetireDatasetForm
from governance.policy.models import Dataset
from governance.policy.services import (
    PolicyError,
    add_dataset,
    current_rules,
    get_dataset,
    list_datasets,
    retire_dataset,
    update_dataset,
)

bp = Blueprint("policy", __name__)

#: Who keeps the catalogue. Reading it is public: counterparties and auditors need to know what
#: the rules and deals refer to.
CATALOGUE_KEEPERS = (Role.STEWARD, Role.ADMIN)


def _signed_in() -> Member:
    member = current_member()
    assert member is not None  # guaranteed by roles_required
    return member


def _load(slug: str) -> Dataset:
    dataset = get_dataset(db.session(), slug)
    if dataset is None:
        abort(404, description="There is no dataset with that short name.")
    return dataset


def _place_errors(form: FlaskForm, errors: Mapping[str, str]) -> list[str]:
    """Put each service error next to its field; return those that belong to no field."""
    general = []
    for name, message in errors.items():
        field = getattr(form, name, None) if name else None
        if isinstance(field, Field):
            field.errors = [*field.errors, message]
        else:
            general.append(message)
    return general


@bp.get("/datasets")
def datasets() -> str:
    session = db.session()
    viewer = current_member()
    everything = list_datasets(session, include_retired=True)
    rules_naming: dict[str, list[str]] = {}
    for rule in current_rules(session):
        for slug in rule.datasets:
            rules_naming.setdefault(slug, []).append(rule.id)
    return render_template(
        "policy/datasets.html",
        active=[d for d in everything if d.retired_at is None],
        retired=[d for d in everything if d.retired_at is not None],
        rules_naming=rules_naming,
        can_keep=viewer is not None and viewer.has_role(*CATALOGUE_KEEPERS))


@bp.route("/datasets/new", methods=["GET", "POST"])
@roles_required(*CATALOGUE_KEEPERS)
def new_dataset() -> str | Response | tuple[str, int]:
    form = NewDatasetForm()
    general: list[str] = []
    if form.validate_on_submit():
        session = db.session()
        try:
            dataset = add_dataset(session, actor=_signed_in(), slug=form.slug.data, title=form.title.data,
                                  description=form.description.data, category=form.category.data)
        except PolicyError as exc:
            general = _place_errors(form, exc.errors)
        else:
            session.commit()
            flash(f"{dataset.title} is in the catalogue.", "success")
            return redirect(url_for("policy.datasets", _anchor=f"dataset-{dataset.slug}"))
    return render_template("policy/dataset_form.html", form=form, dataset=None, general_errors=general), \
        400 if form.is_submitted() else 200


@bp.route("/datasets/<slug>/edit", methods=["GET", "POST"])
@roles_required(*CATALOGUE_KEEPERS)
def edit_dataset(slug: str) -> str | Response | tuple[str, int]:
    dataset = _load(slug)
    if dataset.retired_at is not None:
        flash(f"{dataset.title} is retired and can no longer be edited.", "error")
        return redirect(url_for("policy.datasets", _anchor=f"dataset-{dataset.slug}"))
    form = DatasetForm(obj=dataset)
    general: list[str] = []
    if form.validate_on_submit():
        session = db.session()
        try:
            update_dataset(session, dataset, actor=_signed_in(), title=form.title.data,
                           description=form.description.data, category=form.category.data)
        except PolicyError as exc:
            session.rollback()
            general = _place_errors(form, exc.errors)
        else:
            session.commit()
            flash(f"{dataset.title} is saved.", "success")
            return redirect(url_for("policy.datasets", _anchor=f"dataset-{dataset.slug}"))
    return render_template("policy/dataset_form.html", form=form, dataset=dataset, general_errors=general), \
        400 if form.is_submitted() else 200


@bp.route("/datasets/<slug>/retire", methods=["GET", "POST"])
@roles_required(*CATALOGUE_KEEPERS)
def retire(slug: str) -> str | Response | tuple[str, int]:
    dataset = _load(slug)
    form = RetireDatasetForm()
    general: list[str] = []
    if form.validate_on_submit():
        session = db.session()
        try:
            retire_dataset(session, dataset, actor=_signed_in(), reason=form.reason.data)
        except PolicyError as exc:
            session.rollback()
            general = _place_errors(form, exc.errors)
        else:
            session.commit()
            flash(f"{dataset.title} is retired: new rules and deals can no longer name it.", "success")
            return redirect(url_for("policy.datasets", _anchor=f"dataset-{dataset.slug}"))
    naming = sorted(rule.id for rule in current_rules(db.session()) if dataset.slug in rule.datasets)
    return render_template("policy/dataset_retire.html", form=form, dataset=dataset, general_errors=general,
                           rules_naming=naming), 400 if form.is_submitted() else 200
