"""Build hook: ship ``conf/`` inside the wheel as ``jobs/conf`` so an installed leakline finds its config.

Everything else about the package lives in ``pyproject.toml``. ``jobs.common.config.default_conf_dir``
looks for ``conf/base`` beside the package (``<site-packages>/jobs/conf``) when there is no ``./conf``
and no ``$LEAKLINE_CONF_DIR``; an editable install reads the repository's ``conf/`` directly.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

HERE = Path(__file__).resolve().parent
CONF_SUFFIXES = {".yml", ".yaml", ".md"}


class BuildPyWithConf(build_py):
    """``build_py`` that also copies ``conf/**`` (YAML and READMEs) to ``<build>/jobs/conf``."""

    def run(self) -> None:
        super().run()
        if getattr(self, "editable_mode", False):
            return  # editable installs use the repository's conf/ in place
        source = HERE / "conf"
        if not (source / "base").is_dir():
            raise SystemExit(f"conf/base not found under {HERE}: cannot build a wheel without its config")
        target = Path(self.build_lib) / "jobs" / "conf"
        for path in sorted(source.rglob("*")):
            if path.is_file() and path.suffix in CONF_SUFFIXES:
                dest = target / path.relative_to(source)
                dest.parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(path, dest)


setup(cmdclass={"build_py": BuildPyWithConf})
