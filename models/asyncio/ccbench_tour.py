"""The seed notebook's lessons in CPython's asyncio (`ccbench tour --python`):
the same lessons, claims and tolerance as the C++ loop's tour
(models/loop/tour.cpp), run in this interpreter, plus one the C++ loop
cannot show: the GIL.

    python3 ccbench_tour.py [--scale 1.0] [--loop asyncio|uvloop] [--fd N]

Prints one JSON object per lesson, a line each, as each one ends:
{name, claim, expected_s, measured_s, held, detail}; with --fd, sends each
as a LESSON message on that descriptor instead (protocol.md's framing), as
`ccbench tour --python` runs it. The first message is the interpreter's
version and whether it has the GIL.
"""

import asyncio
import json
import multiprocessing
import os
import sys
import threading
import time
from concurrent.futures import ProcessPoolExecutor

TOLERANCE = 0.15  # harness/tour.hpp's tour_tolerance

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from ccbench_asyncio import Channel, calibrate, cpu_burn  # noqa: E402

LESSON = 20  # protocol.md: a lesson's JSON, or first the interpreter's


def fmt(s):
    if s >= 1:
        return "%.3f s" % s
    if s >= 1e-3:
        return "%.1f ms" % (s * 1e3)
    return "%.0f us" % (s * 1e6)


def yes_no(b):
    return "yes" if b else "no"


def timed(name, claim, expected, measured, checks, detail):
    held = abs(measured - expected) <= TOLERANCE * expected and checks
    return {"name": name, "claim": claim, "expected_s": expected, "measured_s": measured,
            "held": bool(held), "detail": detail}


async def fetch(url, d, log=None):
    if log is not None:
        log.append("start " + url)
    await asyncio.sleep(d)
    if log is not None:
        log.append("finish " + url)
    return url + " -> ok"


async def gather_lesson(s):
    log = []
    t0 = time.monotonic()
    results = await asyncio.gather(fetch("A", s(1), log), fetch("B", s(1), log),
                                   fetch("C", s(1), log))
    took = time.monotonic() - t0
    in_order = results == ["A -> ok", "B -> ok", "C -> ok"]
    overlapped = len(log) == 6 and all(x.startswith("start") for x in log[:3])
    return timed("gather", "three one-second fetches under gather finish in about one second, "
                 "not three: the waits overlap, and the results come back in order",
                 s(1), took, in_order and overlapped,
                 "three %s fetches took %s; results in order: %s; all three started before any "
                 "finished: %s" % (fmt(s(1)), fmt(took), yes_no(in_order), yes_no(overlapped)))


async def create_task_lesson(s):
    t0 = time.monotonic()
    began = []

    async def background():
        began.append(time.monotonic())
        return await fetch("background", s(1))

    t = asyncio.create_task(background())
    began_at_creation = bool(began)
    await asyncio.sleep(s(0.2))
    result = await t
    took = time.monotonic() - t0
    began_after = began[0] - t0
    overlapped = not began_at_creation and began_after < s(0.2)
    return timed("create_task", "create_task schedules a fetch to run in the background: 0.2 s "
                 "of foreground work overlaps it, so the whole takes the fetch's 1 s, not 1.2 s",
                 s(1), took, overlapped and result == "background -> ok",
                 "the task began at main's first await (+%s), ran beside %s of foreground work, "
                 "all done after %s" % (fmt(began_after), fmt(s(0.2)), fmt(took)))


async def task_group_lesson(s):
    finished = [0]

    async def counted(url):
        await fetch(url, s(1))
        finished[0] += 1

    t0 = time.monotonic()
    if hasattr(asyncio, "TaskGroup"):
        async with asyncio.TaskGroup() as tg:
            for url in "ABC":
                tg.create_task(counted(url))
    else:  # before 3.11: gather is the nearest thing
        await asyncio.gather(*(counted(u) for u in "ABC"))
    took = time.monotonic() - t0
    return timed("task_group", "the 'async with TaskGroup()' block exits only when all its "
                 "tasks are done: three 1 s fetches, about 1 s", s(1), took, finished[0] == 3,
                 "the group ended after %s with %d of 3 fetches done" % (fmt(took), finished[0]))


