"""More failover-group tests of issue 5 (docs/groups.md), on the lab of
test_groups.py (3 nodes, interval 100ms, timeout 500ms, fencing = none, a
client namespace recording every 10 ms which MAC answers for the VIP):

- the OCF agent ocf:heartbeat:Dummy (resource-agents) in the group: it
  runs, fails over on a crash of the holder, and stops cleanly;
- an IPv6 VIP (on lan2, the lab's IPv6 link): answers from n1, moves to n2
  on a crash, never two MACs (the prober sends neighbour solicitations);
- failback = yes: the crashed preferred node comes back and the group moves
  back to it, never two holders. (failback = no, the group staying where
  it runs when n1 comes back: test_groups.py, test_isolated_holder_stops_
  fencing_none, and test_group_admin.py, move --clear.)

A crash is test_groups.crash (kill -9 of vigild, every link down); the node
"reboots" here before it comes back: what a reboot loses is removed (the
VIP on its interface, the app's file, Dummy's state file), then its links
come up and vigild starts again.

Dummy keeps its state in the file named by its `state` parameter, and one
machine holds every lab node: each node gets its own configuration file,
equal but for `state` (a path in its own state directory), since OCF
parameters are not expanded (no $VIGIL_NODE there). vigild compares no
configuration between nodes.

Run: /usr/bin/python3 -m pytest -q -rs tests/system/test_groups_more.py
"""

import os
import subprocess
import time

import pytest

import vigil_lab
from test_groups import (ALL3, FAILOVER_BOUND, app_file, crash, group_config,
                         wait_online, web)

vigil_lab.skip_unless_ready()

DUMMY = "/usr/lib/ocf/resource.d/heartbeat/Dummy"
OCF_ROOT = "/usr/lib/ocf"


def make_lab(client="lan1"):
    why = vigil_lab.missing_requirements()
    if why:
        pytest.skip(why)
    return vigil_lab.Lab(3, interval="100ms", timeout="500ms", start=False, client=client)


def finish(lab):
    problems = lab.close()
    if problems:
        pytest.fail("problems while cleaning up:\n" + "\n".join(problems), pytrace=False)


def reboot_cleanup(lab, node, vip, files=()):
    """What a reboot of a crashed node loses: the VIP on its interface, the
    resources' files."""
    link = lab.client_link_for(vip)
    vigil_lab._run([lab.ip, "-n", lab.nodes[node].ns, "addr", "del", vip, "dev", link],
                   check=False)
    for path in files:
        try:
            os.unlink(path)
        except FileNotFoundError:
            pass


def come_back(lab, node):
    for link, _ in lab.links:
        lab.link_up(node, link)
    lab.start(node)


# ------------------------------------------------------------ ocf:heartbeat:Dummy

def dummy_state(lab, node):
    return os.path.join(lab.nodes[node].state_dir, "dummy.state")


def dummy_config(lab, vip, node):
    text = lab.config_text().replace("[cluster]\n", "[cluster]\nfencing = none\n", 1)
    return text + """
[group "web"]
nodes = n1, n2, n3
monitor-interval = 200ms

[resource "web/vip"]
type = ip
address = %(vip)s

[resource "web/dummy"]
type = ocf
agent = ocf:heartbeat:Dummy
state = %(state)s
""" % {"vip": vip, "state": dummy_state(lab, node)}


def start_node_own_conf(lab, node):
    """vigild of node with its own configuration file (Dummy's state)."""
    orig = lab.conf
    lab.conf = orig + "." + node
    try:
        lab.start(node)
    finally:
        lab.conf = orig


def dummy_monitor(lab, node):
    """Dummy's own monitor for node's instance, run in node's namespace:
    its exit code (0 running, 7 not running)."""
    env = {"PATH": "/usr/sbin:/usr/bin:/sbin:/bin", "OCF_ROOT": OCF_ROOT,
           "OCF_RESOURCE_INSTANCE": "web-dummy", "OCF_RESKEY_state": dummy_state(lab, node),
           "OCF_RESKEY_CRM_meta_interval": "0", "OCF_RESKEY_CRM_meta_timeout": "20000"}
    r = subprocess.run([lab.ip, "netns", "exec", lab.nodes[node].ns, DUMMY, "monitor"],
                       env=env, stdin=subprocess.DEVNULL, capture_output=True, timeout=20)
    return r.returncode


