"""An `ip` resource refuses an address that another machine already holds
(issue 5; docs/groups.md, "The ip adapter", the probe before start): 3
nodes, lan1 (IPv4) and lan2 (IPv6), interval 100ms, timeout 500ms,
`fencing = none`, a client namespace on the VIP's link that records every
10 ms which MAC answers for the VIP (vip_probe.py, vip_timeline.py). Run
for IPv4 (the VIP on lan1: ARP probes) and IPv6 (on lan2: DAD neighbour
solicitations).

The group `web` (nodes n1, n2, n3; migration-threshold 1, failure-timeout
15s): the VIP (host 220 of the link's network, default probe-timeout) and
an exec resource after it. The client namespace holds the VIP before the
cluster starts, on a second interface `squat` of its own on the link's
bridge (the prober in the client sends from the client's own interface, and
a kernel does not answer the frames its own namespace sends; arp_ignore=1
in the client so that only `squat` answers for it, with its MAC, "the
client's MAC" below):

  - every node in turn probes, hears the client answer (and keeps probing
    for 2 s in case a holder is letting go), and fails the start of the VIP with an event naming the group, resource, node, address, the
    client's MAC and the interface, and what to do; the app never starts;
  - at the threshold on every node, the group runs nowhere (status `failed`
    or `offline`, node null) and the VIP answers only from the client's MAC;
  - once the client lets the address go, nothing needs doing: when n1's
    failure count expires (failure-timeout after its failure, placement.md)
    the coordinator starts the group on n1 again, which finds the address
    free and takes it; the VIP never answers from two MACs at once.

Run: /usr/bin/python3 -m pytest -q -rs tests/system/test_ip_conflict.py
"""

import os
import time

import pytest

import vigil_lab
from test_groups import ALL3, app_file, log_text, web

vigil_lab.skip_unless_ready()

# longer than the three refusals take (each waits RES_IP_PROBE_CONFLICT_WAIT,
# 2 s, for the answers to stop), so that the group runs nowhere for a while
FAILURE_TIMEOUT = 15.0


def group_config(lab, vip):
    run = os.path.join(lab.tmp, "$VIGIL_NODE", "app.run")
    text = lab.config_text().replace("[cluster]\n", "[cluster]\nfencing = none\n", 1)
    return text + """
[group "web"]
nodes = n1, n2, n3
migration-threshold = 1
failure-timeout = %(ft)ds
monitor-interval = 200ms

[resource "web/vip"]
type = ip
address = %(vip)s

[resource "web/app"]
type = exec
start = touch %(run)s
stop = rm -f %(run)s
monitor = test -f %(run)s || exit 7
""" % {"vip": vip, "run": run, "ft": FAILURE_TIMEOUT}


@pytest.fixture(params=["lan1", "lan2"], ids=["ipv4", "ipv6"])
def clab(request):
    why = vigil_lab.missing_requirements()
    if why:
        pytest.skip(why)
    link = request.param
    lab = vigil_lab.Lab(3, interval="100ms", timeout="500ms", start=False, client=link)
    try:
        lab.vip_link = link
        lab.vip = lab.vip_addr(link=link)
        lab.vip_ip = lab.vip.split("/")[0]
        lab.write_config(group_config(lab, lab.vip))
        yield lab
    finally:
        problems = lab.close()
    if problems:
        pytest.fail("problems while cleaning up:\n" + "\n".join(problems), pytrace=False)


def refusal(lab, node, mac):
    return ("group web on %s: resource vip did not start" % node,
            "start of web/vip (ip %s on %s) failed: another machine holds %s (it answered "
            "from %s on %s, still after 2000 ms): not taking it; free the address on that "
            "machine or change the resource's address" % (lab.vip, lab.vip_link, lab.vip_ip,
                                                           mac, lab.vip_link))


def refused_on(lab, node, mac):
    head, tail = refusal(lab, node, mac)
    return any(head in line and tail in line for line in log_text(lab, node).splitlines())


