"""``leakline users ...``, ``leakline app`` and ``leakline cases sync`` (loaded by name from jobs/cli.py).

Kept light at import time (no Streamlit, no MLflow): every ``leakline`` command builds its parser
from this module. Handlers never start Spark: the case sync uses the delta-rs lake.
"""

from __future__ import annotations

import argparse
import getpass
import logging
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

log = logging.getLogger("leakline.app")


def _out(line: str) -> None:
    """Command output for the user (stdout; logging goes to stderr)."""
    sys.stdout.write(line + "\n")

APP_SCRIPT = Path(__file__).resolve().parent / "streamlit_app.py"


def register(sub: Any, parents: list[argparse.ArgumentParser]) -> None:
    users = sub.add_parser("users", parents=parents, help="manage sign-in users of the analyst app")
    users_sub = users.add_subparsers(dest="users_command", metavar="ACTION", required=True)
    add = users_sub.add_parser("add", parents=parents, help="add a user (or reset one with --replace)")
    add.add_argument("username")
    add.add_argument("--role", required=True, choices=["viewer", "analyst", "admin"])
    secret = add.add_mutually_exclusive_group()
    secret.add_argument("--password-stdin", action="store_true", help="read the password from standard input")
    secret.add_argument("--password", help="the password (visible in the process list: prefer --password-stdin)")
    add.add_argument("--replace", action="store_true", help="replace an existing user's password and role")
    add.set_defaults(handler=users_add)
    lst = users_sub.add_parser("list", parents=parents, help="list users and roles")
    lst.set_defaults(handler=users_list)
    rm = users_sub.add_parser("remove", parents=parents, help="remove a user")
    rm.add_argument("username")
    rm.set_defaults(handler=users_remove)

    app = sub.add_parser("app", parents=parents, help="open the analyst app (streamlit run app/streamlit_app.py)")
    app.add_argument("--port", type=int, default=8501)
    app.add_argument("--address", default="localhost", help="interface to listen on (default: localhost)")
    app.add_argument("--headless", action="store_true", help="do not open a browser")
    app.set_defaults(handler=run_app)

    cases = sub.add_parser("cases", parents=parents, help="case workflow: land case events in the lake")
    cases.add_argument("action", choices=["sync"])
    cases.add_argument("--incremental", action="store_true",
                       help="only events past the lake's last event_seq (default: merge all, idempotent)")
    cases.set_defaults(handler=cases_sync)


def _users_file(ctx: Any) -> Any:
    from app.auth import UsersFile

    cfg = ctx.cfg
    return UsersFile(
        Path(str(cfg.get_path("app.auth.users_file"))).resolve(),
        rounds=int(cfg.get_path("app.auth.bcrypt_rounds")),
        min_length=int(cfg.get_path("app.auth.min_password_length")),
    )


def _read_password(args: argparse.Namespace) -> str:
    from app.auth import AuthError

    if args.password is not None:
        return str(args.password)
    if args.password_stdin:
        line = sys.stdin.readline()
        if not line:
            raise AuthError("--password-stdin: nothing on standard input")
        return line.rstrip("\r\n")
    if not sys.stdin.isatty():
        raise AuthError("no password given: use --password-stdin (or run in a terminal to be prompted)")
    first = getpass.getpass(f"Password for {args.username}: ")
    if first != getpass.getpass("Repeat: "):
        raise AuthError("the two passwords differ")
    return first


def users_add(args: argparse.Namespace, ctx: Any) -> int:
    users = _users_file(ctx)
    users.add(args.username, args.role, _read_password(args), replace=args.replace)
    _out(f"user {args.username} ({args.role}) saved in {users.path}")
    return 0


def users_list(args: argparse.Namespace, ctx: Any) -> int:
    users = _users_file(ctx)
    rows = users.list()
    if not rows:
        _out(f"no users in {users.path}")
    for name, role, created in rows:
        _out(f"{name:24s} {role:8s} {created}")
    return 0


def users_remove(args: argparse.Namespace, ctx: Any) -> int:
    users = _users_file(ctx)
    users.remove(args.username)
    _out(f"user {args.username} removed from {users.path}")
    return 0


def app_command(args: argparse.Namespace, ctx: Any) -> tuple[list[str], dict[str, str]]:
    """The ``streamlit run`` command line and environment for ``leakline app``."""
    from jobs.common.config import default_conf_dir

    cfg = ctx.cfg
    env = dict(os.environ)
    env["LEAKLINE_ENV"] = cfg.env
    conf_dir = getattr(args, "conf_dir", None) or default_conf_dir()
    env["LEAKLINE_CONF_DIR"] = str(Path(conf_dir).resolve())
    if getattr(args, "conf", None):
        env["LEAKLINE_CONF_FILE"] = str(Path(args.conf).resolve())
    root = str(cfg.get_path("lake.root"))
    env["LEAKLINE_LAKEHOUSE"] = root if "://" in root else str(Path(root).resolve())
    env["LEAKLINE_USERS_FILE"] = str(Path(str(cfg.get_path("app.auth.users_file"))).resolve())
    cases_db = str(cfg.get_path("app.cases_db", "") or "")
    if cases_db:
        env["LEAKLINE_CASES_DB"] = str(Path(cases_db).resolve())
    argv = [
        sys.executable, "-m", "streamlit", "run", str(APP_SCRIPT),
        "--server.port", str(args.port),
        "--server.address", str(args.address),
        "--server.headless", "true" if args.headless else "false",
        "--browser.gatherUsageStats", "false",
    ]
    return argv, env


def run_app(args: argparse.Namespace, ctx: Any) -> int:
    argv, env = app_command(args, ctx)
    log.info("starting the app on http://%s:%s (lakehouse %s)", args.address, args.port, env["LEAKLINE_LAKEHOUSE"])
    try:
        return subprocess.call(argv, env=env)
    except KeyboardInterrupt:
        return 0


def cases_sync(args: argparse.Namespace, ctx: Any) -> int:
    from app.settings import resolve
    from app.sync import sync_events
    from app.workflow import CaseStore
    from jobs.common.lake import make_lake

    settings = resolve(ctx.cfg)
    store = CaseStore(settings.cases_db, float(ctx.cfg.get_path("app.db_busy_timeout_s")))
    result = sync_events(store, make_lake(ctx.cfg, None), full=not args.incremental)
    for line in result.lines():
        _out(line)
    return 0
