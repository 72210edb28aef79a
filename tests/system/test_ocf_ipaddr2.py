"""The floating address as an OCF resource: ocf:heartbeat:IPaddr2 from
Debian's resource-agents (issue 5, docs/agents.md), on the lab of
test_groups.py (3 nodes, interval 100ms, timeout 500ms, fencing = none, a
client namespace on lan1 recording every 10 ms which MAC answers for the
address).

- web = one IPaddr2 resource (ip, cidr_netmask, nic = lan1, its gratuitous
  ARPs sent in the foreground, 3 of them 50 ms apart): it runs on n1 and only
  n1's MAC answers; n1 crashes (vigild killed, links down) → n2's MAC
  answers, never two at once, and the client's own ARP cache names n2's MAC
  within 1 s (IPaddr2's gratuitous ARP, not a cache timeout); `vigilctl stop
  web` removes the address (no answer, no node holds it).
- its meta-data is read at start and by `vigilctl config check`: IPaddr2
  without `ip` (which it requires) and an agent that is not installed are
  configuration errors naming the file and line, the resource, the agent,
  the parameter or the path; vigild refuses to start on such a file.

IPaddr2 keeps a few files under /run/resource-agents (its send_arp pid file
is named after the address), shared by the lab's nodes, which are one
machine: arp_bg = false keeps send_arp in the foreground, so no node's stop
kills another node's announcer.

Run: /usr/bin/python3 -m pytest -q -rs tests/system/test_ocf_ipaddr2.py
"""

import os
import subprocess
import time

import pytest

import vigil_lab
from test_groups import ALL3, FAILOVER_BOUND, crash, wait_online, web
from test_groups_more import finish, make_lab

vigil_lab.skip_unless_ready()

IPADDR2 = "/usr/lib/ocf/resource.d/heartbeat/IPaddr2"
# IPaddr2's start is a shell script (findif, ip, send_arp in the foreground:
# about 0.1 s more than the built-in ip resource, up to a second on a busy
# machine with sanitizers); the bound stays well below any timeout.
IPADDR2_BOUND = FAILOVER_BOUND + 1.5


def ipaddr2_config(lab, vip, ip_line=True):
    ip, plen = vip.split("/")
    text = lab.config_text().replace("[cluster]\n", "[cluster]\nfencing = none\n", 1)
    return text + """
[group "web"]
nodes = n1, n2, n3
monitor-interval = 1s

[resource "web/vip"]
type = ocf
agent = ocf:heartbeat:IPaddr2
%(ip)scidr_netmask = %(plen)s
nic = lan1
arp_bg = false
arp_count = 3
arp_interval = 50
""" % {"ip": "ip = %s\n" % ip if ip_line else "", "plen": plen}


def holds(lab, node, ip):
    out = lab.exec_in(node, ["ip", "-o", "addr", "show", "dev", "lan1"]).stdout.decode()
    return (" %s/" % ip) in out


@pytest.fixture
def ilab():
    if not os.access(IPADDR2, os.X_OK):
        pytest.skip("%s not found: install resource-agents (ocf:heartbeat:IPaddr2)" % IPADDR2)
    lab = make_lab()
    try:
        lab.vip = lab.vip_addr()
        lab.vip_ip = lab.vip.split("/")[0]
        lab.write_config(ipaddr2_config(lab, lab.vip))
        lab.start_all()
        yield lab
    finally:
        finish(lab)


