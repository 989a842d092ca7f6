"""``leakline`` — one thin entry point per stage.

Every stage package has a ``cli.py`` with ``register(subparsers, parents)`` that adds its commands
and sets ``handler(args, ctx) -> int`` (``ctx`` is None for commands that need no config). User
mistakes (bad path, bad config, bad input files) end as one line on stderr and a non-zero exit.
"""

from __future__ import annotations

import argparse
import importlib
import logging
import sys
from collections.abc import Sequence

from jobs import __version__
from jobs.common.errors import LeaklineError

# Commands that are runs of a stage: each leaves a row in ops.runs (the pipeline records its stages).
RECORDED_COMMANDS = {"ingest", "reconcile", "features", "train", "score"}

# Stage packages in pipeline order. "app.cli" adds user administration for the app's sign-in: it is
# loaded by name so that jobs/ never imports app/ code at module level.
COMMAND_MODULES = (
    "jobs.generate.cli",
    "jobs.ingest.cli",
    "jobs.reconcile.cli",
    "jobs.fraud.cli",
    "jobs.pipeline",
    "jobs.backfill",
    "jobs.evaluate",
    "jobs.tables",
    "app.cli",
)


def common_options() -> argparse.ArgumentParser:
    """Options every command takes (also accepted after the command name)."""
    parent = argparse.ArgumentParser(add_help=False)
    group = parent.add_argument_group("configuration")
    group.add_argument("--env", default=argparse.SUPPRESS, help="config environment: conf/<env> (default: local)")
    group.add_argument("--conf", default=argparse.SUPPRESS, metavar="FILE", help="one more YAML layer on top")
    group.add_argument("--conf-dir", default=argparse.SUPPRESS, metavar="DIR", help="config root (default: ./conf)")
    group.add_argument("--lakehouse", default=argparse.SUPPRESS, metavar="DIR", help="lakehouse root (lake.root)")
    group.add_argument("--landing", default=argparse.SUPPRESS, metavar="DIR", help="landing zone (ingest.landing)")
    group.add_argument("--log-level", default=argparse.SUPPRESS, help="DEBUG, INFO, WARNING")
    return parent


def build_parser() -> argparse.ArgumentParser:
    parents = [common_options()]
    parser = argparse.ArgumentParser(
        prog="leakline",
        description="Revenue assurance and fraud detection for telecom operators.",
        parents=parents,
    )
    parser.add_argument("--version", action="version", version=f"leakline {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for module_name in COMMAND_MODULES:
        try:
            module = importlib.import_module(module_name)
        except ModuleNotFoundError as exc:
            if exc.name and module_name.startswith(exc.name):
                continue  # a stage not present in this build
            raise
        module.register(sub, parents)
    return parser


def make_context(args: argparse.Namespace):  # type: ignore[no-untyped-def]
    from jobs.common.config import load_config
    from jobs.common.context import JobContext
    from jobs.common.logs import setup_logging

    overrides = {
        "lake.root": _abs(getattr(args, "lakehouse", None)),
        "ingest.landing": _abs(getattr(args, "landing", None)),
    }
    cfg = load_config(
        env=getattr(args, "env", "local"),
        conf_dir=getattr(args, "conf_dir", None),
        extra_file=getattr(args, "conf", None),
        overrides=overrides,
    )
    setup_logging(getattr(args, "log_level", None) or cfg.get_path("logging.level"), cfg.get_path("logging.format"))
    return JobContext(cfg)


def _abs(path: str | None) -> str | None:
    import os

    return os.path.abspath(path) if path and "://" not in path else path


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "command", None):
        parser.print_help()
        return 2
    try:
        if getattr(args, "needs_config", True):
            ctx = make_context(args)
        else:
            from jobs.common.logs import setup_logging

            setup_logging(getattr(args, "log_level", None) or "INFO")
            ctx = None
        if ctx is not None and args.command in RECORDED_COMMANDS:
            params = {k: v for k, v in vars(args).items() if k not in {"handler", "command", "needs_config"}}
            with ctx.stage(args.command, params):
                return int(args.handler(args, ctx) or 0)
        return int(args.handler(args, ctx) or 0)
    except LeaklineError as exc:
        print(f"leakline: error: {exc}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        print("leakline: interrupted", file=sys.stderr)
        return 130
    finally:
        logging.shutdown()


if __name__ == "__main__":
    sys.exit(main())
