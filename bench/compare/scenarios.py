"""The scenarios of bench/compare, the same for every system (issue 7):
crash of the VIP holder, administrative move, idle overhead. Each returns
plain dicts of measurements (seconds; None where something was not seen),
which report.py turns into tables."""

import os
import random
import time

import testbed

PROBE_BUDGET = 90.0        # seconds a prober runs at most (one failover)


def served(tl, node):
    """True when a TCP connection to the VIP was answered by `node`."""
    return any((r or "").strip() == node for _, r in tl.tcp_replies())


def holder(tb, system, timeout=90.0):
    """Wait until every node is a working member and one node holds the VIP;
    that node."""
    testbed.wait_for(lambda: all(system.ready(tb, n) for n in tb.names), timeout,
                     "every node of %s to be ready" % system.label)
    h = testbed.wait_for(lambda: tb.holders() if len(tb.holders()) == 1 else None, timeout,
                         "one node of %s holding %s" % (system.label, tb.vip))
    return h[0]


def measure(tb, tl, old, new, t0):
    """What the client saw of the move old -> new (vip_timeline Timeline):
    ARP (last answer from old's MAC -> first from new's) and TCP (the last
    connection answered by old, when it connected -> the end of the first
    answered by new), and whether two nodes answered at once."""
    arp = tl.failover(tb.mac(old), tb.mac(new))
    t_new, olds = None, []
    for x in tl.tcp:
        if x.result != "ok":
            continue
        who = (x.reply or "").strip()
        if who == new:
            t_new = x.t_end if t_new is None else min(t_new, x.t_end)
        elif who == old:
            olds.append(x.t + (x.connect_ms or 0) / 1000.0)
    t_old = max([t for t in olds if t_new is None or t < t_new], default=None)
    rel = lambda t: None if t is None else t - t0  # noqa: E731
    return {"old": old, "new": new, "t0": t0,
            "arp_gap": arp["gap"],
            "tcp_gap": (t_new - t_old) if t_new is not None and t_old is not None else None,
            "first_new_arp": rel(arp["t_first_new"]), "first_new_tcp": rel(t_new),
            "last_old_tcp": rel(t_old),
            "double": bool(tl.violations()) or arp["old_after_new"]}


def one_failover(tb, system, old, kind):
    """One crash (kind "crash") or administrative move ("move") of the VIP
    holder `old`, the client probing every 10 ms (ARP and a TCP connection);
    the measurement, once the cluster is whole again."""
    others = [n for n in tb.names if n != old]
    probe = tb.lab.probe_vip(tb.vip_host, PROBE_BUDGET, tcp_port=testbed.SERVICE_PORT, wait=False)
    try:
        probe.wait_until(lambda tl: served(tl, old), 10, "the service from %s" % old)
        time.sleep(random.uniform(0.2, 0.2 + system.period))  # a random phase vs. the heartbeat timer
        if kind == "crash":
            system.pre_crash(tb, old)
            t0 = tb.crash(old)
            system.post_crash(tb, old)
        else:
            t0 = system.move(tb, old, others[0])
        new = probe.wait_until(lambda tl: next((n for n in others if served(tl, n)), None),
                               PROBE_BUDGET - 15, "the service from a survivor of %s" % old)
        time.sleep(0.3)   # answers of two holders, if any, show after the first new one
    finally:
        tl = probe.stop()
    m = measure(tb, tl, old, new, t0)
    if kind == "crash":
        tb.reboot(old)
        system.start(tb, old)
    else:
        system.after_move(tb, old, new)
    h = holder(tb, system)
    return m, h


def failovers(tb, system, kind, runs, first, log):
    """`runs` failovers of kind "crash" or "move" in a row, each of the
    current holder; [measurement]."""
    out, h = [], first
    for i in range(runs):
        m, nh = one_failover(tb, system, h, kind)
        out.append(m)
        log("%s %s %d/%d %s -> %s: ARP %s ms, TCP %s ms%s" % (
            system.label, kind, i + 1, runs, m["old"], m["new"], ms(m["arp_gap"]), ms(m["tcp_gap"]),
            "  TWO HOLDERS" if m["double"] else ""))
        h = nh
    return out, h


def ms(x):
    return "-" if x is None else "%.1f" % (x * 1000)


# ---------------------------------------------------------------- overhead

def _ticks(pid):
    """utime + stime + cutime + cstime of pid, in clock ticks, or None."""
    try:
        with open("/proc/%d/stat" % pid) as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return sum(int(x) for x in fields[11:15])
    except (OSError, IndexError, ValueError):
        return None


def _rss_kib(pid):
    try:
        with open("/proc/%d/status" % pid) as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
    except (OSError, ValueError, IndexError):
        pass
    return 0


def stack_pids(tb, system, node):
    """The HA stack's processes on node: every process of the node but its
    anchor and its TCP service."""
    if hasattr(system, "stack_pids"):
        return system.stack_pids(tb, node)
    srv = tb.servers.get(node)
    return [p for p in tb.pids(node) if srv is None or p != srv.pid]


