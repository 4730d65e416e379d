"""A bare asyncio (or uvloop) program on the load of `ccbench run -m asyncio
-w io:10ms -c C`: C clients, each awaiting asyncio.sleep(0.01) in a loop,
nothing recorded. What the `asyncio` model's CPU per task is held against
(asyncio_overhead.py runs both and prints the ratio).

    python3 bare_asyncio.py [--loop asyncio|uvloop] [-c 10000] [-d 2] [--warmup 0.5] [--io 0.01]
                            [--check-early | --never-early]

Prints one JSON line: tasks completed in the window, the process's CPU over
the window (user + sys, threads included) and the CPU per task in us.

--check-early also counts the waits that ended before `io` had passed
(`early_waits`, by time.monotonic_ns around each sleep: one clock read more a
task). uvloop keeps millisecond timers against a cached loop time, so some of
its sleeps end up to a millisecond short. --never-early waits as the uvloop
model does (a millisecond more, then again for any remainder): the floor of a
run in which no wait is shortened.
"""

import asyncio
import json
import os
import sys
import time


async def client(state, io_s):
    sleep = asyncio.sleep
    while not state["stop"]:
        await sleep(io_s)
        state["n"] += 1


async def checking_client(state, io_s):
    sleep, now = asyncio.sleep, time.monotonic_ns
    io_ns = int(io_s * 1e9)
    while not state["stop"]:
        start = now()
        await sleep(io_s)
        if now() - start < io_ns:
            state["early"] += 1
        state["n"] += 1


async def never_early_client(state, io_s):
    sleep, now = asyncio.sleep, time.monotonic_ns
    io_ns = int(io_s * 1e9)
    while not state["stop"]:
        deadline = now() + io_ns
        await sleep(io_s + 0.001)
        left = deadline - now()
        while left > 0:
            await sleep(max(left / 1e9, 0.001))
            left = deadline - now()
        state["n"] += 1


async def main(c, warmup, duration, io_s, body=client):
    state = {"n": 0, "early": 0, "stop": False}
    tasks = [asyncio.create_task(body(state, io_s)) for _ in range(c)]
    await asyncio.sleep(warmup)
    n0, e0, cpu0, t0 = state["n"], state["early"], os.times(), time.monotonic()
    await asyncio.sleep(duration)
    n1, e1, cpu1, t1 = state["n"], state["early"], os.times(), time.monotonic()
    state["stop"] = True
    await asyncio.gather(*tasks)
    cpu = (cpu1.user - cpu0.user) + (cpu1.system - cpu0.system)
    done = n1 - n0
    out = {"tasks": done, "window_s": t1 - t0, "tasks_per_s": done / (t1 - t0), "cpu_s": cpu,
           "cpu_per_task_us": cpu / done * 1e6 if done else None}
    if body is checking_client:
        out["early_waits"] = e1 - e0
    return out


def parse(argv):
    opts = {"loop": "asyncio", "c": 10000, "d": 2.0, "warmup": 0.5, "io": 0.01, "body": client}
    args = list(argv)
    while args:
        a = args.pop(0)
        if a == "--loop":
            opts["loop"] = args.pop(0)
        elif a == "-c":
            opts["c"] = int(args.pop(0))
        elif a == "-d":
            opts["d"] = float(args.pop(0))
        elif a == "--warmup":
            opts["warmup"] = float(args.pop(0))
        elif a == "--io":
            opts["io"] = float(args.pop(0))
        elif a == "--check-early":
            opts["body"] = checking_client
        elif a == "--never-early":
            opts["body"] = never_early_client
        else:
            sys.exit("bare_asyncio.py: unknown argument %r" % a)
    return opts


if __name__ == "__main__":
    o = parse(sys.argv[1:])
    if o["loop"] == "uvloop":
        import uvloop
        loop = uvloop.new_event_loop()
    else:
        loop = asyncio.new_event_loop()
    result = loop.run_until_complete(main(o["c"], o["warmup"], o["d"], o["io"], o["body"]))
    loop.close()
    result["loop"] = o["loop"]
    result["concurrency"] = o["c"]
    print(json.dumps(result))
