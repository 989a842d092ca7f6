"""``python -m jobs.fraud features|train|score [options]`` is ``leakline features|train|score [options]``."""

import sys

from jobs.cli import main

COMMANDS = ("features", "train", "score")
USAGE = (
    "usage: python -m jobs.fraud {features,train,score} [options]\n\n"
    "  features   compute fraud features per subject and day (--date / --from --to)\n"
    "  train      train the fraud model, log it to MLflow, set aliases\n"
    "  score      score feature days with the champion model (--date / --from --to)\n\n"
    "Each is 'leakline <command>'; 'python -m jobs.fraud <command> --help' lists its options.\n"
)

if __name__ == "__main__":
    args = sys.argv[1:]
    if not args or args[0] not in COMMANDS:
        asked = args[:1] in (["-h"], ["--help"])
        (sys.stdout if asked else sys.stderr).write(USAGE)
        sys.exit(0 if asked else 2)
    sys.exit(main(args))
