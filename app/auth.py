"""Users, roles and sign-in checks (no Streamlit here: the sign-in page and the CLI both use it).

The embedded default is a local users file (JSON, mode 0600) holding a salted bcrypt hash per
user; ``leakline users add`` writes it. Roles: ``viewer`` (read-only, personal numbers masked),
``analyst`` (works cases), ``admin``; what each may do is ``app.roles`` in conf. With
``app.auth.mode: oidc`` the identity comes from ``st.user`` and the role from ``app.users``.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import re
import tempfile
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import bcrypt

from jobs.common.errors import LeaklineError

log = logging.getLogger("leakline.app.auth")

ROLES = ("viewer", "analyst", "admin")
USERNAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._@+-]{0,63}$")
BCRYPT_MAX_BYTES = 72
# Checked when a user name is unknown so that a wrong name costs as long as a wrong password.
_DUMMY_HASH = bcrypt.hashpw(b"leakline-no-such-user", bcrypt.gensalt(rounds=4))


class AuthError(LeaklineError):
    """A user administration mistake (bad name, role or password; unknown user)."""


@dataclass(frozen=True)
class User:
    """The signed-in user. ``name`` is the actor on every case event; it is never typed in a form."""

    name: str
    role: str
    can_act: bool
    can_see_pii: bool
    source: str = "local"

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"


def make_user(name: str, role: str, roles_cfg: Mapping[str, Any], source: str = "local") -> User:
    """A :class:`User` with the permissions ``app.roles`` gives ``role``."""
    if role not in ROLES or role not in roles_cfg:
        raise AuthError(f"unknown role {role!r}: use one of {', '.join(ROLES)}")
    perms = roles_cfg[role] or {}
    return User(name, role, bool(perms.get("act", False)), bool(perms.get("pii", False)), source)


def oidc_user(email: str, users_map: Mapping[str, Any], default_role: str, roles_cfg: Mapping[str, Any]) -> User:
    """Role of an OIDC identity: ``app.users[email]``, else ``app.auth.oidc_default_role``."""
    role = str(users_map.get(email) or users_map.get(email.lower()) or default_role)
    return make_user(email, role, roles_cfg, source="oidc")


class UsersFile:
    """The local users file: ``{"version": 1, "users": {name: {role, password_hash, created_at}}}``."""

    def __init__(self, path: str | Path, rounds: int = 12, min_length: int = 8):
        self.path = Path(path)
        self.rounds = int(rounds)
        self.min_length = int(min_length)

    # ----------------------------------------------------------------- reading
    def load(self) -> dict[str, dict[str, Any]]:
        if not self.path.is_file():
            return {}
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
        except (OSError, json.JSONDecodeError) as exc:
            raise AuthError(f"users file {self.path} cannot be read: {exc}") from None
        users = data.get("users") if isinstance(data, dict) else None
        if not isinstance(users, dict):
            raise AuthError(f"users file {self.path} has no 'users' mapping")
        return users

    def list(self) -> list[tuple[str, str, str]]:
        """(name, role, created_at) sorted by name."""
        return sorted((n, str(u.get("role")), str(u.get("created_at", ""))) for n, u in self.load().items())

    def verify(self, name: str, password: str, roles_cfg: Mapping[str, Any]) -> User | None:
        """The user when name and password match, else None (same cost either way)."""
        record = self.load().get(name.strip()) if name else None
        secret = password.encode("utf-8")
        if len(secret) > BCRYPT_MAX_BYTES:
            return None
        stored = str(record.get("password_hash", "")).encode() if record else _DUMMY_HASH
        try:
            ok = bcrypt.checkpw(secret, stored)
        except ValueError:
            ok = False
        if not ok or record is None:
            log.info("sign-in refused for %r", name)
            return None
        return make_user(name.strip(), str(record.get("role")), roles_cfg)

    # ----------------------------------------------------------------- writing
    def add(self, name: str, role: str, password: str, replace: bool = False) -> None:
        if not USERNAME.match(name or ""):
            raise AuthError(
                f"user name {name!r} is not valid: letters, digits and . _ @ + - (at most 64 characters)"
            )
        if role not in ROLES:
            raise AuthError(f"unknown role {role!r}: use one of {', '.join(ROLES)}")
        secret = (password or "").encode("utf-8")
        if len(password or "") < self.min_length:
            raise AuthError(f"password must have at least {self.min_length} characters")
        if len(secret) > BCRYPT_MAX_BYTES:
            raise AuthError(f"password must be at most {BCRYPT_MAX_BYTES} bytes (a bcrypt limit)")
        hashed = bcrypt.hashpw(secret, bcrypt.gensalt(rounds=self.rounds)).decode()
        with self._locked():
            users = self.load()
            if name in users and not replace:
                raise AuthError(f"user {name!r} already exists (use --replace to reset password and role)")
            users[name] = {
                "role": role,
                "password_hash": hashed,
                "created_at": datetime.now(UTC).isoformat(timespec="seconds"),
            }
            self._write(users)

    def remove(self, name: str) -> None:
        with self._locked():
            users = self.load()
            if name not in users:
                raise AuthError(f"no user {name!r} in {self.path}")
            del users[name]
            self._write(users)

    def _write(self, users: dict[str, dict[str, Any]]) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=".users-", dir=self.path.parent)
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as fh:
                json.dump({"version": 1, "users": users}, fh, indent=2, sort_keys=True)
            os.chmod(tmp, 0o600)
            os.replace(tmp, self.path)  # atomic: readers see the old or the new file, never half
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
            raise

    @contextlib.contextmanager
    def _locked(self) -> Iterator[None]:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with file_lock(self.path.with_name(self.path.name + ".lock")):
            yield


@contextlib.contextmanager
def file_lock(path: Path) -> Iterator[None]:
    """An exclusive advisory lock on ``path`` (POSIX flock; a no-op where fcntl is missing)."""
    try:
        import fcntl
    except ImportError:  # pragma: no cover - Windows
        yield
        return
    with open(path, "a+") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)
