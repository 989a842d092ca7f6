"""Users file, roles, masking of personal numbers, and the leakline users / app / cases commands."""

from __future__ import annotations

import io
import json
import stat

import pandas as pd
import pytest

from app.auth import AuthError, UsersFile, make_user, oidc_user
from app.privacy import MaskPolicy

ROLES = {"viewer": {"act": False, "pii": False}, "analyst": {"act": True, "pii": True},
         "admin": {"act": True, "pii": True}}


def test_users_file_stores_salted_hashes_and_verifies(tmp_path):
    users = UsersFile(tmp_path / "u" / "users.json", rounds=4)
    users.add("alice", "analyst", "s3cret-pass")
    users.add("bob", "analyst", "s3cret-pass")
    raw = json.loads(users.path.read_text())
    hashes = [raw["users"][n]["password_hash"] for n in ("alice", "bob")]
    assert all(h.startswith("$2b$04$") for h in hashes) and hashes[0] != hashes[1]  # salted
    assert "s3cret-pass" not in users.path.read_text()
    assert stat.S_IMODE(users.path.stat().st_mode) == 0o600
    assert users.verify("alice", "s3cret-pass", ROLES) == make_user("alice", "analyst", ROLES)
    assert users.verify("alice", "wrong-pass", ROLES) is None
    assert users.verify("nobody", "s3cret-pass", ROLES) is None
    assert users.verify("alice", "x" * 100, ROLES) is None
    users.remove("bob")
    assert [n for n, _r, _c in users.list()] == ["alice"]


@pytest.mark.parametrize(
    ("name", "role", "password", "message"),
    [
        ("bad name", "analyst", "long-enough", "is not valid"),
        ("carol", "root", "long-enough", "unknown role"),
        ("carol", "viewer", "short", "at least 8 characters"),
        ("carol", "viewer", "é" * 40, "at most 72 bytes"),
        ("alice", "viewer", "long-enough", "already exists"),
    ],
)
def test_user_mistakes_are_clear(tmp_path, name, role, password, message):
    users = UsersFile(tmp_path / "users.json", rounds=4)
    users.add("alice", "analyst", "s3cret-pass")
    with pytest.raises(AuthError, match=message):
        users.add(name, role, password)


def test_roles_and_oidc_mapping():
    viewer = make_user("v", "viewer", ROLES)
    assert (viewer.can_act, viewer.can_see_pii) == (False, False)
    mapped = oidc_user("ana@example.com", {"ana@example.com": "admin"}, "viewer", ROLES)
    assert (mapped.role, mapped.source, mapped.is_admin) == ("admin", "oidc", True)
    assert oidc_user("x@example.com", {}, "viewer", ROLES).role == "viewer"


def test_masking_numbers_text_and_frames():
    policy = MaskPolicy(enabled=True, keep_prefix=5, keep_suffix=2)
    assert policy.number("491512345623") == "49151*****23"
    assert policy.number("+4915123456723") == "+49151******23"
    assert policy.number("26201123456789") == "26201*******89"
    assert policy.number("1234") == "1234"  # short codes are not personal
    assert policy.text("SIM box on 4915123456723, cell 42") == "SIM box on 49151******23, cell 42"
    df = pd.DataFrame({"msisdn": ["4915123456723", None], "imei": ["356789012345678", "35"],
                       "title": ["calls from 491709876543", "plan P_BASIC|national"], "amount": [1, 2]})
    masked = policy.frame(df)
    assert masked.to_dict("list") == {
        "msisdn": ["49151******23", None], "imei": ["35678********78", "35"],
        "title": ["calls from 49170*****43", "plan P_BASIC|national"], "amount": [1, 2]}
    assert df["msisdn"][0] == "4915123456723"  # the input is untouched
    assert MaskPolicy(enabled=False).frame(df) is df


def main(argv: list[str]) -> int:
    """``leakline`` with only app/cli.py's commands (as jobs.cli.main runs them), so these tests do
    not depend on the other stages' commands."""
    import argparse
    import sys

    from app import cli
    from jobs.cli import common_options, make_context
    from jobs.common.errors import LeaklineError

    parents = [common_options()]
    parser = argparse.ArgumentParser(prog="leakline", parents=parents)
    cli.register(parser.add_subparsers(dest="command"), parents)
    args = parser.parse_args(argv)
    try:
        return int(args.handler(args, make_context(args)))
    except LeaklineError as exc:
        print(f"leakline: error: {exc}", file=sys.stderr)
        return exc.exit_code


def test_users_cli(tmp_path, monkeypatch, capsys):
    users_file = tmp_path / "users.json"
    monkeypatch.setenv("LEAKLINE_USERS_FILE", str(users_file))
    common = ["--conf-dir", "conf", "--lakehouse", str(tmp_path / "lh")]
    monkeypatch.setattr("sys.stdin", io.StringIO("pass-from-stdin\n"))
    assert main(["users", "add", "carol", "--role", "viewer", "--password-stdin", *common]) == 0
    assert main(["users", "add", "dan", "--role", "admin", "--password", "another-pass", *common]) == 0
    assert main(["users", "add", "dan", "--role", "admin", "--password", "another-pass", *common]) == 2
    assert main(["users", "list", *common]) == 0
    assert main(["users", "remove", "dan", *common]) == 0
    out, err = capsys.readouterr()
    assert "leakline: error: user 'dan' already exists" in err
    listed = [line.split()[:2] for line in out.splitlines() if line.startswith(("carol ", "dan "))]
    assert listed == [["carol", "viewer"], ["dan", "admin"]]
    users = UsersFile(users_file)
    assert users.verify("carol", "pass-from-stdin", ROLES).role == "viewer"
    assert [n for n, _r, _c in users.list()] == ["carol"]


def test_app_command_passes_config_through_env(tmp_path, monkeypatch):
    import argparse

    from app.cli import APP_SCRIPT, app_command
    from jobs.cli import make_context

    monkeypatch.setenv("LEAKLINE_USERS_FILE", str(tmp_path / "u.json"))
    args = argparse.Namespace(env="local", conf_dir="conf", lakehouse=str(tmp_path / "lh"), port=8600,
                              address="127.0.0.1", headless=True)
    argv, env = app_command(args, make_context(args))
    assert argv[1:5] == ["-m", "streamlit", "run", str(APP_SCRIPT)]
    assert argv[argv.index("--server.port") + 1] == "8600"
    assert argv[argv.index("--server.headless") + 1] == "true"
    assert (env["LEAKLINE_LAKEHOUSE"], env["LEAKLINE_USERS_FILE"], env["LEAKLINE_ENV"]) == (
        str(tmp_path / "lh"), str(tmp_path / "u.json"), "local")
    assert env["LEAKLINE_CONF_DIR"].endswith("/conf")
