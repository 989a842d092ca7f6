"""``python -m jobs.generate --out DIR [...]``: run the generator CLI with INFO logging."""

from __future__ import annotations

import argparse
import logging
import sys

from jobs.generate.cli import configure_parser, main

if __name__ == "__main__":
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    parser = argparse.ArgumentParser(prog="python -m jobs.generate", description=__doc__)
    configure_parser(parser)
    sys.exit(main(parser.parse_args()))
