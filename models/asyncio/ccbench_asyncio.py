"""The `asyncio` and `uvloop` models' client: CPython's event loop driven by
the ccbench harness (models/asyncio/asyncio_model.cpp).

This process is a client of the harness, not a second harness. The harness
hands it the plan (closed-loop clients or open-loop arrivals) and each task's
concrete steps; it runs them in the tutorial's idiom and streams back, in
batches, each task's intended start, actual start, completion and checksum,
and its probe's wake-ups, all on CLOCK_MONOTONIC (time.monotonic_ns(), the
harness's clock). The harness records them like any model's.

Wire format (protocol.md beside this file): a Unix stream socket on the
descriptor given by --fd; messages of little-endian unsigned 64-bit words,
[type, n, n words of payload].

Run by the harness: python3 ccbench_asyncio.py --loop asyncio|uvloop --fd 3
"""

import asyncio
import json
import os
import select
import struct
import sys
import time
import traceback
from array import array
from collections import deque
from itertools import repeat

# Message types (protocol.md).
HELLO, PLAN, SHAPE, TASKS, NO_MORE, START, TASKS_SHAPED = 1, 2, 3, 4, 5, 6, 7
FAILED_START, WINDOW, DONE, FAIL, PROBE, NEED, END, READY = 10, 11, 12, 13, 14, 15, 16, 17
CONNECTED = 18

IO, CPU, BLOCK, NET = 0, 1, 2, 3
INLINE = 1 << 32
MASK = (1 << 64) - 1
LCG_MUL = 6364136223846793005
LCG_ADD = 1442695040888963407
FOLD_MUL = 0x9E3779B97F4A7C15
NEVER = 1 << 62

monotonic_ns = time.monotonic_ns

# The delay server's wire protocol (harness/net_protocol.hpp): a request is
# magic, reply size, delay ns, nonce; a reply header magic, status, size.
REQUEST = struct.Struct("<IIQQ")
REPLY_HEADER = struct.Struct("<IIQ")
REQUEST_MAGIC, REPLY_MAGIC = 0x51424343, 0x52424343
REPLY_STATUS = {1: "too_large", 2: "too_long", 3: "busy"}
OPEN_AHEAD_BATCH = 128  # connections opened at once before the run


def payload_digest(payload):
    """net::digest: the wrapping sum of the payload's little-endian 64-bit
    words, the last one zero-padded; folded into the task's checksum, so
    that a reply that was not read in full fails the task's check."""
    pad = (-len(payload)) % 8
    words = array("Q")
    words.frombytes(bytes(payload) + b"\0" * pad if pad else payload)
    if sys.byteorder != "little":  # pragma: no cover - the wire is little-endian
        words.byteswap()
    return sum(words) & MASK


def cpu_burn(seed, rounds):
    """harness/step_work.cpp's cpu_burn, in pure Python: `rounds` steps of a
    64-bit LCG. The harness recomputes the result to verify it."""
    x = seed
    for _ in range(rounds):
        x = (x * LCG_MUL + LCG_ADD) & MASK
    return x


def fold_checksum(acc, value):
    acc = (((acc << 7) | (acc >> 57)) & MASK) ^ value
    return (acc * FOLD_MUL) & MASK


def calibrate(budget_s=0.05):
    """Rounds of cpu_burn per nanosecond in this interpreter: the fastest of
    several timed runs (the least disturbed one)."""
    rounds = 20000
    cpu_burn(1, rounds)
    best = None
    stop = time.monotonic() + budget_s
    runs = 0
    while runs < 3 or (time.monotonic() < stop and runs < 50):
        t0 = monotonic_ns()
        cpu_burn(runs + 2, rounds)
        ns = monotonic_ns() - t0
        best = ns if best is None else min(best, ns)
        runs += 1
    return rounds / max(best, 1)


def die_with_parent():
    """ProcessPoolExecutor workers: die when this process dies (a killed run
    leaves no worker behind)."""
    try:
        import ctypes
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, 9)  # PR_SET_PDEATHSIG, SIGKILL
    except Exception:  # pragma: no cover - best effort
        pass