@pytest.fixture
def dlab():
    if not os.access(DUMMY, os.X_OK):
        pytest.skip("%s not found: install resource-agents (ocf:heartbeat:Dummy)" % DUMMY)
    lab = make_lab()
    try:
        lab.vip = lab.vip_addr()
        lab.vip_ip = lab.vip.split("/")[0]
        lab.write_config(dummy_config(lab, lab.vip, "n1"))  # for anything reading lab.conf
        for n in ALL3:
            os.makedirs(lab.nodes[n].state_dir, exist_ok=True)
            with open(lab.conf + "." + n, "w") as f:
                f.write(dummy_config(lab, lab.vip, n))
        for n in ALL3:
            start_node_own_conf(lab, n)
        yield lab
    finally:
        finish(lab)


def test_ocf_dummy_runs_fails_over_and_stops(dlab):
    """web = the VIP + ocf:heartbeat:Dummy: it runs on n1 (Dummy's state
    file there only, its monitor says running); n1 crashes → n2 answers
    within FAILOVER_BOUND + slack, Dummy runs on n2, never two MACs; n1
    reboots (its state file lost) and rejoins, web stays on n2; `vigilctl
    stop web` → Dummy's monitor says not running (7) on every node and no
    state file is left."""
    lab = dlab
    wait_online(lab, "n1")
    assert os.path.exists(dummy_state(lab, "n1"))
    assert dummy_monitor(lab, "n1") == 0
    for n in ("n2", "n3"):
        assert not os.path.exists(dummy_state(lab, n)), n
    names = [r["name"] for r in web(lab.status("n1"))["resources"]]
    assert names == ["vip", "dummy"], names

    mac1, mac2 = lab.mac("n1", "lan1"), lab.mac("n2", "lan1")
    probe = lab.probe_vip(lab.vip_ip, 30, wait=False)
    probe.wait_until(lambda tl: mac1 in tl.macs(), 3, "n1 answering")
    t0 = crash(lab, "n1")
    probe.wait_until(lambda tl: mac2 in tl.macs(), FAILOVER_BOUND + 3, "n2 answering")
    wait_online(lab, "n2", names=("n2", "n3"), timeout=5)
    took = probe.timeline().first_answer(mac2) - t0
    print("Dummy failover: n2 answered %.3f s after the crash" % took)
    assert took <= FAILOVER_BOUND, "n2 answered %.3f s after the crash (bound %.2f s)" % (
        took, FAILOVER_BOUND)
    assert os.path.exists(dummy_state(lab, "n2"))
    assert dummy_monitor(lab, "n2") == 0
    assert not os.path.exists(dummy_state(lab, "n3"))

    reboot_cleanup(lab, "n1", lab.vip, [dummy_state(lab, "n1")])
    for link, _ in lab.links:
        lab.link_up("n1", link)
    start_node_own_conf(lab, "n1")
    wait_online(lab, "n2", timeout=10)
    tl = probe.stop()
    tl.assert_single_holder()
    assert tl.sequence() == [{mac1}, {mac2}], tl.summary()

    argv = [lab.vigilctl, "--socket", lab.nodes["n3"].socket, "stop", "web", "--timeout", "15s"]
    r = vigil_lab._run(argv, timeout=30, check=False)
    assert r.returncode == 0, (r.stdout, r.stderr)
    for n in ALL3:
        lab.wait_for(lambda n=n: web(lab.status(n)).get("state") == "offline", 5,
                     "web offline on %s" % n)
    for n in ALL3:
        assert not os.path.exists(dummy_state(lab, n)), n
        assert dummy_monitor(lab, n) == 7, n
    assert lab.probe_vip(lab.vip_ip, 0.5).macs() == set()


# ------------------------------------------------------------ IPv6 VIP

@pytest.fixture
def v6lab():
    lab = make_lab(client="lan2")
    try:
        lab.vip = lab.vip_addr(link="lan2")
        lab.vip_ip = lab.vip.split("/")[0]
        assert ":" in lab.vip_ip, lab.vip
        lab.write_config(group_config(lab, lab.vip))
        lab.start_all()
        yield lab
    finally:
        finish(lab)


