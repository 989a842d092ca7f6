"""``python -m jobs.ingest [options]`` is ``leakline ingest [options]``."""

import sys

from jobs.cli import main

if __name__ == "__main__":
    sys.exit(main(["ingest", *sys.argv[1:]]))
