"""What real I/O adds per task: each `net` scenario run against its timer twin
(`io` for `net`, `io-cpu` for `net-cpu`) under the same model and concurrency.
A net step's wait is a real round trip (a socket, readiness, a recv, a send,
a wake-up); its twin's is a timer: the difference in CPU per task is what the
socket costs the model (the delay server's own CPU is not in it: the server
ran in a process of its own, and is given beside it)."""

from dataclasses import dataclass

from .load import Results
from .ranking import scenario_runs

# A net scenario and its timer twin: the same task with a timer for each round trip.
TWINS = {"net": "io", "net-cpu": "io-cpu"}


@dataclass
class NetCost:
    label: str
    concurrency: int
    scenario: str           # the net scenario
    twin: str               # its timer twin
    cpu_timer_us: float     # CPU per task, twin
    cpu_net_us: float       # CPU per task, net
    added_us: float         # cpu_net_us - cpu_timer_us: what one round trip adds
    server_us: float | None  # the delay server's CPU per request, where recorded


def net_costs(results: Results) -> list[NetCost]:
    """One row per net scenario run that has an ok twin, in file order."""
    runs = [r for r in scenario_runs(results) if r.ok and r.cpu_per_task_s]
    twins = {(r.label, r.concurrency, r.scenario): r for r in runs}
    out = []
    for r in runs:
        twin_name = TWINS.get(r.scenario)
        t = twins.get((r.label, r.concurrency, twin_name)) if twin_name else None
        if t is None:
            continue
        net_us, timer_us = r.cpu_per_task_s * 1e6, t.cpu_per_task_s * 1e6
        server = r.get("net_server.cpu_per_request_us")
        out.append(NetCost(r.label, r.concurrency, r.scenario, twin_name, timer_us, net_us,
                           net_us - timer_us, float(server) if server is not None else None))
    return out
