"""Layered configuration: ``conf/base`` <- ``conf/<env>`` <- ``--conf FILE`` <- command-line overrides.

Every YAML file in a layer is merged into one tree. ``conf/base`` declares every key with a value of
the right type; later layers may only override keys that exist there (except below the free-form
maps listed in ``FREE_MAPS``) and with a value of the same type. ``${VAR}`` and ``${VAR:default}``
are replaced from the environment. Any violation is a :class:`ConfigError` naming the key.
"""

from __future__ import annotations

import copy
import os
import re
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import yaml

from jobs.common.errors import ConfigError

# Keys whose values are user maps: any sub-key is allowed there.
FREE_MAPS = {"lake.locations", "spark.conf", "reconcile.case_rules", "app.users"}

_ENV_REF = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)(?::([^}]*))?\}")
_MISSING = object()


def default_conf_dir() -> Path:
    """``$LEAKLINE_CONF_DIR``, else ``./conf`` when it exists, else the ``conf`` beside the package."""
    env = os.environ.get("LEAKLINE_CONF_DIR")
    if env:
        return Path(env)
    cwd_conf = Path.cwd() / "conf"
    if (cwd_conf / "base").is_dir():
        return cwd_conf
    packaged = Path(__file__).resolve().parent.parent / "conf"  # conf shipped inside the wheel
    if (packaged / "base").is_dir():
        return packaged
    return Path(__file__).resolve().parents[2] / "conf"


class Config(Mapping[str, Any]):
    """A read-only view of the merged configuration with dotted-path access."""

    def __init__(self, tree: dict[str, Any], env: str, sources: list[str]):
        self._tree = tree
        self.env = env
        self.sources = sources

    def __getitem__(self, key: str) -> Any:
        return self._tree[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._tree)

    def __len__(self) -> int:
        return len(self._tree)

    def get_path(self, dotted: str, default: Any = _MISSING) -> Any:
        node: Any = self._tree
        for part in dotted.split("."):
            if not isinstance(node, Mapping) or part not in node:
                if default is _MISSING:
                    raise ConfigError(f"config key {dotted!r} is not set (sources: {self.sources})")
                return default
            node = node[part]
        return node

    def with_overrides(self, overrides: Mapping[str, Any]) -> Config:
        """A copy with dotted keys replaced (``{"lake.root": "/x"}``), type-checked like a layer."""
        tree = copy.deepcopy(self._tree)
        for dotted, value in overrides.items():
            if value is None:
                continue
            _set_checked(tree, dotted, value, origin="command line")
        return Config(tree, self.env, [*self.sources, "command line"])

    def to_dict(self) -> dict[str, Any]:
        return copy.deepcopy(self._tree)


def load_config(
    env: str = "local",
    conf_dir: str | Path | None = None,
    extra_file: str | Path | None = None,
    overrides: Mapping[str, Any] | None = None,
) -> Config:
    """Load ``base``, then ``<env>``, then ``extra_file``, then ``overrides`` (dotted keys)."""
    root = Path(conf_dir) if conf_dir else default_conf_dir()
    base_dir = root / "base"
    if not base_dir.is_dir():
        raise ConfigError(f"config folder {base_dir} does not exist (set --conf-dir or LEAKLINE_CONF_DIR)")
    tree: dict[str, Any] = {}
    sources = []
    for path in sorted(base_dir.glob("*.yml")):
        _deep_merge_unchecked(tree, _read_yaml(path))
        sources.append(str(path))
    env_dir = root / env
    if not env_dir.is_dir():
        envs = sorted(p.name for p in root.iterdir() if p.is_dir() and p.name != "base")
        raise ConfigError(f"unknown environment {env!r}: no folder {env_dir} (known: {', '.join(envs)})")
    layers = sorted(env_dir.glob("*.yml"))
    if extra_file is not None:
        extra = Path(extra_file)
        if not extra.is_file():
            raise ConfigError(f"config file {extra} does not exist")
        layers.append(extra)
    for path in layers:
        for dotted, value in _flatten(_read_yaml(path)):
            _set_checked(tree, dotted, value, origin=str(path))
        sources.append(str(path))
    tree = _interpolate(tree, "")
    cfg = Config(tree, env, sources)
    return cfg.with_overrides(overrides or {})


