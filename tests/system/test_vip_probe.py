"""System tests of the VIP prober (vip_probe.py, vip_timeline.py) and of the
lab's client namespace (Lab(client=...)), before vigild runs any group: the
floating address is moved by hand with tests/tools/vigil_iptool in the node
namespaces. The failover tests of issue 5 will rely on what is checked here:
the prober sees who answers every 10 ms, a double holder cannot go unseen,
and the prober itself never moves the client's neighbour cache.

One lab for the module: 2 nodes (no daemons), lan1 IPv4 and lan2 IPv6, a
client on both. Needs root (skips with a message otherwise) and vigil_iptool
($VIGIL_IPTOOL, else $VIGIL_BUILD/bin or $VIGIL_BUILD/tests; VIGIL_BUILD
defaults to build). test_timeline_selfcheck needs neither.

Run: /usr/bin/python3 -m pytest -q -rs tests/system/test_vip_probe.py
"""

import os
import signal
import subprocess
import sys
import time

import pytest

import vigil_lab
import vip_timeline

HERE = os.path.dirname(os.path.abspath(__file__))

# vigil_iptool's exit codes (tests/tools/vigil_iptool.c)
DONE = 0

# How soon after the announcement the client's cache must hold the new MAC:
# the announcement, not a neighbour-cache timeout (those take seconds).
ANNOUNCE_DEADLINE = 0.3
# Slack for scheduling on a loaded machine (another build may be running).
SLACK = 0.15
PORT = 18080

FAMILIES = [pytest.param("lan1", id="ipv4"), pytest.param("lan2", id="ipv6")]


def find_tool():
    if os.environ.get("VIGIL_IPTOOL"):
        return os.environ["VIGIL_IPTOOL"]
    build = vigil_lab.build_dir()
    for sub in ("bin", "tests"):
        path = os.path.join(build, sub, "vigil_iptool")
        if os.access(path, os.X_OK):
            return path
    return None


def test_timeline_selfcheck():
    """vip_timeline's own checks on synthetic recordings (no root needed)."""
    assert vip_timeline.selfcheck() >= 7


class Tool:
    def __init__(self, lab, path):
        self.lab, self.path = lab, path

    def __call__(self, node, *args):
        r = self.lab.exec_in(node, [self.path] + list(args), check=False, timeout=15)
        return r.returncode, (r.stdout + r.stderr).decode(errors="replace")

    def ok(self, node, *args):
        rc, out = self(node, *args)
        assert rc == DONE, "vigil_iptool %s in %s: exit %d: %s" % (" ".join(args), node, rc, out)
        return out


@pytest.fixture(scope="module")
def vlab():
    why = vigil_lab.missing_requirements(daemon=False)
    if why:
        pytest.skip(why)
    path = find_tool()
    if not path:
        pytest.skip("vigil_iptool not built: `make` builds build/tests/vigil_iptool (or set "
                    "VIGIL_IPTOOL, or VIGIL_BUILD to a build directory that has it)")
    lab = vigil_lab.Lab(2, start=False, client=["lan1", "lan2"])
    lab.tool = Tool(lab, path)
    yield lab
    problems = lab.close()
    if problems:
        pytest.fail("problems while cleaning up:\n" + "\n".join(problems), pytrace=False)


@pytest.fixture
def vip(vlab):
    """Addresses a test adds: removed from both nodes, and forgotten by the
    client's cache, after it, pass or fail."""
    added = []
    yield added
    for addr in added:
        for node in ("n1", "n2"):
            vlab.tool(node, "del", addr)
        vlab.exec_in(vlab.client_ns, ["ip", "neigh", "flush", "to", addr.split("/")[0]],
                     check=False)


def wait_cache(lab, addr, mac, timeout):
    """Poll the client's cache entry for addr every 10 ms (bounded) until it
    holds mac; returns (time seen or None, last entry)."""
    t0 = time.monotonic()
    seen = None
    for _ in range(int(timeout / 0.01) + 2):
        seen = lab.client_neigh(addr)
        if seen and seen[0] == mac:
            return time.monotonic(), seen
        if time.monotonic() - t0 > timeout:
            break
        time.sleep(0.01)
    return None, seen


