"""The command line every chart script shares."""

import argparse
import os
import sys

from .load import LoadError, load


class Skip(Exception):
    """The chart's data is absent from the file; the message says which."""


def parser(name, description):
    p = argparse.ArgumentParser(prog="plot/%s.py" % name, description=description)
    p.add_argument("results", help="a run directory (with results.json) or a results.json file")
    p.add_argument("-o", "--out", metavar="OUTDIR",
                   help="where to write %s.png and .svg (default: RUN_DIR/charts)" % name)
    return p


def fail(message):
    print("plot: %s" % message, file=sys.stderr)
    return 2


def run_chart(name, description, draw, add_args=None, check_args=None, argv=None):
    """Parse argv, load the results, draw; exit status 0 (drawn or skipped)
    or 2 (bad input)."""
    p = parser(name, description)
    if add_args:
        add_args(p)
    args = p.parse_args(argv)
    try:
        if check_args:
            check_args(args)
        results = load(args.results)
    except (LoadError, ValueError) as e:
        return fail(str(e))
    out = args.out or os.path.join(results.run_dir, "charts")
    try:
        paths = draw(results, out, args)
    except Skip as e:
        print("plot: %s: skipped: %s" % (name, e), file=sys.stderr)
        return 0
    except OSError as e:
        return fail("cannot write %s: %s" % (out, e))
    for path in paths:
        print(path)
    return 0
