"""Runs ccbench_asyncio.py (argv[1]) with its flush patched to SIGKILL the
process once it has sent a batch of completions: a client dying mid-run."""
import importlib.util
import os
import signal
import sys

spec = importlib.util.spec_from_file_location("ccbench_asyncio", sys.argv[1])
client = importlib.util.module_from_spec(spec)
spec.loader.exec_module(client)
flush = client.Client.flush


def dying_flush(self):
    had = len(self.done) > 0
    flush(self)
    if had:
        os.kill(os.getpid(), signal.SIGKILL)


client.Client.flush = dying_flush
sys.exit(client.main(sys.argv[2:]))