def test_ipaddr2_runs_fails_over_and_stops(ilab):
    lab = ilab
    wait_online(lab, "n1", timeout=15)
    mac1, mac2 = lab.mac("n1", "lan1"), lab.mac("n2", "lan1")
    assert holds(lab, "n1", lab.vip_ip)
    assert not holds(lab, "n2", lab.vip_ip) and not holds(lab, "n3", lab.vip_ip)
    r = web(lab.status("n1"))["resources"][0]
    assert (r["name"], r["type"], r["state"]) == ("vip", "ocf", "running"), r

    probe = lab.probe_vip(lab.vip_ip, 30, wait=False)
    probe.wait_until(lambda tl: mac1 in tl.macs(), 3, "n1 answering")
    assert lab.client_ping(lab.vip_ip), "the client cannot reach %s on n1" % lab.vip_ip
    assert lab.client_neigh(lab.vip_ip)[0] == mac1
    t0 = crash(lab, "n1")
    probe.wait_until(lambda tl: mac2 in tl.macs(), IPADDR2_BOUND + 3, "n2 answering")
    # the client's own cache, moved by IPaddr2's gratuitous ARP (the
    # prober's answers never reach the client's kernel)
    lab.wait_for(lambda: (lab.client_neigh(lab.vip_ip) or (None,))[0] == mac2, 1.0,
                 "the client's ARP cache to name n2's MAC")
    t_cache = time.monotonic()
    wait_online(lab, "n2", names=("n2", "n3"), timeout=5)
    time.sleep(0.3)
    tl = probe.stop()
    tl.assert_single_holder()
    fo = tl.failover(mac1, mac2)
    took = fo["t_first_new"] - t0
    print("IPaddr2 failover: n2 answered %.3f s after the crash (gap %.3f s); the client's "
          "cache named n2 by %.3f s" % (took, fo["gap"], t_cache - t0))
    assert not fo["old_after_new"], tl.summary()
    assert tl.sequence() == [{mac1}, {mac2}], tl.summary()
    assert took <= IPADDR2_BOUND, "n2 answered %.3f s after the crash (bound %.2f s)\n%s" % (
        took, IPADDR2_BOUND, tl.summary())
    assert holds(lab, "n2", lab.vip_ip) and not holds(lab, "n3", lab.vip_ip)

    argv = [lab.vigilctl, "--socket", lab.nodes["n2"].socket, "stop", "web", "--timeout", "15s"]
    r = vigil_lab._run(argv, timeout=30, check=False)
    assert r.returncode == 0, (r.stdout, r.stderr)
    for n in ("n2", "n3"):
        lab.wait_for(lambda n=n: web(lab.status(n)).get("state") == "offline", 5,
                     "web offline on %s" % n)
        assert not holds(lab, n, lab.vip_ip), n
    st = web(lab.status("n2"))["resources"][0]
    assert st["state"] == "stopped", st
    assert lab.probe_vip(lab.vip_ip, 0.5).macs() == set()


def run_check(path):
    return subprocess.run([vigil_lab.binary("vigilctl"), "config", "check", str(path)],
                          capture_output=True, timeout=30)


def test_config_check_reads_the_meta_data(tmp_path):
    """IPaddr2 without `ip`, and an agent that is not installed: `vigilctl
    config check` and vigild both say what is wrong and where; with `ip`
    the file is valid."""
    if not os.access(IPADDR2, os.X_OK):
        pytest.skip("%s not found: install resource-agents (ocf:heartbeat:IPaddr2)" % IPADDR2)
    head = ("[cluster]\nname = x\n"
            '[node "a"]\nid = 1\nlan1 = 192.0.2.1\n'
            '[link "lan1"]\ntype = udp\npriority = 1\n'
            '[group "web"]\nnodes = a\n')
    good = head + ('[resource "web/vip"]\ntype = ocf\nagent = ocf:heartbeat:IPaddr2\n'
                   "ip = 192.0.2.50\ncidr_netmask = 24\n")
    conf = tmp_path / "vigil.conf"
    conf.write_text(good)
    r = run_check(conf)
    assert r.returncode == 0, r.stderr.decode()
    assert "vigil.conf is valid" in " ".join(r.stdout.decode().split())

    conf.write_text(good.replace("ip = 192.0.2.50\n", "")
                    + '[resource "web/nope"]\ntype = ocf\nagent = ocf:heartbeat:NoSuchAgent\n')
    r = run_check(conf)
    err = r.stderr.decode()
    assert r.returncode == 1, err
    assert ('%s:11: [resource "web/vip"]: ocf:heartbeat:IPaddr2 requires parameter \'ip\' ('
            % conf) in err, err
    assert "which is not set: add it" in err, err
    assert ('%s:15: [resource "web/nope"] agent: ocf:heartbeat:NoSuchAgent is not installed on '
            "this node: /usr/lib/ocf/resource.d/heartbeat/NoSuchAgent does not exist" % conf) \
        in err, err
    assert "%s: 2 error(s)" % conf in err, err

    r = subprocess.run([vigil_lab.binary("vigild"), "-c", str(conf), "--node", "a",
                        "--socket", str(tmp_path / "s"), "--state-dir", str(tmp_path / "st"),
                        "--foreground"], capture_output=True, timeout=30)
    err = r.stderr.decode()
    assert r.returncode == 1, err
    assert "requires parameter 'ip'" in err and "NoSuchAgent does not exist" in err, err
    assert "vigilctl config check %s" % conf in err, err