def overhead(tb, system, duration):
    """CPU % (of one core) and RSS of the stack's processes on each node over
    `duration` seconds of an idle cluster. Processes started during the window
    count whole; children that ended are in their parent's cutime/cstime
    once reaped."""
    hz = os.sysconf("SC_CLK_TCK")
    before = {n: {p: _ticks(p) for p in stack_pids(tb, system, n)} for n in tb.names}
    t0 = time.monotonic()
    time.sleep(duration)
    elapsed = time.monotonic() - t0
    out = {}
    for n in tb.names:
        pids = stack_pids(tb, system, n)
        ticks = 0
        for p in pids:
            now = _ticks(p)
            if now is None:
                continue
            ticks += now - (before[n].get(p) or 0)
        out[n] = {"cpu_pct": 100.0 * ticks / hz / elapsed, "rss_kib": sum(_rss_kib(p) for p in pids),
                  "processes": len(pids)}
    return {"duration": elapsed, "nodes": out}


# ---------------------------------------------------------------- busy node

def _lines(path):
    try:
        with open(path, errors="replace") as f:
            return f.read().splitlines()
    except OSError:
        return []


def membership_events(tb, system, marks):
    """Lines of each node's log since `marks` (line counts) that say the
    membership (or the VRRP state) changed: the system's own words
    (system.MEMBERSHIP_RE); {node: count}."""
    out = {}
    for n in tb.names:
        count = 0
        for i, path in enumerate(system.logs(tb, n)):
            new = _lines(path)[marks[n][i]:]
            count += sum(1 for line in new if system.MEMBERSHIP_RE.search(line))
        out[n] = count
    return out


def busy(tb, system, duration, log):
    """Every node saturated by stress-ng (CPU, memory and I/O stressors,
    `duration` s) on the machine's cores, the client probing the VIP (ARP
    every 10 ms): VIP moves and double holders the client saw, its longest
    silence, and the membership changes each node's log reports."""
    marks = {n: [len(_lines(p)) for p in system.logs(tb, n)] for n in tb.names}
    probe = tb.lab.probe_vip(tb.vip_host, duration + 20, wait=False)
    stress = []
    try:
        probe.wait_until(lambda tl: tl.answered(), 10, "an answer for the VIP")
        t0 = time.monotonic()
        for n in tb.names:
            stress.append(tb.spawn(n, ["stress-ng", "--cpu", str(os.cpu_count() or 2), "--vm", "1",
                                       "--vm-bytes", "256M", "--io", "1", "--timeout", "%ds" % int(duration),
                                       "--quiet"], os.path.join(tb.node_dir(n), "log", "stress-ng.out")))
        for p in stress:
            try:
                p.wait(timeout=duration + 30)
            except Exception:
                p.kill()
                p.wait(timeout=10)
        t1 = time.monotonic()
        time.sleep(1.0)
    finally:
        for p in stress:
            if p.poll() is None:
                p.kill()
        tl = probe.stop()
    seq = tl.sequence()
    quiet = tl.silence(after=t0, before=t1 + 1.0)
    ev = membership_events(tb, system, marks)
    return {"duration": t1 - t0, "vip_moves": max(0, len(seq) - 1), "double_rounds": len(tl.violations()),
            "longest_silence": (quiet[1] - quiet[0]) if quiet and quiet[1] is not None else None,
            "silent_rounds": quiet[2] if quiet else 0,
            "membership_events": ev, "events_what": system.MEMBERSHIP_WHAT}


# ---------------------------------------------------------------- scale

def scale_point(tb, system, window, log):
    """On a testbed of N nodes (the caller's): per-node CPU and RSS of an
    idle cluster over `window` s, then the crash of the last node (not the
    VIP holder): how long until each survivor declared it gone
    (system.detected(), the system's own view of its membership)."""
    h = holder(tb, system, timeout=300)
    gone = next(n for n in reversed(tb.names) if n != h)
    oh = overhead(tb, system, window)
    system.pre_crash(tb, gone)
    t_wall = time.time()
    t0 = tb.crash(gone)
    system.post_crash(tb, gone)
    survivors = [n for n in tb.names if n != gone]
    found = {}

    def all_detected():
        for n in survivors:
            if n not in found:
                d = system.detected(tb, n, gone, t0, t_wall)
                if d is not None:
                    found[n] = d
        return len(found) == len(survivors)

    testbed.wait_for(all_detected, 60, "every survivor of %s to see %s gone" % (system.label, gone), interval=0.2)
    cpu = [v["cpu_pct"] for v in oh["nodes"].values()]
    rss = [v["rss_kib"] for v in oh["nodes"].values()]
    det = sorted(found.values())
    out = {"nodes": len(tb.names), "gone": gone, "window": oh["duration"],
           "cpu_median": sorted(cpu)[len(cpu) // 2], "cpu_max": max(cpu),
           "rss_kib_median": sorted(rss)[len(rss) // 2], "rss_kib_max": max(rss),
           "detect_median": det[len(det) // 2], "detect_max": det[-1], "detect_min": det[0]}
    log("%s, %d nodes: detection of %s median %s ms, worst %s ms; CPU per node median %.2f%%, max %.2f%%" % (
        system.label, out["nodes"], gone, ms(out["detect_median"]), ms(out["detect_max"]), out["cpu_median"],
        out["cpu_max"]))
    return out