def noop(_):
    return 0


class InjectedFault(RuntimeError):
    pass


def raise_fault(kind):
    if kind == 1:
        raise InjectedFault("injected fault: a step threw")
    # The harness's other fault is "not a std::exception"; Python has no such
    # thing, so it is another exception type, named as the harness names it.
    raise ValueError("injected fault: not a std::exception in C++")


class Channel:
    """The socket to the harness: framed u64 words both ways."""

    def __init__(self, fd):
        self.fd = fd
        self.inbuf = bytearray()
        self.pending = []  # whole messages read before the loop ran

    def send_words(self, words):
        data = words.tobytes() if isinstance(words, array) else array("Q", words).tobytes()
        view = memoryview(data)
        while view:
            try:
                n = os.write(self.fd, view)
            except BlockingIOError:
                # uvloop's add_reader makes the descriptor non-blocking: wait
                # until the harness has read (it always does), and finish the
                # message, so the stream never holds half of one.
                select.select([], [self.fd], [])
                continue
            view = view[n:]

    def send(self, kind, payload):
        head = array("Q", (kind, len(payload)))
        if not isinstance(payload, array):
            payload = array("Q", payload)
        self.send_words(head + payload)

    def send_text(self, kind, prefix, text):
        data = text.encode("utf-8", "replace")
        pad = (-len(data)) % 8
        body = array("Q", prefix + [len(data)])
        body.frombytes(data + b"\0" * pad)
        self.send(kind, body)

    def read_available(self):
        """Reads what the socket holds now; yields (type, words) messages.
        Raises EOFError when the harness closed it."""
        data = os.read(self.fd, 1 << 20)
        if not data:
            raise EOFError
        self.inbuf += data
        return self.parse()

    def parse(self):
        out = []
        buf = self.inbuf
        pos = 0
        while len(buf) - pos >= 16:
            kind, n = array("Q", bytes(buf[pos:pos + 16]))
            end = pos + 16 + 8 * n
            if len(buf) < end:
                break
            words = array("Q")
            words.frombytes(bytes(buf[pos + 16:end]))
            out.append((kind, words))
            pos = end
        del buf[:pos]
        return out

    def read_message(self):
        """Blocks for one whole message (before the loop runs)."""
        while True:
            self.pending += self.parse()
            if self.pending:
                return self.pending.pop(0)
            data = os.read(self.fd, 1 << 20)
            if not data:
                raise EOFError
            self.inbuf += data


def text_of(words, start):
    n = words[start]
    raw = words[start + 1:].tobytes()[:n]
    return raw.decode("utf-8", "replace")


