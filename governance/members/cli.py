"""``dataguild member add``: the first admin of a site, or anyone, from the command line."""

from __future__ import annotations

import sys

import click
from flask import current_app
from flask.cli import AppGroup

from governance import db
from governance.auth.passwords import password_hasher, password_problem
from governance.mail.cli import send_queued_after_commit
from governance.members.models import Role
from governance.members.services import MembershipError, add_member, invite_member, parse_roles
from governance.sitecontext import SiteSettings

member_cli = AppGroup("member", help="Manage members from the command line.")


@member_cli.command("add")
@click.argument("email")
@click.option("--name", required=True, help="The member's name as others will see it.")
@click.option("--role", "roles", multiple=True, required=True,
              type=click.Choice([r.value for r in Role], case_sensitive=False),
              help="A role to give (repeat for several).")
@click.option("--invite", "force_invite", is_flag=True,
              help="Send an invitation even if stdin is not a terminal (scripts).")
def add_command(email: str, name: str, roles: tuple[str, ...], force_invite: bool) -> None:
    """Add a member. With a password piped on stdin the member is active at once
    (``echo "$PW" | dataguild member add ...``); otherwise (a terminal, empty stdin, or --invite) an
    invitation link is mailed and printed."""
    session = db.session()
    password = "" if force_invite or sys.stdin.isatty() else sys.stdin.readline().rstrip("\r\n")
    try:
        role_list = parse_roles(roles)
        if password:
            problem = password_problem(password)
            if problem:
                raise click.ClickException(f"The password read from stdin is not acceptable: {problem}")
            member = add_member(session, actor=None, email=email, name=name, roles=role_list,
                                password_hash=password_hasher(current_app.config).hash(password))
            session.commit()
            click.echo(f"Added {member.name} <{member.email}> ({', '.join(r.value for r in role_list)}); "
                       "they can sign in now.")
            return
        invitation, link = invite_member(session, actor=None, email=email, name=name, roles=role_list,
                                         site=SiteSettings.from_config(current_app.config))
        session.commit()
    except MembershipError as exc:
        session.rollback()
        raise click.ClickException(str(exc)) from None
    send_queued_after_commit(session)
    click.echo(f"Invited {invitation.member.name} <{invitation.member.email}>. Invitation link "
               f"(works once, until {invitation.expires_at:%Y-%m-%d %H:%M} UTC):\n{link}")
