"""``python -m jobs.reconcile [options]`` is ``leakline reconcile [options]`` (--date / --from --to, --env)."""

import sys

from jobs.cli import main

if __name__ == "__main__":
    sys.exit(main(["reconcile", *sys.argv[1:]]))
