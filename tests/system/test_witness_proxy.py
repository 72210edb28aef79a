"""The witness link over HTTPS through an HTTP proxy (Squid, CONNECT): 3 real
vigild with lan1 (IPv4), vigil-witness with a self-signed certificate (the
nodes' ca-file) in its own namespace, Squid in another; the witness accepts
TCP from the proxy only, so a witness link that is up went through Squid.
interval 100ms, timeout 500ms. See docs/testing.md ("Disk and witness links").

test_soak_* runs for VIGIL_SOAK_SECONDS (default 300) and is marked `soak`:
`-m "not soak"` leaves it out."""

import os
import time

import pytest

import vigil_lab

vigil_lab.skip_unless_ready(daemon=False, witness="https", proxy=True)

LAN, WIT = "lan1", "arbiter"
NAMES = ("n1", "n2", "n3")
TIMEOUT = 0.5
SOAK_SECONDS = float(os.environ.get("VIGIL_SOAK_SECONDS", "300"))
SOAK_CHECK_EVERY = 10.0
TIME_WAIT_MAX = 20   # one persistent connection per node; without reuse ~3 x 10/s x 60 s


def need_daemons():
    why = vigil_lab.missing_requirements(daemon=True, witness="https", proxy=True)
    if why:
        pytest.skip(why)


@pytest.fixture
def plab(make_lab):
    need_daemons()
    lab = make_lab(3, links=[(LAN, "ipv4")], witness="https", proxy=True)
    lab.wait_converged(timeout=15.0)
    return lab


def tunnels(lab):
    """{client address: number of ESTABLISHED connections to Squid's port}
    in the proxy namespace."""
    out = lab.exec_in(lab.proxy_ns, ["ss", "-Htn", "state", "established",
                                     "sport = :%d" % lab.proxy_port]).stdout.decode()
    got = {}
    for line in out.splitlines():
        f = line.split()
        if len(f) >= 4:
            peer = f[-1].rsplit(":", 1)[0]
            got[peer] = got.get(peer, 0) + 1
    return got


def connect_lines(lab):
    return [l for l in lab.proxy_log().splitlines() if " CONNECT %s:%d " % (
        lab.witness_addr, lab.witness_port) in l]


def time_waits(lab):
    where = {"proxy": lab.proxy_ns, "witness": lab.witness_ns}
    where.update({n: n for n in NAMES})
    return {k: lab.time_wait(v) for k, v in where.items()}


def test_lab_https_witness_behind_proxy():
    """No vigild: HTTPS to the witness works from every node through Squid
    (CONNECT, verified against the lab's CA), not directly; Squid logs it;
    cleanup removes everything."""
    lab = vigil_lab.Lab(3, links=[(LAN, "ipv4")], start=False, witness="https", proxy=True)
    try:
        assert lab.witness_url.startswith("https://198.18.0.250:")
        conf = open(lab.conf).read()
        assert "proxy = http://198.18.0.251:%d" % lab.proxy_port in conf
        assert "ca-file = %s" % lab.ca_file in conf
        for n in NAMES:
            assert lab.http(n, "/healthz", token=False)[0] == 200
        with pytest.raises(vigil_lab.LabError):
            lab.http("n1", "/healthz", proxy=False, timeout=1.0)   # the witness takes the proxy only
        lab.wait_for(lambda: len(connect_lines(lab)) >= 3, 5.0, "squid to log 3 CONNECTs")
        clients = {l.split()[2] for l in connect_lines(lab)}
        assert clients == {lab.nodes[n].wan_addr for n in NAMES}, lab.proxy_log()
    finally:
        problems = lab.close()
    assert problems == []
    assert not [ns for ns in vigil_lab._existing_netns() if ns.startswith(lab.prefix)]
    assert not os.path.exists(lab.tmp)


