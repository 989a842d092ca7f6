"""The wheel a cluster installs: every module, the default config, the entry points, the extras."""

from __future__ import annotations

from email.parser import Parser
from pathlib import Path

import pytest

pytestmark = pytest.mark.integration

REPO = Path(__file__).resolve().parents[2]
PACKAGES = ("jobs", "models", "app")


def _metadata(wheel_files: dict[str, bytes]):
    name = next(n for n in wheel_files if n.endswith(".dist-info/METADATA"))
    return Parser().parsestr(wheel_files[name].decode())


def test_wheel_holds_every_module_of_the_packages(wheel_files):
    in_repo = {
        p.relative_to(REPO).as_posix()
        for package in PACKAGES
        for p in (REPO / package).rglob("*.py")
        if "__pycache__" not in p.parts
    }
    in_wheel = {n for n in wheel_files if n.endswith(".py")}
    missing = sorted(in_repo - in_wheel)
    # A folder without __init__.py is not found as a package and silently left out of the wheel.
    assert missing == [], f"modules missing from the wheel (a package without __init__.py?): {missing}"


def test_wheel_ships_the_default_config_byte_for_byte(wheel_files):
    conf = REPO / "conf"
    expected = {
        f"jobs/conf/{p.relative_to(conf).as_posix()}": p.read_bytes()
        for p in conf.rglob("*") if p.is_file() and p.suffix in {".yml", ".yaml", ".md"}
    }
    shipped = {n: b for n, b in wheel_files.items() if n.startswith("jobs/conf/")}
    assert shipped == expected
    assert {"jobs/conf/base/lake.yml", "jobs/conf/local/spark.yml", "jobs/conf/cluster/lake.yml",
            "jobs/conf/databricks/lake.yml"} <= set(shipped)


def test_console_scripts(wheel_files):
    name = next(n for n in wheel_files if n.endswith(".dist-info/entry_points.txt"))
    text = wheel_files[name].decode()
    section = text.split("[console_scripts]", 1)[1].split("[", 1)[0]
    scripts = {k.strip(): v.strip() for k, v in (line.split("=", 1) for line in section.splitlines() if "=" in line)}
    assert scripts == {"leakline": "jobs.cli:main", "leakline-submit": "jobs.submit:main"}


def test_pyspark_is_an_extra_not_a_requirement(wheel_files):
    meta = _metadata(wheel_files)
    requires = meta.get_all("Requires-Dist") or []
    unconditional = [r for r in requires if "extra ==" not in r]
    spark_extra = [r.split(";")[0].replace(" ", "") for r in requires if 'extra == "spark"' in r]
    assert not [r for r in unconditional if r.lower().startswith(("pyspark", "delta-spark", "pandera[pyspark]"))]
    assert any(r.startswith("pyspark") for r in spark_extra), spark_extra
    assert any(r.startswith("delta-spark") for r in spark_extra), spark_extra
    assert "spark" in (meta.get_all("Provides-Extra") or [])


def test_installed_default_conf_dir_is_beside_the_package(tmp_path, monkeypatch):
    """default_conf_dir() looks for jobs/conf (the wheel's layout) before the repository's conf/."""
    from jobs.common import config

    fake_pkg = tmp_path / "site-packages" / "jobs"
    (fake_pkg / "common").mkdir(parents=True)
    (fake_pkg / "conf" / "base").mkdir(parents=True)
    monkeypatch.delenv("LEAKLINE_CONF_DIR", raising=False)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(config, "__file__", str(fake_pkg / "common" / "config.py"))
    assert config.default_conf_dir() == (fake_pkg / "conf").resolve()
    assert Path(config.default_conf_dir(), "base").is_dir()