def test_ipv6_vip_answers_from_preferred_and_moves_on_crash(v6lab):
    """An IPv6 VIP (lan2): only n1's MAC answers the prober's neighbour
    solicitations, and the client (after a ping) has n1's MAC in its cache;
    n1 crashes → n2's MAC answers within FAILOVER_BOUND, never two MACs at
    once, n1's never after n2's, and the client's cache names n2's MAC
    within 1 s of that (the announcement, not a timeout)."""
    lab = v6lab
    wait_online(lab, "n1")
    mac1, mac2 = lab.mac("n1", "lan2"), lab.mac("n2", "lan2")
    probe = lab.probe_vip(lab.vip_ip, 20, wait=False)
    probe.wait_until(lambda tl: mac1 in tl.macs(), 3, "n1 answering")
    assert lab.client_ping(lab.vip_ip), "the client cannot reach %s on n1" % lab.vip_ip
    assert lab.client_neigh(lab.vip_ip)[0] == mac1
    t0 = crash(lab, "n1")
    probe.wait_until(lambda tl: mac2 in tl.macs(), FAILOVER_BOUND + 3, "n2 answering")
    # the client's own cache (no traffic from it meanwhile; the prober's
    # answers never reach it): moved by n2's unsolicited NA, within
    # 1 s of n2's first answer, not by a timeout (tens of seconds)
    lab.wait_for(lambda: (lab.client_neigh(lab.vip_ip) or (None,))[0] == mac2, 1.0,
                 "the client's neighbour cache to name n2's MAC")
    t_cache = time.monotonic()
    time.sleep(0.3)
    tl = probe.stop()
    tl.assert_single_holder()
    fo = tl.failover(mac1, mac2)
    took = fo["t_first_new"] - t0
    print("IPv6 failover: first answer from n2 %.3f s after the crash, gap %.3f s; the "
          "client's cache named n2 by %.3f s" % (took, fo["gap"], t_cache - t0))
    assert not fo["old_after_new"], tl.summary()
    assert tl.sequence() == [{mac1}, {mac2}], tl.summary()
    assert took <= FAILOVER_BOUND, "n2 answered %.3f s after the crash (bound %.2f s)\n%s" % (
        took, FAILOVER_BOUND, tl.summary())
    wait_online(lab, "n2", names=("n2", "n3"), timeout=3)
    assert os.path.exists(app_file(lab, "n2"))


# ------------------------------------------------------------ failback = yes

@pytest.fixture
def fblab():
    lab = make_lab()
    try:
        lab.vip = lab.vip_addr()
        lab.vip_ip = lab.vip.split("/")[0]
        text = group_config(lab, lab.vip)
        text = text.replace("migration-threshold = 2\n", "migration-threshold = 2\nfailback = yes\n")
        assert "failback = yes" in text
        lab.write_config(text)
        lab.start_all()
        yield lab
    finally:
        finish(lab)


def test_failback_yes_moves_back_to_preferred(fblab):
    """failback = yes: n1 crashes → web on n2; n1 reboots and comes back
    (links up, vigild started) → web moves back to n1 (its app started
    again there, stopped on n2), every node agreeing; the VIP answers from
    n1, then n2, then n1, never two MACs at once."""
    lab = fblab
    wait_online(lab, "n1")
    mac1, mac2 = lab.mac("n1", "lan1"), lab.mac("n2", "lan1")
    probe = lab.probe_vip(lab.vip_ip, 30, wait=False)
    probe.wait_until(lambda tl: mac1 in tl.macs(), 3, "n1 answering")
    crash(lab, "n1")
    probe.wait_until(lambda tl: mac2 in tl.macs(), FAILOVER_BOUND + 3, "n2 answering")
    wait_online(lab, "n2", names=("n2", "n3"), timeout=5)
    reboot_cleanup(lab, "n1", lab.vip, [app_file(lab, "n1")])
    t_back = time.monotonic()
    come_back(lab, "n1")
    wait_online(lab, "n1", timeout=10)
    took = time.monotonic() - t_back
    lab.wait_for(lambda: not os.path.exists(app_file(lab, "n2")), 3, "the app gone on n2")
    time.sleep(0.5)
    tl = probe.stop()
    tl.assert_single_holder()
    assert tl.sequence() == [{mac1}, {mac2}, {mac1}], tl.summary()
    print("failback: web online on n1 %.2f s after vigild started again there" % took)
    assert os.path.exists(app_file(lab, "n1"))
    assert not os.path.exists(app_file(lab, "n3"))
    g = web(lab.status("n3"))
    assert g["nodes"]["n2"]["state"] == "stopped", g
