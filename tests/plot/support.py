"""Shared by the plot tests: where things are, and how to run a script."""

import os
import shutil
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
PLOT = os.path.normpath(os.path.join(HERE, "..", "..", "plot"))
FIXTURES = os.path.join(HERE, "fixtures")
FULL = os.path.join(FIXTURES, "full")
SPINE = os.path.join(FIXTURES, "spine")
MINIMAL = os.path.join(FIXTURES, "minimal.json")
BEFORE = os.path.join(FIXTURES, "before.json")
AFTER = os.path.join(FIXTURES, "after.json")

if PLOT not in sys.path:
    sys.path.insert(0, PLOT)
if FIXTURES not in sys.path:
    sys.path.insert(0, FIXTURES)

import make_fixtures  # noqa: E402

# The registry's traits per model, as results.json records them.
TRAITS = make_fixtures.TRAITS

os.environ.setdefault("MPLBACKEND", "Agg")

CHART_SCRIPTS = ("throughput", "hockey", "spectrum", "stall_timeline", "decision_map",
                 "efficiency", "micro", "crossover")
FIVE_MODELS = ("loop", "asio", "fiber", "pool", "procs")
# The full fixture's model without model_traits (an older file's run).
UNDESCRIBED = "novel"


def run(script, *args):
    """Run plot/<script>.py with this interpreter; CompletedProcess with text."""
    env = dict(os.environ, MPLBACKEND="Agg", PYTHONDONTWRITEBYTECODE="1")
    return subprocess.run([sys.executable, os.path.join(PLOT, script + ".py")] + list(args),
                          capture_output=True, text=True, env=env, timeout=240)


def copy_run(src):
    """A scratch copy of a fixture run directory (the report writes into it)."""
    tmp = tempfile.mkdtemp(prefix="ccplot-test-")
    dst = os.path.join(tmp, "run")
    if os.path.isdir(src):
        shutil.copytree(src, dst)
    else:
        os.makedirs(dst)
        shutil.copy(src, os.path.join(dst, "results.json"))
    return tmp, dst


def assert_image_pair(case, outdir, name):
    """NAME.png (a real PNG) and NAME.svg exist in outdir and are not empty."""
    png = os.path.join(outdir, name + ".png")
    svg = os.path.join(outdir, name + ".svg")
    case.assertTrue(os.path.isfile(png), "missing " + png)
    case.assertTrue(os.path.isfile(svg), "missing " + svg)
    with open(png, "rb") as f:
        head = f.read(8)
    case.assertEqual(head, b"\x89PNG\r\n\x1a\n", png + " is not a PNG")
    case.assertGreater(os.path.getsize(png), 5000, png + " is (nearly) empty")
    with open(svg, encoding="utf-8") as f:
        text = f.read()
    case.assertIn("<svg", text)
    case.assertGreater(len(text), 5000, svg + " is (nearly) empty")
