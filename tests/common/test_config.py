"""Layered config: base <- env <- file <- command line; every mistake names its key."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from jobs.common.config import load_config
from jobs.common.errors import ConfigError

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture
def conf_dir(tmp_path):
    target = tmp_path / "conf"
    shutil.copytree(REPO / "conf", target)
    return target


def test_base_values_and_env_override(conf_dir):
    (conf_dir / "local" / "ingest.yml").write_text("ingest:\n  future_tolerance_hours: 2\n")
    cfg = load_config("local", conf_dir=conf_dir)
    assert cfg.get_path("ingest.future_tolerance_hours") == 2
    assert cfg.get_path("ingest.max_duration_s") == 86400  # untouched base value
    assert cfg.env == "local" and str(conf_dir / "local" / "ingest.yml") in cfg.sources


def test_cluster_env_takes_paths_from_the_environment(conf_dir, monkeypatch):
    monkeypatch.setenv("LEAKLINE_LAKEHOUSE", "s3://bucket/lake")
    cfg = load_config("cluster", conf_dir=conf_dir)
    assert cfg.get_path("lake.root") == "s3://bucket/lake"
    assert cfg.get_path("logging.format") == "json"


def test_missing_environment_variable_names_key_and_variable(conf_dir, monkeypatch):
    monkeypatch.delenv("LEAKLINE_LAKEHOUSE", raising=False)
    with pytest.raises(ConfigError, match=r"'lake.root' needs environment variable LEAKLINE_LAKEHOUSE"):
        load_config("cluster", conf_dir=conf_dir)


def test_env_default_is_used_when_variable_is_unset(conf_dir, monkeypatch):
    monkeypatch.delenv("LEAKLINE_LAKEHOUSE", raising=False)
    assert load_config("local", conf_dir=conf_dir).get_path("lake.root") == "var/lakehouse"


def test_unknown_key_is_refused(conf_dir):
    (conf_dir / "local" / "x.yml").write_text("ingest:\n  future_tolerance_hourz: 2\n")
    with pytest.raises(ConfigError, match=r"unknown config key 'ingest.future_tolerance_hourz' in .*x.yml"):
        load_config("local", conf_dir=conf_dir)


def test_wrong_type_is_refused(conf_dir):
    (conf_dir / "local" / "x.yml").write_text("ingest:\n  max_duration_s: lots\n")
    with pytest.raises(ConfigError, match=r"'ingest.max_duration_s' in .*x.yml must be a number, got 'lots'"):
        load_config("local", conf_dir=conf_dir)


def test_invalid_yaml_names_file_and_line(conf_dir):
    (conf_dir / "local" / "x.yml").write_text("ingest:\n  a: [1, 2\n")
    with pytest.raises(ConfigError, match=r"x.yml line \d+ is not valid YAML"):
        load_config("local", conf_dir=conf_dir)


def test_free_maps_accept_new_keys(conf_dir):
    (conf_dir / "local" / "x.yml").write_text(
        "lake:\n  locations:\n    gold.cases: catalog:main.ra.cases\nspark:\n  conf:\n    spark.foo: bar\n"
    )
    cfg = load_config("local", conf_dir=conf_dir)
    assert cfg.get_path("lake.locations") == {"gold.cases": "catalog:main.ra.cases"}
    assert cfg.get_path("spark.conf")["spark.foo"] == "bar"


def test_command_line_overrides_are_typed(conf_dir):
    cfg = load_config("local", conf_dir=conf_dir, overrides={"ingest.max_duration_s": "60", "lake.root": "/x"})
    assert cfg.get_path("ingest.max_duration_s") == 60 and cfg.get_path("lake.root") == "/x"
    with pytest.raises(ConfigError, match="must be a number"):
        load_config("local", conf_dir=conf_dir, overrides={"ingest.max_duration_s": "sixty"})


def test_extra_file_layer_and_missing_file(conf_dir, tmp_path):
    extra = tmp_path / "site.yml"
    extra.write_text("logging:\n  level: DEBUG\n")
    assert load_config("local", conf_dir=conf_dir, extra_file=extra).get_path("logging.level") == "DEBUG"
    with pytest.raises(ConfigError, match=r"config file .*nope\.yml does not exist"):
        load_config("local", conf_dir=conf_dir, extra_file=tmp_path / "nope.yml")


def test_unknown_environment_lists_known_ones(conf_dir):
    with pytest.raises(ConfigError, match=r"unknown environment .prod.*known: .*cluster.*local"):
        load_config("prod", conf_dir=conf_dir)
