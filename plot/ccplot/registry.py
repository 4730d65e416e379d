"""What a results file says of each model: the traits the C++ registry
(harness/cli/registry.cpp) records in every run as "model_traits", and the
label, place, colour and marker each model takes in every chart and table.

No model is named here or anywhere else in plot/: a model the file describes
is drawn as the file says, and one it does not still gets a label, a place
and a colour.

Files older than model_traits (and a run whose model the registry did not
describe) give the model generic traits, inferred from its runs in the file:

- uses_threads: true, unless the file shows the model ignoring --threads:
  every run of it has one thread while another model's runs have more (the
  harness records 1 for a model that is one thread by definition);
- cooperative: true when a run of it recorded a non-null slow_resumes object
  (only event-loop models record one) or ran with an --offload mode (only
  cooperative models take one);
- offload: the modes its runs used; sweep: true;
- order: after every model with recorded traits, in order of first
  appearance in the file (the sweeps run models in the registry's order);
- colours and marker: picked, see Registry.
"""

from __future__ import annotations

import math
import zlib
from dataclasses import dataclass, field
from typing import Iterable, Mapping

# Display order of offload modes in legends and tables.
OFFLOAD_ORDER = ("none", "thread", "process")

# Colours for models whose traits carry none (matplotlib's tab10), and how far
# (RGB distance, 0..1.7) a pick must be from every colour already in use to
# tell apart on a chart; tab10's own entries are at least 0.3 apart.
PALETTE = ("#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2",
           "#7f7f7f", "#bcbd22", "#17becf")
DISTINCT = 0.3
MARKERS = ("o", "s", "^", "D", "v", "P", "X", "<", ">", "h", "*")

# An offload variant without a recorded colour is a shade of the model's own:
# (mix towards, fraction).
_SHADES = {"thread": ((1.0, 1.0, 1.0), 0.4), "process": ((0.0, 0.0, 0.0), 0.35)}


@dataclass(frozen=True)
class ModelTraits:
    """One model's traits. `recorded` is False for generic, inferred ones."""

    name: str
    uses_threads: bool = True
    cooperative: bool = False
    offload: tuple[str, ...] = ("none",)
    sweep: bool = True
    order: float | None = None
    colors: Mapping[str, str] = field(default_factory=dict)
    marker: str | None = None
    recorded: bool = False
    python: bool = False  # runs in a Python interpreter (--python)
    # A copy per thread, each pinned, sharing nothing: a loop per core.
    shares_nothing: bool = False


def parse_traits(name: str, raw) -> ModelTraits | None:
    """ModelTraits from a run's "model_traits" object; None when absent or not
    an object. Fields of the wrong type take their defaults."""
    if not isinstance(raw, dict):
        return None

    def flag(key, default):
        v = raw.get(key)
        return v if isinstance(v, bool) else default

    offload = raw.get("offload")
    offload = tuple(str(o) for o in offload) if isinstance(offload, list) and offload \
        else ("none",)
    order = raw.get("order")
    order = float(order) if isinstance(order, (int, float)) and not isinstance(order, bool) \
        and math.isfinite(order) else None
    colors = raw.get("colors")
    colors = {str(k): v for k, v in colors.items() if isinstance(v, str) and v} \
        if isinstance(colors, dict) else {}
    marker = raw.get("marker")
    return ModelTraits(name=name, uses_threads=flag("uses_threads", True),
                       cooperative=flag("cooperative", False), offload=offload,
                       sweep=flag("sweep", True), order=order, colors=colors,
                       marker=marker if isinstance(marker, str) and marker else None,
                       recorded=True, python=flag("python", False),
                       shares_nothing=flag("shares_nothing", False))


def _threads_of(raw) -> int:
    try:
        return int(raw.get("threads") or 1)
    except (TypeError, ValueError):
        return 1


def infer_traits(name: str, runs: list[dict], others_threaded: bool) -> ModelTraits:
    """Generic traits of a model from its runs (see the module's docstring).
    others_threaded: another model of the file ran with more than one thread."""
    one_thread = all(_threads_of(r) == 1 for r in runs)
    modes = {str(r.get("offload") or "none") for r in runs}
    cooperative = any(isinstance(r.get("slow_resumes"), dict) for r in runs) or \
        any(m != "none" for m in modes)
    offload = tuple(m for m in OFFLOAD_ORDER if m in modes | {"none"}) + \
        tuple(sorted(modes - set(OFFLOAD_ORDER)))
    return ModelTraits(name=name, uses_threads=not (one_thread and others_threaded),
                       cooperative=cooperative, offload=offload)


def model_label(model: str, offload: str = "none", threads: int = 1,
                uses_threads: bool = True) -> str:
    """The label of every chart and table: the model, "+offload" when it
    offloads, and " xN" threads unless it is one thread by definition."""
    s = model
    if offload and offload != "none":
        s += "+" + offload
    if uses_threads:
        s += " x%d" % int(threads or 1)
    return s


def _rgb(hex_colour: str):
    """(r, g, b) in 0..1 of "#rrggbb", else None (a named colour, say)."""
    h = hex_colour.lstrip("#")
    if len(h) != 6:
        return None
    try:
        return tuple(int(h[i:i + 2], 16) / 255.0 for i in (0, 2, 4))
    except ValueError:
        return None


def _mix(hex_colour: str, towards, fraction: float) -> str:
    rgb = _rgb(hex_colour)
    if rgb is None:
        return hex_colour
    out = [c + (t - c) * fraction for c, t in zip(rgb, towards)]
    return "#" + "".join("%02x" % int(round(v * 255)) for v in out)


