"""``dataguild serve``: gunicorn (through its Python API) with production-minded settings.

Workers are stateless (signed-cookie sessions; rate limits, audit chain and outbox in the database),
so any number of workers and hosts can serve one site. Behind a TLS-terminating proxy, set
``--forwarded-allow-ips`` to the proxy's address (gunicorn then trusts its X-Forwarded-Proto) and
``--proxy-hops`` to the number of proxies (Werkzeug's ProxyFix then takes the client address from
X-Forwarded-For, which the login rate limit keys on). Never trust forwarded headers from everyone.
"""

from __future__ import annotations

import multiprocessing
from typing import Any

import click
from flask import Flask
from gunicorn.app.base import BaseApplication
from werkzeug.middleware.proxy_fix import ProxyFix

# Access log without query string or referer (%(U)s is the path only): tokens must never land in
# logs; invitation/reset tokens are path segments, which MaskTokenPaths hides.
ACCESS_LOG_FORMAT = '%(h)s "%(m)s %(U)s %(H)s" %(s)s %(B)s %(M)sms "%(a)s"'


def default_workers() -> int:
    return min(2 * multiprocessing.cpu_count() + 1, 8)


class DataguildServer(BaseApplication):
    def __init__(self, app: Flask, options: dict[str, Any]) -> None:
        self.application = app
        self.options = options
        super().__init__()

    def load_config(self) -> None:
        for key, value in self.options.items():
            if key in self.cfg.settings and value is not None:
                self.cfg.set(key, value)

    def load(self) -> Flask:
        return self.application


def _fresh_connections_after_fork(app: Flask) -> Any:
    # preload_app builds the app (and its engine) in the master; a pooled connection must never be
    # shared by two processes, so each worker drops the inherited pool (close=False: leave the
    # parent's sockets alone) and opens its own connections.
    def post_fork(_server: Any, _worker: Any) -> None:
        app.extensions["dataguild_db"].engine.dispose(close=False)

    return post_fork


def gunicorn_options(*, bind: str, workers: int, timeout: int, forwarded_allow_ips: str) -> dict[str, Any]:
    return {
        "bind": bind,
        "workers": workers,
        "worker_class": "sync",
        "timeout": timeout,
        "graceful_timeout": 30,
        "keepalive": 5,
        "max_requests": 2000,          # recycle workers now and then (bounded memory growth)
        "max_requests_jitter": 200,
        "limit_request_line": 4094,
        "limit_request_fields": 100,
        "forwarded_allow_ips": forwarded_allow_ips,
        "accesslog": "-",
        "access_log_format": ACCESS_LOG_FORMAT,
        "errorlog": "-",
        "loglevel": "info",
        # gunicorn 27's control socket (default ~/.gunicorn/gunicorn.ctl) would be one path shared by
        # every server the user runs; nothing here uses it (older gunicorns ignore the key).
        "control_socket_disable": True,
        "proc_name": "dataguild",
        "preload_app": True,           # config errors surface before forking; workers share code pages
    }


class MaskTokenPaths:
    """WSGI middleware: invitation and reset tokens are path segments. Once the app has answered, the
    token is replaced in PATH_INFO, which is what gunicorn's access log reads (``%(U)s``)."""

    SECRET_PREFIXES = ("/invitations/", "/reset-password/")

    def __init__(self, wsgi_app: Any) -> None:
        self.wsgi_app = wsgi_app

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Any:
        result = self.wsgi_app(environ, start_response)
        path = environ.get("PATH_INFO", "")
        for prefix in self.SECRET_PREFIXES:
            if path.startswith(prefix) and len(path) > len(prefix):
                environ["PATH_INFO"] = prefix + "[token]"
        return result


@click.command("serve")
@click.option("--bind", default="127.0.0.1:8000", show_default=True, help="Address:port (or unix:PATH).")
@click.option("--workers", default=None, type=click.IntRange(1, 64), help="Worker processes [2×cores+1, ≤8].")
@click.option("--timeout", default=30, show_default=True, type=int, help="Seconds before a stuck worker is restarted.")
@click.option("--forwarded-allow-ips", default="127.0.0.1", show_default=True,
              help="Proxies whose X-Forwarded-* headers are trusted (comma-separated, or '*').")
@click.option("--proxy-hops", default=0, show_default=True, type=int,
              help="Number of proxies in front; the client address is taken from X-Forwarded-For.")
@click.option("--migrate", is_flag=True, help="Run `db upgrade` before starting (only one host should).")
def serve_command(*, bind: str, workers: int | None, timeout: int, forwarded_allow_ips: str, proxy_hops: int,
                  migrate: bool) -> None:
    """Serve the site with gunicorn (DATAGUILD_ENV defaults to production: set DATAGUILD_SECRET_KEY)."""
    from governance.app import create_app
    from governance.operations.migrate import upgrade_database
    from governance.signing import SigningKeysUnavailable, key_store_for

    app = create_app()
    try:  # fail at start, not at the first enactment or receipt
        key_store_for(app.config, app.instance_path).get()
    except SigningKeysUnavailable as exc:
        raise click.ClickException(str(exc)) from None
    if migrate:
        upgrade_database(app.config["DATABASE_URL"])
        click.echo("database upgraded")
    if proxy_hops:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=proxy_hops, x_proto=proxy_hops,  # type: ignore[method-assign]
                                x_host=proxy_hops)
    app.wsgi_app = MaskTokenPaths(app.wsgi_app)  # type: ignore[method-assign]
    options = gunicorn_options(bind=bind, workers=workers or default_workers(), timeout=timeout,
                               forwarded_allow_ips=forwarded_allow_ips)
    options["post_fork"] = _fresh_connections_after_fork(app)
    DataguildServer(app, options).run()
