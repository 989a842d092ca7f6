"""App test fixtures: a demo lakehouse built once (delta-rs, no Spark), copied for each test."""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
if str(REPO) not in sys.path:  # tests.app.fixtures is imported by path from the repo root
    sys.path.insert(0, str(REPO))

from tests.app.fixtures import DemoData, build_demo_lakehouse, build_registry  # noqa: E402

APP = REPO / "app" / "streamlit_app.py"
PASSWORD = "correct-horse-9"
USERS = {"alice": "analyst", "bob": "analyst", "vera": "viewer", "adam": "admin"}


def _cfg(root: Path):
    from jobs.common.config import load_config

    return load_config("local", conf_dir=REPO / "conf", overrides={"lake.root": str(root)})


@pytest.fixture(scope="session")
def demo_template(tmp_path_factory) -> tuple[Path, DemoData, Path]:
    """(lakehouse, what it holds, users file) — built once; tests use copies (app_env)."""
    from app.auth import UsersFile
    from jobs.common.lake import make_lake

    base = tmp_path_factory.mktemp("demo")
    root = base / "lakehouse"
    demo = build_demo_lakehouse(make_lake(_cfg(root), None))
    build_registry(root)
    users = UsersFile(base / "users.json", rounds=4)
    for name, role in USERS.items():
        users.add(name, role, PASSWORD)
    return root, demo, users.path


class AppEnv:
    def __init__(self, root: Path, users_file: Path, demo: DemoData):
        self.root, self.users_file, self.demo = root, users_file, demo
        self.cfg = _cfg(root)

    @property
    def lake(self):
        from jobs.common.lake import make_lake

        return make_lake(self.cfg, None)

    @property
    def store(self):
        from app.workflow import CaseStore

        return CaseStore(self.root / "app" / "cases.db")

    def user(self, name: str):
        from app.auth import make_user

        return make_user(name, USERS[name], self.cfg.get_path("app.roles"))

    def env(self) -> dict[str, str]:
        return {"LEAKLINE_LAKEHOUSE": str(self.root), "LEAKLINE_USERS_FILE": str(self.users_file),
                "LEAKLINE_CONF_DIR": str(REPO / "conf"), "LEAKLINE_ENV": "local"}


@pytest.fixture
def app_env(demo_template, tmp_path, monkeypatch) -> AppEnv:
    """A private copy of the demo lakehouse and users file, wired into the app's env vars."""
    template, demo, users = demo_template
    root = tmp_path / "lakehouse"
    shutil.copytree(template, root)
    users_file = tmp_path / "users.json"
    shutil.copy(users, users_file)
    env = AppEnv(root, users_file, demo)
    for key, value in env.env().items():
        monkeypatch.setenv(key, value)
    for key in ("LEAKLINE_CASES_DB", "LEAKLINE_CONF_FILE"):
        monkeypatch.delenv(key, raising=False)
    return env