@pytest.mark.parametrize("link", FAMILIES)
def test_single_holder(vlab, vip, link):
    """The VIP on n1: every answer comes from n1's MAC, nearly every round is
    answered, the client's cache holds n1 throughout, the times are the test's
    own monotonic clock, and the probes come from the probe identity (the
    nodes learn the probe address with the probe MAC, not the client's)."""
    addr = vlab.vip_addr(0, link)
    vip.append(addr)
    mac1 = vlab.mac("n1", link)
    vlab.tool.ok("n1", "add", addr)
    assert vlab.client_ping(addr), "the client cannot reach %s on n1" % addr
    t0 = time.monotonic()
    tl = vlab.probe_vip(addr, 0.5)
    t1 = time.monotonic()
    assert tl.complete and tl.end["reason"] in ("duration", "count"), tl.summary()
    assert t0 < tl.rounds[0].t < tl.rounds[-1].t < t1, (t0, t1, tl.summary())
    assert 25 <= len(tl.rounds) <= 52, tl.summary()
    assert len(tl.answered()) >= 0.8 * len(tl.rounds), tl.summary()
    assert tl.macs() == {mac1}, tl.summary()
    tl.assert_single_holder()
    assert all(m == mac1 for _, m, _ in tl.neigh_samples()), tl.summary()
    assert tl.neigh_samples(), "no cache samples"
    # the probe identity: not the client's MAC or address
    st = tl.start
    assert st["stealth"] and st["probe_src"] == vlab.probe_src[link]
    assert st["probe_mac"] != vlab.mac("client", link) and st["client_mac"] == vlab.mac("client", link)
    out = vlab.exec_in("n1", ["ip", "neigh", "show", "dev", link]).stdout.decode()
    entries = {l.split()[0]: l.split()[2] for l in out.splitlines() if " lladdr " in l}
    assert entries.get(vlab.probe_src[link]) == st["probe_mac"], out
    assert entries.get(vlab.client_addr[link], vlab.mac("client", link)) == vlab.mac("client", link), out


@pytest.mark.parametrize("link", FAMILIES)
def test_move_with_announcement(vlab, vip, link):
    """n1 -> n2 by hand while the prober runs. Adding the VIP on n2 alone: the
    prober sees n2 answer at once, but the client's cache keeps n1's MAC (the
    prober does not touch it). n2 announces: the cache moves to n2 within
    ANNOUNCE_DEADLINE, and the recording shows the move right after the
    announcement, the failover gap, and never two holders."""
    addr = vlab.vip_addr(1, link)
    vip.append(addr)
    mac1, mac2 = vlab.mac("n1", link), vlab.mac("n2", link)
    vlab.tool.ok("n1", "add", addr)
    assert vlab.client_ping(addr)
    assert vlab.client_neigh(addr)[0] == mac1
    probe = vlab.probe_vip(addr, 8.0, wait=False)
    try:
        probe.wait_until(lambda tl: tl.first_answer(mac1), 1.0, "n1 to answer the prober")
        t_del = time.monotonic()
        vlab.tool.ok("n1", "del", addr)
        vlab.tool.ok("n2", "add", addr)
        t_added = time.monotonic()
        probe.wait_until(lambda tl: tl.first_answer(mac2), 1.0, "n2 to answer the prober")
        # half a second of probing must not move the client's cache
        time.sleep(0.5)
        entry = vlab.client_neigh(addr)
        assert entry and entry[0] == mac1, (
            "the client's cache moved without an announcement (prober leak?): %r" % (entry,))
        t_ann = time.monotonic()
        out = vlab.tool.ok("n2", "announce", addr, "--count", "1")
        assert "1 rounds" in out, out
        t_seen, entry = wait_cache(vlab, addr, mac2, ANNOUNCE_DEADLINE + SLACK)
        time.sleep(0.1)
        tl = probe.stop()
    finally:
        if probe.running():
            vlab.stop_process(probe.proc)
    assert t_seen is not None, "the client still has %r %.0f ms after the announcement\n%s" % (
        entry, (time.monotonic() - t_ann) * 1000, tl.summary())
    assert t_seen - t_ann <= ANNOUNCE_DEADLINE + SLACK, (t_seen - t_ann, tl.summary())

    assert tl.end["reason"] == "signal", tl.summary()
    assert tl.sequence() == [frozenset([mac1]), frozenset([mac2])], tl.summary()
    tl.assert_single_holder()
    f = tl.failover(mac1, mac2)
    assert f["t_last_old"] < f["t_first_new"] and not f["old_after_new"], f
    assert f["t_first_new"] > t_del, f
    # gap: the two vigil_iptool runs, plus a probe interval or two
    assert 0 < f["gap"] <= (t_added - t_del) + 2 * tl.interval + SLACK, (f, t_added - t_del)
    # the cache, as the prober recorded it: n1 until the announcement, n2 soon after
    assert tl.cache_held(mac1, until=t_ann), tl.summary()
    moved = tl.cache_moved_to(mac2)
    assert moved is not None and t_ann < moved <= t_ann + ANNOUNCE_DEADLINE + SLACK, (
        moved, t_ann, tl.summary())
    ann = tl.announcements(mac2)
    assert ann and t_ann <= ann[0][0] <= moved + 0.01, (ann, t_ann, moved)
    assert [m for _, m, _ in tl.neigh_changes()] == [mac1, mac2], tl.neigh_changes()
    # the netlink subscription saw the change too, soon after the announcement
    ev = [t for t, e, m, _ in tl.neigh_events if e == "new" and m == mac2]
    assert ev and t_ann < ev[0] <= t_ann + ANNOUNCE_DEADLINE + SLACK, (tl.neigh_events, t_ann)