class Client:
    """One run: the plan, the task stock, the records on their way back."""

    def __init__(self, chan, plan, rounds_per_ns):
        self.chan = chan
        self.plan = plan
        self.closed = plan["closed"]
        self.concurrency = plan["concurrency"]
        self.warmup = plan["warmup_ns"]
        self.duration = plan["duration_ns"]
        self.period = plan["stall_period_ns"]
        self.first_deadline = 0  # set by the harness's START
        self.flush_s = plan["flush_ns"] / 1e9
        self.low_water = plan["low_water"]
        self.offload = plan["offload"]
        self.end = NEVER  # the window's close: START (open loop) or the ramp (closed)
        self.rounds_per_ns = rounds_per_ns
        self.shapes = {}
        self.stock = deque()
        self.no_more = False
        self.asked = False
        self.waiters = deque()
        self.started = 0
        self.done = array("Q")
        self.wakes = array("Q")
        self.fails = []
        self.window_sent = False
        self.stop = False
        self.process_pool = None
        self.loop = None
        self.coarse_timers = False  # uvloop: see sleep_fully()
        # Net steps: the delay server, and the connections to it that no step
        # uses now (a client library's pool, as aiohttp keeps one): opened
        # before the run (open_ahead), held by a task only for a round trip.
        server = plan.get("server")
        self.server_text = server or ""
        self.server = None
        if server:
            host, port = server.rsplit(":", 1)
            self.server = (host, int(port))
        self.idle = []
        self.connects = array("Q")  # when each connection was opened

    # ---- tasks in ----------------------------------------------------------

    def steps_of(self, w, i, k):
        steps = []
        for j in range(i, i + 4 * k, 4):
            code, dur, seed, rounds = w[j], w[j + 1], w[j + 2], w[j + 3]
            steps.append((code & 0xFF, dur / 1e9, seed, rounds, code >> 8, dur))
        return tuple(steps)

    def take_messages(self, msgs):
        for kind, w in msgs:
            if kind == TASKS:
                i, n = 0, len(w)
                shapes = self.shapes
                append = self.stock.append
                while i < n:
                    tid, intended, ref = w[i], w[i + 1], w[i + 2]
                    i += 3
                    if ref < INLINE:
                        steps, yields = shapes[ref]
                    else:
                        k = ref - INLINE
                        steps = self.steps_of(w, i, k)
                        yields = not self.suspends_first(steps, self.offload)
                        i += 4 * k
                    append((tid, intended, steps, yields))
                self.asked = False
            elif kind == TASKS_SHAPED:
                # [id, intended, shape] each: unpacked by zip(), in C.
                ids, intended, refs = w[0::3], w[1::3], w[2::3]
                if refs and refs.count(refs[0]) == len(refs):
                    steps, yields = self.shapes[refs[0]]
                    self.stock.extend(zip(ids, intended, repeat(steps), repeat(yields)))
                else:
                    shapes = self.shapes
                    self.stock.extend((i, n) + shapes[r] for i, n, r in zip(ids, intended, refs))
                self.asked = False
            elif kind == SHAPE:
                steps = self.steps_of(w, 2, w[1])
                self.shapes[w[0]] = (steps, not self.suspends_first(steps, self.offload))
            elif kind == NO_MORE:
                self.no_more = True
            else:
                raise RuntimeError("unexpected message type %d from the harness" % kind)
        while self.waiters and (self.stock or self.no_more):
            fut = self.waiters.popleft()
            if not fut.done():
                fut.set_result(None)

    def on_readable(self):
        try:
            self.take_messages(self.chan.read_available())
        except BlockingIOError:
            return  # woken with nothing to read (a non-blocking descriptor)
        except EOFError:
            # The harness went away: nothing left to report to.
            os._exit(4)

    async def next_task(self):
        """The next task of the stock, or None once the harness has no more."""
        while True:
            if self.stock:
                if len(self.stock) < self.low_water and not self.asked and not self.no_more:
                    self.asked = True
                    self.chan.send(NEED, (1,))
                return self.stock.popleft()
            if self.no_more:
                return None
            if not self.asked:
                self.asked = True
                self.chan.send(NEED, (1,))
            fut = self.loop.create_future()
            self.waiters.append(fut)
            await fut

    # ---- records out ---------------------------------------------------------

    def flush(self):
        # Cleared in place: clients hold these arrays in locals.
        if self.connects:
            self.chan.send(CONNECTED, self.connects)
            del self.connects[:]
        if self.wakes:
            self.chan.send(PROBE, self.wakes)
            del self.wakes[:]
        if self.done:
            self.chan.send(DONE, self.done)
            del self.done[:]
        for tid, actual, what in self.fails:
            self.chan.send_text(FAIL, [tid, actual], what)
        self.fails = []

    async def flusher(self):
        while not self.stop:
            await asyncio.sleep(self.flush_s)
            try:
                self.flush()
            except BaseException:
                # A task that dies unseen would leave the stream stopped
                # mid-message: end loudly instead (the run fails, and says why).
                traceback.print_exc()
                os._exit(5)

    # ---- steps ---------------------------------------------------------------

    async def run_steps(self, steps):
        """Runs a task's steps in the tutorial's idiom; returns its checksum."""
        acc = 0
        for step in steps:
            acc = await self.run_step(step, acc)
        return acc

    async def sleep_fully(self, d_ns, start=None):
        """asyncio.sleep on a loop whose timers can fire early (uvloop: libuv
        keeps millisecond timers against a loop time cached at the start of
        each iteration, so a sleep can end up to about a millisecond short):
        asks for a millisecond more, and sleeps again for whatever is still
        left, so that no wait is shortened. The row pays that resolution in
        latency."""
        deadline = (start if start is not None else monotonic_ns()) + d_ns
        # One millisecond more up front: uvloop rounds the start down to its
        # millisecond, so this first timer almost never ends early, and a
        # second one (as much timer work again) is the rare case.
        await asyncio.sleep(d_ns / 1e9 + 0.001)
        left = deadline - monotonic_ns()
        while left > 0:
            await asyncio.sleep(max(left / 1e9, 0.001))
            left = deadline - monotonic_ns()

    # ---- net steps -------------------------------------------------------------

    async def open_connection(self):
        """asyncio streams (TCP_NODELAY is asyncio's default for TCP)."""
        try:
            conn = await asyncio.open_connection(*self.server)
        except OSError as e:
            raise RuntimeError("cannot connect to the delay server at %s: %s"
                               % (self.server_text, e)) from None
        self.connects.append(monotonic_ns())
        return conn

    async def open_ahead(self, n):
        """Before the run: n idle connections (one per client, or what an open
        loop keeps in flight). One that cannot be opened is left to the round
        trip, which tries again and fails its task naming the address."""
        for first in range(0, n, OPEN_AHEAD_BATCH):
            batch = min(OPEN_AHEAD_BATCH, n - first)
            opened = await asyncio.gather(*(self.open_connection() for _ in range(batch)),
                                          return_exceptions=True)
            self.idle.extend(c for c in opened if not isinstance(c, BaseException))

    async def net_round_trip(self, delay_ns, nonce, size):
        """One round trip: writer.write + drain, reader.readexactly for the
        header and the payload; returns the payload's digest."""
        conn = self.idle.pop() if self.idle else await self.open_connection()
        reader, writer = conn
        try:
            writer.write(REQUEST.pack(REQUEST_MAGIC, size, delay_ns, nonce))
            await writer.drain()
            magic, status, n = REPLY_HEADER.unpack(await reader.readexactly(REPLY_HEADER.size))
            if magic != REPLY_MAGIC:
                raise RuntimeError("malformed reply from the delay server")
            if status != 0:
                raise RuntimeError("the delay server refused: %s"
                                   % REPLY_STATUS.get(status, "status %d" % status))
            if n != size:
                raise RuntimeError("wrong_size: the delay server sent %d bytes for %d" % (n, size))
            payload = await reader.readexactly(n) if n else b""
        except BaseException as e:
            # The connection is in an unknown state: dropped; the next step
            # opens another.
            writer.close()
            if isinstance(e, (OSError, asyncio.IncompleteReadError)):
                raise RuntimeError("lost the connection to the delay server at %s: %s"
                                   % (self.server_text, e)) from None
            raise
        self.idle.append(conn)
        return payload_digest(payload)

    def close_connections(self):
        for _, writer in self.idle:
            writer.close()
        self.idle = []

    async def run_step(self, step, acc):
        """A step other than a plain io wait; returns the checksum so far."""
        kind, dur_s, seed, rounds, fault, dur_ns = step
        offload = self.offload
        if fault:
            raise_fault(fault)
        if kind == NET:
            # seed: the nonce; rounds: the reply's size; dur_ns: the delay.
            return fold_checksum(acc, await self.net_round_trip(dur_ns, seed, rounds))
        if kind == IO:
            if self.coarse_timers:
                await self.sleep_fully(dur_ns)
            else:
                await asyncio.sleep(dur_s)
        elif kind == CPU:
            if offload == "process":
                value = await self.loop.run_in_executor(self.process_pool, cpu_burn, seed, rounds)
            elif offload == "thread":
                # What a Python user does to keep CPU work off the loop
                # without processes: the GIL lets one thread run at a time.
                value = await asyncio.to_thread(cpu_burn, seed, rounds)
            else:
                value = cpu_burn(seed, rounds)
            acc = fold_checksum(acc, value)
        elif offload == "none":
            time.sleep(dur_s)  # holds the loop: the point of the exercise
        else:
            await asyncio.to_thread(time.sleep, dur_s)
        return acc

    @staticmethod
    def suspends_first(steps, offload):
        if not steps:
            return False
        kind = steps[0][0]
        if steps[0][4]:
            return False
        return kind == IO or kind == NET or offload != "none"

    # ---- the load ------------------------------------------------------------

    async def client(self):
        t = await self.next_task()
        if t is None:
            return
        now = monotonic_ns()
        self.started += 1
        if self.started == self.concurrency:
            # The last client's first task opens the window (run_context::first_task).
            self.end = now + self.warmup + self.duration
            self.flush()
            self.chan.send(WINDOW, (now,))
        done = self.done
        stock = self.stock
        sleep = asyncio.sleep
        run_step = self.run_step
        coarse = self.coarse_timers
        low_water = self.low_water
        clock = monotonic_ns
        while True:
            tid, _, steps, yields = t
            acc = 0
            # One plain io step (the io scenario): no step loop.
            if len(steps) == 1 and not yields and not coarse and steps[0][0] == IO:
                await sleep(steps[0][1])
                finished = clock()
                done.extend((tid, now, now, finished, acc))
                if len(done) >= 40960:
                    self.flush()
                if finished >= self.end:
                    return
                now = finished
                if len(stock) > low_water:
                    t = stock.popleft()
                    continue
                t = await self.next_task()
                if t is None:
                    return
                continue
            # Between tasks a client lets the others run, unless the task
            # starts with a wait: the wait is then the yield (docs/models.md).
            if yields:
                await sleep(0)
            try:
                # The steps inline, not in a coroutine of their own: a frame
                # less per task (the bare asyncio loop has none either).
                for step in steps:
                    if step[0] == IO and not step[4]:
                        if coarse:
                            await self.sleep_fully(step[5])
                        else:
                            await sleep(step[1])
                    else:
                        acc = await run_step(step, acc)
            except Exception as e:  # a step's exception is this task's error
                self.fails.append((tid, 0, "python: %s: %s" % (type(e).__name__, e)))
                now = monotonic_ns()
                if now >= self.end:
                    return
                t = await self.next_task()
                if t is None:
                    return
                continue
            finished = monotonic_ns()
            done.extend((tid, now, now, finished, acc))
            if len(done) >= 40960:
                self.flush()
            if finished >= self.end:
                return
            # The next task is issued at this one's completion stamp.
            now = finished
            if len(stock) > self.low_water:
                t = stock.popleft()
            else:
                t = await self.next_task()
                if t is None:
                    return

    async def arrival(self, t, actual):
        tid, intended, steps, _ = t
        try:
            acc = await self.run_steps(steps)
        except Exception as e:
            # The launch stamp still counts for the generator's lag.
            self.fails.append((tid, actual, "python: %s: %s" % (type(e).__name__, e)))
            return
        finished = monotonic_ns()
        self.done.extend((tid, intended, actual, finished, acc))
        if len(self.done) >= 40960:
            self.flush()

    async def generator(self):
        """Open loop: launches each arrival at its intended start."""
        running = set()
        create = self.loop.create_task
        while True:
            t = await self.next_task()
            if t is None:
                break
            # Never before its intended start (a coarse timer may fire early).
            actual = monotonic_ns()
            while actual < t[1]:
                delay = (t[1] - actual) / 1e9
                await asyncio.sleep(max(delay, 0.001) if self.coarse_timers else delay)
                actual = monotonic_ns()
            task = create(self.arrival(t, actual))
            running.add(task)
            task.add_done_callback(running.discard)
        while running:
            await asyncio.gather(*list(running), return_exceptions=True)

    async def probe(self):
        """Wakes every --stall-period; the harness measures how late."""
        deadline = self.first_deadline
        while True:
            now = monotonic_ns()
            if now >= self.end:
                return
            # A deadline already past (the first one, when the interpreter
            # woke late after the harness's START) is a due timer: it fires
            # now, before the clients' first turn opens the window, so the
            # interpreter's own start is not counted as the loop's lag.
            if deadline > now:
                await asyncio.sleep((deadline - now) / 1e9)
                now = monotonic_ns()
            self.wakes.append(now)
            deadline = now + self.period

    async def main(self):
        self.loop = asyncio.get_running_loop()
        if self.offload != "none" and self.plan.get("offload_threads", 0) > 0:
            from concurrent.futures import ThreadPoolExecutor
            self.loop.set_default_executor(ThreadPoolExecutor(self.plan["offload_threads"]))
        self.loop.add_reader(self.chan.fd, self.on_readable)
        if self.chan.pending:
            self.take_messages(self.chan.pending)
            self.chan.pending = []
        flusher = self.loop.create_task(self.flusher())
        probe = self.loop.create_task(self.probe())
        if self.closed:
            clients = [self.loop.create_task(self.client()) for _ in range(self.concurrency)]
            await asyncio.gather(*clients)
        else:
            await self.generator()
        await probe
        self.stop = True
        flusher.cancel()
        self.loop.remove_reader(self.chan.fd)
        self.close_connections()
        self.flush()