def _pick(in_use: list[str]) -> str:
    """The first PALETTE colour far enough from every colour in use, else the
    farthest one (the first of equals): deterministic, and never a near twin
    of a recorded colour."""
    used = [c for c in (_rgb(u) for u in in_use) if c is not None]

    def gap(p):
        q = _rgb(p)
        return min((math.dist(q, u) for u in used), default=math.inf)

    for p in PALETTE:
        if gap(p) >= DISTINCT:
            return p
    return max(PALETTE, key=gap)


class Registry:
    """Every model of one or more results files, in display order, with the
    colour and marker each takes.

    Models with recorded traits come first, by their `order` (then name);
    the rest follow in order of first appearance. A colour or marker the
    traits lack is picked, in that order: the first PALETTE colour distinct
    from every colour in use (_pick), the next MARKERS entry no recorded model
    uses; so the same file always draws the same way. An offload variant
    without its own colour is a shade of the model's."""

    def __init__(self, traits: Iterable[ModelTraits]):
        traits = list(traits)
        first = {t.name: i for i, t in reversed(list(enumerate(traits)))}
        known = sorted((t for t in traits if t.recorded and t.order is not None),
                       key=lambda t: (t.order, t.name))
        names = {t.name for t in known}
        rest = sorted((t for t in traits if t.name not in names), key=lambda t: first[t.name])
        self._traits = {}
        for t in known + rest:
            self._traits.setdefault(t.name, t)
        self.models = list(self._traits)
        self._rank = {m: i for i, m in enumerate(self.models)}
        in_use = [c for t in self._traits.values() for c in t.colors.values()]
        used_markers = {t.marker for t in self._traits.values() if t.marker}
        spare_markers = [m for m in MARKERS if m not in used_markers] or list(MARKERS)
        self._base, self._marker = {}, {}
        n_marker = 0
        for m in self.models:
            t = self._traits[m]
            if t.colors.get("none"):
                self._base[m] = t.colors["none"]
            else:
                self._base[m] = _pick(in_use)
                in_use.append(self._base[m])
            if t.marker:
                self._marker[m] = t.marker
            else:
                self._marker[m] = spare_markers[n_marker % len(spare_markers)]
                n_marker += 1

    @classmethod
    def from_runs(cls, runs: Iterable[dict]) -> "Registry":
        """The registry of raw run objects (results.json's runs[])."""
        by_model: dict[str, list[dict]] = {}
        recorded: dict[str, ModelTraits] = {}
        for r in runs:
            if not isinstance(r, dict):
                continue
            name = str(r.get("model", "?"))
            by_model.setdefault(name, []).append(r)
            if name not in recorded:
                t = parse_traits(name, r.get("model_traits"))
                if t is not None:
                    recorded[name] = t
        threaded = {m for m, rs in by_model.items() if any(_threads_of(r) > 1 for r in rs)}
        out = []
        for name, rs in by_model.items():
            if name in recorded:
                out.append(recorded[name])
            else:
                out.append(infer_traits(name, rs, bool(threaded - {name})))
        return cls(out)

    def merged(self, other: "Registry") -> "Registry":
        """Both files' models: recorded traits win over inferred ones; the
        order of first appearance is this registry's, then the other's."""
        out = {m: self._traits[m] for m in self.models}
        for m in other.models:
            t = other._traits[m]
            if m not in out or (t.recorded and not out[m].recorded):
                out[m] = t
        return Registry(out.values())

    def with_models(self, names: Iterable[str]) -> "Registry":
        """This registry plus generic traits for names it lacks (micro.json's
        models, say), placed after the rest."""
        extra = [ModelTraits(name=n) for n in dict.fromkeys(names) if n not in self._traits]
        if not extra:
            return self
        return Registry([self._traits[m] for m in self.models] + extra)

    def __contains__(self, model: str) -> bool:
        return model in self._traits

    def traits(self, model: str) -> ModelTraits:
        """The model's traits; generic ones for a model not in the file."""
        t = self._traits.get(model)
        return t if t is not None else ModelTraits(name=model)

    def rank(self, model: str) -> int:
        return self._rank.get(model, len(self._rank))

    def label(self, model: str, offload: str = "none", threads: int = 1) -> str:
        return model_label(model, offload, threads, self.traits(model).uses_threads)

    def sort_key(self, model: str, offload: str = "none", threads: int = 1):
        """Display order of a model label: the model's place, then the
        offload mode, then the thread count."""
        o = OFFLOAD_ORDER.index(offload) if offload in OFFLOAD_ORDER else len(OFFLOAD_ORDER)
        return (self.rank(model), model, o, offload, int(threads or 1))

    def colour(self, model: str, offload: str = "none") -> str:
        """The colour of a model+offload, the same in every chart."""
        offload = offload or "none"
        t = self._traits.get(model)
        if t is not None and t.colors.get(offload):
            return t.colors[offload]
        base = self._base.get(model)
        if base is None:
            # A model outside the registry: a stable pick (crc32 is stable
            # across runs, unlike hash()).
            base = PALETTE[zlib.crc32(model.encode()) % len(PALETTE)]
        shade = _SHADES.get(offload)
        return _mix(base, *shade) if shade else base

    def marker(self, model: str) -> str:
        m = self._marker.get(model)
        return m if m is not None else MARKERS[zlib.crc32(model.encode()) % len(MARKERS)]