@pytest.mark.parametrize("link", FAMILIES)
def test_double_answer_detected(vlab, vip, link):
    """The VIP on n1 and n2 at once: the prober gets two answers per probe and
    the detector fails (assert_single_holder raises). Back to n1 alone: clean."""
    addr = vlab.vip_addr(2, link)
    vip.append(addr)
    mac1, mac2 = vlab.mac("n1", link), vlab.mac("n2", link)
    vlab.tool.ok("n1", "add", addr)
    vlab.tool.ok("n2", "add", addr)
    tl = vlab.probe_vip(addr, 0.3)
    v = tl.violations()
    assert v and len(v) >= 0.5 * len(tl.answered()), tl.summary()
    assert all(m == sorted([mac1, mac2]) for _, _, m in v), v
    with pytest.raises(AssertionError, match="two nodes at once"):
        tl.assert_single_holder()

    vlab.tool.ok("n2", "del", addr)
    tl = vlab.probe_vip(addr, 0.3)
    assert tl.violations() == [] and tl.macs() == {mac1}, tl.summary()
    tl.assert_single_holder()


@pytest.mark.parametrize("link", FAMILIES)
def test_tcp_outage_and_failover(vlab, vip, link):
    """A server on each node names its node. The VIP on n1: connections are ok
    and read "n1"; removed from n1: they time out; on n2 with an announcement:
    ok and "n2" again. One outage, from the last "n1" to the first "n2", about
    as long as the VIP was nowhere. A port nobody listens on is refused."""
    addr = vlab.vip_addr(3, link)
    vip.append(addr)
    mac1, mac2 = vlab.mac("n1", link), vlab.mac("n2", link)
    servers = [vlab.tcp_server("n1", PORT), vlab.tcp_server("n2", PORT)]
    try:
        vlab.tool.ok("n1", "add", addr)
        assert vlab.client_ping(addr)
        probe = vlab.probe_vip(addr, 8.0, tcp_port=PORT, tcp_timeout=0.25, tcp_every=2,
                               wait=False)
        try:
            probe.wait_until(lambda tl: ("ok" in tl.tcp_results() and tl.tcp_replies()[-1][1] == "n1"),
                             2.0, "a connection answered by n1")
            t_del = time.monotonic()
            vlab.tool.ok("n1", "del", addr)
            probe.wait_until(lambda tl: tl.tcp_results().get("timeout", 0) >= 3, 2.0,
                             "connections to time out")
            vlab.tool.ok("n2", "add", addr)
            t_ann = time.monotonic()
            vlab.tool.ok("n2", "announce", addr, "--count", "1")
            probe.wait_until(lambda tl: any(r == "n2" for _, r in tl.tcp_replies()), 2.0,
                             "a connection answered by n2")
            time.sleep(0.1)
            tl = probe.stop()
        finally:
            if probe.running():
                vlab.stop_process(probe.proc)
        refused = vlab.probe_vip(addr, 0.2, tcp_port=PORT + 1, tcp_timeout=0.25, tcp_every=2)
    finally:
        for s in servers:
            vlab.stop_process(s)

    out = tl.tcp_outages()
    assert len(out) == 1, tl.summary()
    o = out[0]
    assert o["reply_before"] == "n1" and o["reply_after"] == "n2", o
    assert set(o["results"]) == {"timeout"}, o
    assert o["t_last_ok"] <= t_del + SLACK and o["t_first_ok"] >= t_ann, (o, t_del, t_ann)
    # the outage lasts from the removal to the announcement, plus at most a
    # connection interval, the connect time and slack
    assert (t_ann - t_del) - 0.05 <= o["duration"] <= (t_ann - t_del) + 0.25 + SLACK, (
        o, t_ann - t_del)
    fo = tl.tcp_failover("n1", "n2")
    assert abs(fo["gap"] - o["duration"]) < 1e-6, (fo, o)
    assert tl.sequence() == [frozenset([mac1]), frozenset([mac2])], tl.summary()
    tl.assert_single_holder()

    res = refused.tcp_results()
    assert res.get("refused", 0) >= 3 and set(res) <= {"refused", "pending"}, refused.summary()