async def task_group_failure_lesson(s):
    cancelled = {"A": False, "B": False}
    error = ""

    async def cancellable(name):
        try:
            await asyncio.sleep(s(1))
        except asyncio.CancelledError:
            cancelled[name] = True
            raise

    async def failing():
        await asyncio.sleep(s(0.5))
        raise RuntimeError("fetch C failed")

    t0 = time.monotonic()
    try:
        async with asyncio.TaskGroup() as tg:
            tg.create_task(cancellable("A"))
            tg.create_task(cancellable("B"))
            tg.create_task(failing())
    except BaseException as e:  # an ExceptionGroup on 3.11
        inner = getattr(e, "exceptions", [e])
        error = str(inner[0])
    took = time.monotonic() - t0
    checks = error == "fetch C failed" and cancelled["A"] and cancelled["B"]
    return timed("task_group_failure", "if one task of a TaskGroup fails, the others are "
                 "cancelled and the error propagates: C fails at 0.5 s, the 1 s fetches A and B "
                 "are cancelled", s(0.5), took, checks,
                 "A cancelled: %s, B cancelled: %s; the group raised '%s' after %s" % (
                     yes_no(cancelled["A"]), yes_no(cancelled["B"]), error, fmt(took)))


async def semaphore_lesson(s):
    sem = asyncio.Semaphore(3)
    inside = [0, 0]

    async def limited(i):
        async with sem:
            inside[0] += 1
            inside[1] = max(inside[1], inside[0])
            await asyncio.sleep(s(0.5))
            inside[0] -= 1
            return "url-%d done" % i

    t0 = time.monotonic()
    done = await asyncio.gather(*(limited(i) for i in range(9)))
    took = time.monotonic() - t0
    return timed("semaphore", "Semaphore(3) caps the tasks in flight: nine 0.5 s tasks, 3 at a "
                 "time, take about 1.5 s", s(1.5), took, inside[1] == 3 and len(done) == 9,
                 "%d tasks took %s; most in flight at once: %d" % (len(done), fmt(took), inside[1]))


async def timeout_lesson(s):
    cancelled = [False]

    async def slow():
        try:
            await asyncio.sleep(s(5))
        except asyncio.CancelledError:
            cancelled[0] = True
            raise
        return "eventually"

    t0 = time.monotonic()
    timed_out = False
    try:
        await asyncio.wait_for(slow(), s(1))
    except asyncio.TimeoutError:
        timed_out = True
    took = time.monotonic() - t0
    return timed("timeout", "timeout(1) around a 5 s wait cancels the wait and raises "
                 "TimeoutError: it gives up after 1 s", s(1), took, timed_out and cancelled[0],
                 "TimeoutError: %s after %s; the 5 s wait was cancelled: %s" % (
                     yes_no(timed_out), fmt(took), yes_no(cancelled[0])))


async def ticker(period, log):
    due = time.monotonic() + period
    while True:
        await asyncio.sleep(max(0.0, due - time.monotonic()))
        now = time.monotonic()
        log["ticks"].append(now)
        log["late"] = max(log["late"], now - due)
        due += period


async def beside_ticker(s, work, pool=None, rounds=0):
    period, call = s(0.010), s(1)
    log = {"ticks": [], "late": 0.0}
    t = asyncio.create_task(ticker(period, log))
    await asyncio.sleep(period * 3.5)
    start = time.monotonic()
    ok = True
    if work == "block_on_thread":
        await asyncio.to_thread(time.sleep, call)
    elif work == "cpu_on_process":
        value = await asyncio.get_running_loop().run_in_executor(pool, cpu_burn, 2024, rounds)
        ok = value == cpu_burn(2024, rounds) if rounds < 2_000_000 else True
    else:
        time.sleep(call)  # holds the loop's thread
    end = time.monotonic()
    await asyncio.sleep(period * 1.5)
    t.cancel()
    try:
        await t
    except asyncio.CancelledError:
        pass
    ticks = log["ticks"]
    during = sum(1 for x in ticks if start < x < end)
    gap = max((b - a for a, b in zip(ticks, ticks[1:])), default=0.0)
    r = {"call_s": end - start, "ticks_due": int((end - start) / period), "ticks_during": during,
         "longest_gap_s": gap, "max_late_s": log["late"], "ok": ok}
    r["detail"] = ("ticker due every %s: %d of %d ticks during the %s call; longest gap %s, "
                   "lateness up to %s" % (fmt(period), during, r["ticks_due"], fmt(r["call_s"]),
                                          fmt(gap), fmt(log["late"])))
    return r


async def blocking_lesson(s):
    r = await beside_ticker(s, "block_inline")
    return timed("blocking_call", "a blocking call (time.sleep(1)) in a coroutine freezes every "
                 "other task until it returns: never block the loop", s(1), r["longest_gap_s"],
                 r["ticks_during"] == 0, r["detail"])


