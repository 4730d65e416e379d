"""models/asyncio/ccbench_asyncio.py on its own: the framing survives a
non-blocking descriptor (uvloop makes it one) whose reader is slow, and
cpu_burn/fold_checksum agree with the harness's C++ (the values below are
harness/step_work.cpp's)."""

import os
import socket
import sys
import threading
import time
import unittest
from array import array

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "models", "asyncio"))

import ccbench_asyncio as client  # noqa: E402


class Framing(unittest.TestCase):
    def test_a_full_buffer_never_splits_a_message(self):
        a, b = socket.socketpair()
        a.setblocking(False)  # as uvloop's add_reader leaves it
        chan = client.Channel(a.fileno())
        got = bytearray()

        def slow_reader():
            time.sleep(0.2)  # the buffer fills meanwhile
            while True:
                data = b.recv(1 << 16)
                if not data:
                    return
                got.extend(data)
                time.sleep(0.001)

        reader = threading.Thread(target=slow_reader)
        reader.start()
        words = array("Q", range(200000))  # 1.6 MB: many times a socket buffer
        for _ in range(3):
            chan.send(client.DONE, words)
        a.close()
        reader.join()
        back = client.Channel(-1)
        back.inbuf = got
        msgs = back.parse()
        self.assertEqual(len(msgs), 3)
        for kind, w in msgs:
            self.assertEqual(kind, client.DONE)
            self.assertEqual(w, words)
        self.assertEqual(len(back.inbuf), 0)


class Checksums(unittest.TestCase):
    def test_cpu_burn_is_the_harness_lcg(self):
        # x_{n+1} = 6364136223846793005 x_n + 1442695040888963407 mod 2^64
        self.assertEqual(client.cpu_burn(0, 1), 1442695040888963407)
        x = 5
        for _ in range(3):
            x = (x * 6364136223846793005 + 1442695040888963407) % (1 << 64)
        self.assertEqual(client.cpu_burn(5, 3), x)

    def test_fold_checksum_is_the_harness_fold(self):
        acc = 0x0123456789ABCDEF
        rotated = ((acc << 7) | (acc >> 57)) & ((1 << 64) - 1)
        want = ((rotated ^ 42) * 0x9E3779B97F4A7C15) % (1 << 64)
        self.assertEqual(client.fold_checksum(acc, 42), want)


if __name__ == "__main__":
    unittest.main()