def test_bounds_and_clean_stop(vlab, vip):
    """--count ends the prober early; SIGTERM stops it at once with an end
    record and exit 0; the lab knows it as a helper only while it runs."""
    addr = vlab.vip_addr(4, "lan1")
    vip.append(addr)
    vlab.tool.ok("n1", "add", addr)
    t0 = time.monotonic()
    tl = vlab.probe_vip(addr, 10.0, count=7)
    assert time.monotonic() - t0 < 3.0
    assert tl.end["reason"] == "count" and len(tl.rounds) == 7, tl.summary()

    probe = vlab.probe_vip(addr, 30.0, wait=False)
    assert probe.proc in vlab.helpers
    probe.wait_until(lambda tl: len(tl.rounds) >= 5, 2.0, "5 rounds")
    t0 = time.monotonic()
    tl = probe.stop()
    assert time.monotonic() - t0 < 1.0
    assert probe.proc.returncode == 0 and probe.proc not in vlab.helpers
    assert tl.complete and tl.end["reason"] == "signal", tl.summary()
    assert tl.end["rounds"] == len(tl.rounds) >= 5


CHILD = r"""
import os, signal, sys
sys.path.insert(0, %(here)r)
import vigil_lab
lab = vigil_lab.Lab(1, start=False, client=True)
p = lab.probe_vip(lab.vip_addr(0), 30.0, wait=False)
print(lab.prefix, lab.client_ns, p.pid, lab.tmp, flush=True)
os.kill(os.getpid(), signal.SIGKILL)
"""


def test_client_namespace_cleanup():
    """A lab with a client: its namespace is named like the others, listed in
    the lab's state file, and removed by close(); a lab whose owner was killed
    (kill -9) with a prober running is reaped by cleanup_stale(): namespaces,
    prober, directory."""
    why = vigil_lab.missing_requirements(daemon=False)
    if why:
        pytest.skip(why)
    with vigil_lab.Lab(2, start=False, client=True) as lab:
        assert lab.client_ns == lab.prefix + "-c" and lab.client_ns in lab.namespaces
        assert lab.client_links == ["lan1"] and lab.client_addr == {"lan1": "192.0.2.240"}
        assert lab.client_ns in vigil_lab._existing_netns()
        out = lab.exec_in(lab.client_ns, ["ip", "-o", "addr", "show", "dev", "lan1"]).stdout.decode()
        assert "192.0.2.240/24" in out, out
        assert lab.vip_addr(0) == "192.0.2.220/24" and lab.vip_addr(1, "lan2") == "2001:db8:2::dd/64"
        with open(lab._state_file) as f:
            assert lab.client_ns in f.read()
        assert lab.ping("n1", "n2", "lan1")
        # the client reaches the nodes (their own addresses)
        assert lab.client_ping(lab.nodes["n2"].addr["lan1"])
    assert not any(ns.startswith(lab.prefix) for ns in vigil_lab._existing_netns())

    p = subprocess.run([vigil_lab.SYS_PYTHON, "-c", CHILD % {"here": HERE}], capture_output=True,
                       timeout=60)
    assert p.returncode == -signal.SIGKILL, p.stderr.decode()
    prefix, client_ns, pid, tmp = p.stdout.decode().split()
    pid = int(pid)
    try:
        assert client_ns in vigil_lab._existing_netns()
        assert vigil_lab._pid_alive(pid) and "vip_probe.py" in vigil_lab._cmdline(pid)
        removed = vigil_lab.cleanup_stale()
        assert prefix in removed
        assert not any(ns.startswith(prefix) for ns in vigil_lab._existing_netns())
        for _ in range(100):   # reaped by init once killed: bounded wait
            if not vigil_lab._pid_alive(pid) or vigil_lab._is_zombie(pid):
                break
            time.sleep(0.02)
        assert not vigil_lab._pid_alive(pid) or vigil_lab._is_zombie(pid)
        assert not os.path.exists(tmp)
    finally:
        if vigil_lab._pid_alive(pid) and "vip_probe.py" in vigil_lab._cmdline(pid):
            os.kill(pid, signal.SIGKILL)
        for ns in vigil_lab._existing_netns():
            if ns.startswith(prefix + "-"):
                subprocess.run(["ip", "netns", "del", ns], check=False)


if __name__ == "__main__":
    sys.exit(pytest.main(["-q", "-rs", __file__]))