def peak_rss_kb():
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def gil_enabled():
    probe = getattr(sys, "_is_gil_enabled", None)
    return bool(probe()) if probe else True


def main(argv):
    loop_name = "asyncio"
    fd = 3
    args = list(argv)
    while args:
        a = args.pop(0)
        if a == "--loop":
            loop_name = args.pop(0)
        elif a == "--fd":
            fd = int(args.pop(0))
    chan = Channel(fd)
    uvloop = None
    if loop_name == "uvloop":
        try:
            import uvloop  # noqa: F811
        except ImportError as e:
            chan.send_text(FAILED_START, [], "uvloop is not installed for %s (%s): on Debian, "
                           "apt-get install python3-uvloop" % (sys.executable, e))
            return 3
    rounds_per_ns = calibrate()
    hello = {
        "version": "%d.%d.%d" % sys.version_info[:3],
        "implementation": sys.implementation.name,
        "gil": gil_enabled(),
        "rounds_per_ns": rounds_per_ns,
        "loop": loop_name,
        "uvloop": getattr(uvloop, "__version__", "") if uvloop else "",
        "pid": os.getpid(),
    }
    chan.send_text(HELLO, [], json.dumps(hello))
    kind, words = chan.read_message()
    if kind != PLAN:
        raise RuntimeError("expected the plan, got message type %d" % kind)
    plan = json.loads(text_of(words, 0))
    client = Client(chan, plan, rounds_per_ns)
    client.coarse_timers = loop_name == "uvloop"
    if plan["offload"] == "process":
        import multiprocessing
        from concurrent.futures import ProcessPoolExecutor
        client.process_pool = ProcessPoolExecutor(
            max_workers=plan["offload_processes"], mp_context=multiprocessing.get_context("fork"),
            initializer=die_with_parent)
        # Start every worker now, before the run's clock: not part of the run.
        list(client.process_pool.map(noop, range(plan["offload_processes"] * 4)))
    # The loop exists before the harness's clock starts: only the clients'
    # start is in the ramp.
    loop = uvloop.new_event_loop() if loop_name == "uvloop" else asyncio.new_event_loop()
    if client.server:
        # Net steps: the connections, before the run's clock (they live on
        # this loop, which runs the clients).
        loop.run_until_complete(client.open_ahead(plan.get("net_connections", 1)))
        if client.connects:
            chan.send(CONNECTED, client.connects)
            del client.connects[:]
    # Ready: the harness starts its clock, then sends the start and the first tasks.
    chan.send(READY, (0,))
    kind, words = chan.read_message()
    if kind != START:
        raise RuntimeError("expected the start, got message type %d" % kind)
    client.first_deadline = words[0]
    client.end = words[1] or NEVER
    try:
        asyncio.set_event_loop(loop)
        loop.run_until_complete(client.main())
    finally:
        if client.process_pool is not None:
            client.process_pool.shutdown(wait=True, cancel_futures=True)
        loop.close()
    unused = [t[0] for t in client.stock]
    chan.send(END, [peak_rss_kb(), len(unused)] + unused)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