def squat(lab):
    """The client's second interface on the VIP link's bridge (port `clsq` of
    br<k> in the switch namespace), holding the VIP; returns its MAC. Both
    ends live in the lab's namespaces, removed with them."""
    ns, sw = lab.client_ns, lab.switch_ns
    bridge = "br%d" % [name for name, _ in lab.links].index(lab.vip_link)
    lab.exec_in(ns, ["sysctl", "-qw", "net.ipv4.conf.all.arp_ignore=1"])
    lab.exec_in(ns, ["ip", "link", "add", "squat", "type", "veth", "peer", "name", "clsq",
                     "netns", sw])
    lab.exec_in(sw, ["ip", "link", "set", "clsq", "master", bridge])
    lab.exec_in(sw, ["ip", "link", "set", "clsq", "up"])
    lab.exec_in(ns, ["ip", "addr", "add", lab.vip, "dev", "squat"]
                + (["nodad"] if ":" in lab.vip else []))
    lab.exec_in(ns, ["ip", "link", "set", "squat", "up"])
    return lab.mac("client", "squat")


def test_address_held_by_another_machine(clab):
    lab = clab
    link = lab.vip_link
    cmac = squat(lab)
    probe = lab.probe_vip(lab.vip_ip, 60, wait=False)
    probe.wait_until(lambda tl: cmac in tl.macs(), 3, "the client answering for the VIP")
    lab.start_all()

    # every node tries once (threshold 1) and refuses, naming the client's MAC
    for node in ALL3:
        lab.wait_for(lambda n=node: refused_on(lab, n, cmac), 20,
                     "%s to refuse the VIP held by the client" % node)

    def runs_nowhere():
        g = web(lab.status("n1"))
        return g.get("state") in ("failed", "offline") and g.get("node") is None

    lab.wait_for(runs_nowhere, 5, "web to run nowhere")
    lab.hold(runs_nowhere, 1.0, "web running nowhere while the client holds the VIP")
    g = web(lab.status("n1"))
    print("status while the client holds the VIP: state %s, node %s, nodes %s; placement: %s"
          % (g.get("state"), g.get("node"), g.get("nodes"),
             (g.get("placement") or {}).get("reason")))
    for node in ALL3:
        assert not os.path.exists(app_file(lab, node)), "the app started on %s" % node
        assert "start of web/app" not in log_text(lab, node)
    tl = probe.timeline()
    assert tl.macs() == {cmac}, tl.summary()

    # the client lets it go: n1's count expires and n1 takes it, no command needed
    t_free = time.monotonic()
    lab.exec_in(lab.client_ns, ["ip", "addr", "del", lab.vip, "dev", "squat"])
    mac1 = lab.mac("n1", link)
    probe.wait_until(lambda t: mac1 in t.macs(), FAILURE_TIMEOUT + 10, "n1 answering for the VIP")
    t_n1 = time.monotonic()

    def online_on_n1():
        return all(web(lab.status(n)).get("state") == "online"
                   and web(lab.status(n)).get("node") == "n1" for n in ALL3)

    lab.wait_for(online_on_n1, 5, "web online on n1 in every node's status")
    assert os.path.exists(app_file(lab, "n1"))
    time.sleep(0.3)
    tl = probe.stop()
    tl.assert_single_holder()
    assert tl.macs() == {cmac, mac1}, tl.summary()
    assert tl.first_answer(mac1) > tl.last_answer(cmac), tl.summary()
    started = [line for line in log_text(lab, "n1").splitlines()
               if "start of web/vip" in line and "no answer to 3 probes in 50 ms, added" in line]
    assert started, log_text(lab, "n1")[-3000:]
    print("freed: n1 answered %.2f s after the client let the VIP go (failure-timeout %.0f s)"
          % (t_n1 - t_free, FAILURE_TIMEOUT))
