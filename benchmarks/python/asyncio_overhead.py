"""What the `asyncio` (or `uvloop`) model costs beyond a bare asyncio program:
runs bare_asyncio.py and `ccbench run -m MODEL -w io:10ms -c C` alternately,
PAIRS times, and prints the CPU per task of each and their ratio (median of
the pairs). The model's CPU per task is its window's CPU (the Python process
and the harness that replays its stamps) over the window's completed tasks.

    python3 benchmarks/python/asyncio_overhead.py [--ccbench build/ccbench]
        [--model asyncio] [--python /usr/bin/python3] [-c 10000] [-d 2] [--pairs 3]
"""

import json
import os
import statistics
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))


def main(argv):
    o = {"ccbench": "build/ccbench", "model": "asyncio", "python": "/usr/bin/python3",
         "c": "10000", "d": "2", "pairs": "3"}
    args = list(argv)
    while args:
        a = args.pop(0).lstrip("-")
        if a not in o:
            sys.exit("asyncio_overhead.py: unknown argument --%s" % a)
        o[a] = args.pop(0)
    loop = "uvloop" if o["model"] == "uvloop" else "asyncio"
    ratios, bare_us, model_us = [], [], []
    for i in range(int(o["pairs"])):
        bare = json.loads(subprocess.run(
            [o["python"], os.path.join(HERE, "bare_asyncio.py"), "--loop", loop, "-c", o["c"],
             "-d", o["d"]], check=True, capture_output=True, text=True).stdout)
        with tempfile.TemporaryDirectory() as tmp:
            out = os.path.join(tmp, "r.json")
            subprocess.run([o["ccbench"], "run", "-m", o["model"], "--python", o["python"],
                            "-w", "io:10ms", "-c", o["c"], "-d", o["d"] + "s", "-q",
                            "--json", out], check=True, capture_output=True, text=True)
            with open(out) as f:
                run = json.load(f)["runs"][0]
        cpu = run["cpu_window_s"]["user"] + run["cpu_window_s"]["sys"]
        per_task = cpu / run["completed"] * 1e6
        b = bare["cpu_per_task_us"]
        bare_us.append(b)
        model_us.append(per_task)
        ratios.append(per_task / b)
        print("pair %d: bare %s %.2f us/task (%.0f tasks/s), ccbench %s %.2f us/task "
              "(%.0f tasks/s): %.2fx" % (i + 1, loop, b, bare["tasks_per_s"], o["model"],
                                         per_task, run["throughput_per_s"], per_task / b))
    print(json.dumps({"model": o["model"], "concurrency": int(o["c"]),
                      "bare_cpu_per_task_us": statistics.median(bare_us),
                      "model_cpu_per_task_us": statistics.median(model_us),
                      "ratio_median": statistics.median(ratios)}))


if __name__ == "__main__":
    main(sys.argv[1:])