def _read_yaml(path: Path) -> dict[str, Any]:
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" line {mark.line + 1}" if mark is not None else ""
        raise ConfigError(f"config file {path}{where} is not valid YAML") from None
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise ConfigError(f"config file {path} must hold a mapping at the top level")
    return data


def _flatten(tree: Mapping[str, Any], prefix: str = "") -> Iterator[tuple[str, Any]]:
    for key, value in tree.items():
        dotted = f"{prefix}{key}"
        if isinstance(value, Mapping) and value and dotted not in FREE_MAPS:
            yield from _flatten(value, dotted + ".")
        else:
            yield dotted, value


def _deep_merge_unchecked(into: dict[str, Any], new: Mapping[str, Any]) -> None:
    for key, value in new.items():
        if isinstance(value, Mapping) and isinstance(into.get(key), dict):
            _deep_merge_unchecked(into[key], value)
        else:
            into[key] = copy.deepcopy(value)


def _type_name(value: Any) -> str:
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int | float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "list"
    if isinstance(value, Mapping):
        return "mapping"
    return "null" if value is None else type(value).__name__


def _in_free_map(dotted: str) -> bool:
    return any(dotted == m or dotted.startswith(m + ".") for m in FREE_MAPS)


def _set_checked(tree: dict[str, Any], dotted: str, value: Any, origin: str) -> None:
    parts = dotted.split(".")
    node: Any = tree
    for i, part in enumerate(parts[:-1]):
        here = ".".join(parts[: i + 1])
        if not isinstance(node, dict) or part not in node:
            if _in_free_map(here) and isinstance(node, dict):
                node = node.setdefault(part, {})
                continue
            raise ConfigError(f"unknown config key {dotted!r} in {origin}")
        node = node[part]
    leaf = parts[-1]
    if not isinstance(node, dict):
        raise ConfigError(f"unknown config key {dotted!r} in {origin}")
    if leaf not in node:
        if not _in_free_map(dotted):
            raise ConfigError(f"unknown config key {dotted!r} in {origin}")
        node[leaf] = value
        return
    current = node[leaf]
    if isinstance(value, str) and _type_name(current) in {"number", "boolean"}:
        value = _coerce_scalar(value, current, dotted, origin)
    if current is not None and not _ENV_REF.search(str(current)) and _type_name(value) != _type_name(current):
        raise ConfigError(
            f"config key {dotted!r} in {origin} must be a {_type_name(current)}, got {value!r}"
        )
    node[leaf] = copy.deepcopy(value)


def _coerce_scalar(text: str, like: Any, dotted: str, origin: str) -> Any:
    """Command-line and environment values arrive as text: read them as the base type."""
    if _ENV_REF.search(text):
        return text
    try:
        if isinstance(like, bool):
            if text.lower() in {"true", "yes", "1"}:
                return True
            if text.lower() in {"false", "no", "0"}:
                return False
            raise ValueError(text)
        return type(like)(text)
    except ValueError:
        raise ConfigError(
            f"config key {dotted!r} in {origin} must be a {_type_name(like)}, got {text!r}"
        ) from None


def _interpolate(node: Any, path: str) -> Any:
    if isinstance(node, dict):
        return {k: _interpolate(v, f"{path}.{k}" if path else k) for k, v in node.items()}
    if isinstance(node, list):
        return [_interpolate(v, path) for v in node]
    if not isinstance(node, str) or "${" not in node:
        return node

    def repl(match: re.Match[str]) -> str:
        name, default = match.group(1), match.group(2)
        if name in os.environ:
            return os.environ[name]
        if default is not None:
            return default
        raise ConfigError(f"config key {path!r} needs environment variable {name}, which is not set")

    return _ENV_REF.sub(repl, node)
