"""Numbers as people read them in a report: 1,020 tasks/s, 5.1 ms, 38%."""


def rate(v):
    """Tasks per second with thousands separators: 1,020; 25.3 under 100."""
    if v is None:
        return "n/a"
    if v >= 100:
        return "{:,.0f}".format(v)
    if v >= 10:
        return "{:.1f}".format(v)
    return "{:.2f}".format(v)


def rate_ci(v, ci):
    """Tasks per second with its 95% interval over repetitions: "1,020
    [990-1,050]"; the bare rate when ci is None (one run)."""
    if v is None or ci is None:
        return rate(v)
    return "%s [%s-%s]" % (rate(v), rate(max(ci[0], 0.0)), rate(ci[1]))


def duration_us(v):
    """A duration given in microseconds, in the unit that reads best."""
    if v is None:
        return "n/a"
    a = abs(v)
    if a >= 1e6:
        return "%.3g s" % (v / 1e6)
    if a >= 1e3:
        return "%.3g ms" % (v / 1e3)
    if a >= 1:
        return "%.3g us" % v
    return "%.3g ns" % (v * 1e3)


def duration_ns(v):
    return None if v is None else duration_us(v / 1e3)


def percent(v, digits=0):
    """A fraction as a percentage."""
    if v is None:
        return "n/a"
    return "{:.{d}f}%".format(v * 100.0, d=digits)


def ratio(v):
    if v is None:
        return "n/a"
    return "%.2fx" % v if v < 10 else "%.0fx" % v


def share(v):
    """A 0..1 share for axis labels: 0%, 3%, 50%, 100%."""
    p = v * 100.0
    if p == 0 or p >= 10 or abs(p - round(p)) < 0.05:
        return "%.0f%%" % p
    return "%.1f%%" % p


def bytes_(v):
    if v is None:
        return "n/a"
    for unit, scale in (("GiB", 2 ** 30), ("MiB", 2 ** 20), ("KiB", 2 ** 10)):
        if v >= scale:
            return "%.3g %s" % (v / scale, unit)
    return "%.3g B" % v


def duration_ci_us(v, ci):
    """A percentile with its 95% interval: "12.3 ms [11.1-14.0]" (the unit
    written once where the three share it), "unbounded" for a side too few
    samples bound; the bare duration when ci is None (not recorded)."""
    text = duration_us(v)
    if v is None or ci is None:
        return text
    lo = duration_us(ci[0]) if ci[0] is not None else "unbounded"
    hi = duration_us(ci[1]) if ci[1] is not None else "unbounded"
    unit = text.split(" ")[-1]
    sides = [s for s in (lo, hi) if s != "unbounded"]
    if all(s.endswith(" " + unit) for s in sides):
        lo, hi = (s[:-len(unit) - 1] if s != "unbounded" else s for s in (lo, hi))
    return "%s [%s-%s]" % (text, lo, hi)