def test_https_witness_through_proxy(plab):
    lab = plab
    sts = lab.wait_converged()
    for obs, st in sts.items():
        own = lab.own_link(st, WIT)
        assert own["type"] == "witness" and own["state"] == "up", lab.explain(
            "%s: own witness side %r" % (obs, own))
        for t in NAMES:
            assert lab.entry(st, t)["links"][WIT] == "up"
    # one tunnel per node, kept open (a persistent connection)
    want = {lab.nodes[n].wan_addr: 1 for n in NAMES}
    lab.wait_for(lambda: tunnels(lab) == want, 5.0, "one established connection per node to squid")
    # squid logs a CONNECT when its tunnel ends: stop n3 cleanly
    assert lab.terminate("n3") == 0
    lab.wait_for(lambda: any(l.split()[2] == lab.nodes["n3"].wan_addr for l in connect_lines(lab)),
                 5.0, "squid to log n3's CONNECT to the witness")
    line = [l for l in connect_lines(lab) if l.split()[2] == lab.nodes["n3"].wan_addr][0]
    assert "TCP_TUNNEL/200" in line, line
    print("squid: %s" % line)


@pytest.mark.soak
def test_soak_witness_through_proxy_reuses_connections(plab):
    lab = plab
    lab.wait_converged()
    time.sleep(0.5)
    st0 = lab.statuses()
    since = {(o, t): ((lab.entry(st0[o], t).get("link_detail") or {}).get(WIT) or {}).get("since_mono")
             for o in NAMES for t in NAMES if t != o}
    seen_conns = set()
    closed_before = len(connect_lines(lab))   # squid logs a tunnel when it ends
    start = time.monotonic()
    end = start + SOAK_SECONDS
    checks = 0
    for _ in range(int(SOAK_SECONDS / SOAK_CHECK_EVERY) + 2):
        sts = lab.statuses()
        for obs, st in sts.items():
            own = lab.own_link(st, WIT)
            assert own["state"] == "up", lab.explain("%.0fs into the soak: %s's own witness side %r" % (
                time.monotonic() - start, obs, own))
            for t in NAMES:
                e = lab.entry(st, t)
                assert e["state"] == "alive" and e["links"][WIT] == "up" and e["links"][LAN] == "up", \
                    lab.explain("%.0fs into the soak: %s sees %s %r" % (time.monotonic() - start, obs, t, e))
                s = ((e.get("link_detail") or {}).get(WIT) or {}).get("since_mono")
                if t != obs and since[(obs, t)] is not None:
                    assert s == since[(obs, t)], lab.explain(
                        "%.0fs into the soak: %s's arbiter link to %s flapped (since %r -> %r)" % (
                            time.monotonic() - start, obs, t, since[(obs, t)], s))
        out = lab.exec_in(lab.proxy_ns, ["ss", "-Htn", "state", "established",
                                         "sport = :%d" % lab.proxy_port]).stdout.decode()
        seen_conns.update(l.split()[-1] for l in out.splitlines() if l.strip())
        checks += 1
        left = end - time.monotonic()
        if left <= 0:
            break
        time.sleep(min(SOAK_CHECK_EVERY, left))
    tw = time_waits(lab)
    closed = len(connect_lines(lab)) - closed_before
    print("soak %.0fs, %d checks; client connections seen at squid: %d (%s); tunnels closed "
          "during the soak: %d; TIME_WAIT: %r" % (
              time.monotonic() - start, checks, len(seen_conns), ", ".join(sorted(seen_conns)),
              closed, tw))
    assert tw["proxy"] < TIME_WAIT_MAX, lab.explain(
        "%d sockets in TIME_WAIT in the proxy namespace after the soak (allowed < %d): connections "
        "to the witness are not reused" % (tw["proxy"], TIME_WAIT_MAX))
    assert sum(tw.values()) < TIME_WAIT_MAX, lab.explain(
        "sockets in TIME_WAIT after the soak: %r (allowed < %d in all): connections are not reused" % (
            tw, TIME_WAIT_MAX))
    assert closed < TIME_WAIT_MAX, lab.explain(
        "squid logged %d tunnels to the witness that closed during the soak" % closed)
    assert len(seen_conns) <= 2 * len(NAMES), lab.explain(
        "%d different client connections at squid over the soak (%s); expected one per node" % (
            len(seen_conns), sorted(seen_conns)))