async def to_thread_lesson(s):
    r = await beside_ticker(s, "block_on_thread")
    ticking = r["ticks_during"] * s(0.010)
    return timed("to_thread", "asyncio.to_thread runs the same blocking call on a worker "
                 "thread: the loop stays responsive, the ticker keeps ticking through the call",
                 s(1), ticking, r["longest_gap_s"] < 0.25 * s(1), r["detail"])


async def process_lesson(s, pool, rounds_per_ns):
    rounds = int(s(1) * 1e9 * rounds_per_ns)
    r = await beside_ticker(s, "cpu_on_process", pool, rounds)
    ticking = r["ticks_during"] * s(0.010)
    return timed("cpu_to_process", "CPU-bound work goes to a process pool (run_in_executor with "
                 "a ProcessPoolExecutor): the loop keeps serving while a worker process computes",
                 r["call_s"], ticking, r["longest_gap_s"] < 0.25 * s(1) and r["ok"],
                 r["detail"] + " (a burst sized for %s)" % fmt(s(1)))


async def gil_lesson(s, pool, rounds_per_ns):
    """Two CPU bursts: on two threads they take twice one (one GIL), on two
    processes about one, where two cores are free."""
    rounds = int(s(0.5) * 1e9 * rounds_per_ns)
    loop = asyncio.get_running_loop()
    t0 = time.monotonic()
    await asyncio.gather(asyncio.to_thread(cpu_burn, 1, rounds),
                         asyncio.to_thread(cpu_burn, 2, rounds))
    threads_s = time.monotonic() - t0
    t0 = time.monotonic()
    await asyncio.gather(loop.run_in_executor(pool, cpu_burn, 1, rounds),
                         loop.run_in_executor(pool, cpu_burn, 2, rounds))
    procs_s = time.monotonic() - t0
    cores = len(os.sched_getaffinity(0))
    gil = getattr(sys, "_is_gil_enabled", lambda: True)()
    # The claim: with the GIL, threads take about the two bursts back to back.
    expected = 2 * s(0.5) if gil else s(0.5)
    faster = procs_s < 0.8 * threads_s if cores >= 2 and gil else True
    return timed("gil", "in CPython, to_thread does not run Python code in parallel: two 0.5 s "
                 "CPU bursts on two threads take about 1 s (one GIL), on two processes about "
                 "0.5 s", expected, threads_s, faster,
                 "two %s bursts: %s on two threads, %s on two processes (%d cores, GIL %s)" % (
                     fmt(s(0.5)), fmt(threads_s), fmt(procs_s), cores, "on" if gil else "off"))


def main(argv):
    scale, loop_name, fd = 1.0, "asyncio", None
    args = list(argv)
    while args:
        a = args.pop(0)
        if a == "--scale":
            scale = float(args.pop(0))
        elif a == "--loop":
            loop_name = args.pop(0)
        elif a == "--fd":
            fd = int(args.pop(0))
    chan = Channel(fd) if fd is not None else None

    def s(x):
        return x * scale

    rounds_per_ns = calibrate()
    pool = ProcessPoolExecutor(max_workers=2, mp_context=multiprocessing.get_context("fork"))
    list(pool.map(abs, range(4)))  # started before the lessons

    def say(lesson):
        if chan is not None:
            chan.send_text(LESSON, [], json.dumps(lesson))
        else:
            print(json.dumps(lesson), flush=True)

    say({"version": "%d.%d.%d" % sys.version_info[:3], "implementation": sys.implementation.name,
         "gil": getattr(sys, "_is_gil_enabled", lambda: True)(), "loop": loop_name})

    async def lessons():
        for lesson in (gather_lesson, create_task_lesson, task_group_lesson,
                       task_group_failure_lesson, semaphore_lesson, timeout_lesson,
                       blocking_lesson, to_thread_lesson):
            say(await lesson(s))
        say(await process_lesson(s, pool, rounds_per_ns))
        say(await gil_lesson(s, pool, rounds_per_ns))

    if loop_name == "uvloop":
        import uvloop
        loop = uvloop.new_event_loop()
    else:
        loop = asyncio.new_event_loop()
    try:
        loop.run_until_complete(lessons())
    finally:
        loop.close()
        pool.shutdown()
    return 0


if __name__ == "__main__":
    threading.current_thread().name = "ccbench-tour"
    sys.exit(main(sys.argv[1:]))
