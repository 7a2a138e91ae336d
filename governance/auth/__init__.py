"""Sign-in: passwords, sessions, tokens, rate limiting, and the access helpers every view uses."""

from governance.auth.access import current_member, login_required, roles_required

__all__ = ["current_member", "login_required", "roles_required"]
