"""System tests of the floating-address primitives (src/resources/ip_*.c),
driven through the test tool vigil_iptool, in network namespaces of their own.

Topology (names "vgip" + random hex + a suffix, made and removed here):

    node1 (lan0, and svc0)      --+
    node2 (ens5)                 --+-- br0 in the switch namespace
    client (eth0)                --+

lan0/ens5/eth0: 192.0.2.0/25 and 2001:db8:5::/64; node1's svc0 holds
192.0.2.128/26 and 2001:db8:5:0:1::/80, so that the interface whose network
holds an address can be told apart. The two nodes name their interface
differently on purpose: one resource section serves both.

Needs root; skips with a message otherwise. Finds the tool in $VIGIL_IPTOOL,
else $VIGIL_BUILD/bin or $VIGIL_BUILD/tests (VIGIL_BUILD defaults to build).
Run: /usr/bin/python3 -m pytest -q tests/system/test_resources_ip.py
"""

import ipaddress
import json
import os
import secrets
import signal
import subprocess
import time

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
PYTHON = "/usr/bin/python3"

# vigil_iptool's exit codes (tests/tools/vigil_iptool.c)
DONE, ERROR, USAGE, ABSENT, LINK_DOWN, IN_USE = 0, 1, 2, 3, 4, 5

# How soon after the announcement the client must use the new holder: the
# announcement itself, not a neighbour-cache timeout (those take seconds).
ANNOUNCE_DEADLINE = 0.3

# ICMP / ICMPv6 echo with a raw socket, run inside a namespace
HELPER = os.path.join(HERE, "netns_helper.py")


def find_tool():
    if os.environ.get("VIGIL_IPTOOL"):
        return os.environ["VIGIL_IPTOOL"]
    build = os.path.join(ROOT, os.environ.get("VIGIL_BUILD", "build"))
    for sub in ("bin", "tests"):
        path = os.path.join(build, sub, "vigil_iptool")
        if os.access(path, os.X_OK):
            return path
    return None


def sh(*args, timeout=10, check=True):
    """Run a command; raise with its output when check and it fails."""
    p = subprocess.run(args, capture_output=True, text=True, timeout=timeout)
    if check and p.returncode != 0:
        raise AssertionError("%s: exit %d\n%s%s" % (" ".join(args), p.returncode, p.stdout,
                                                     p.stderr))
    return p


class IpLab:
    """Three namespaces on one bridge, plus the switch; close() removes all."""

    def __init__(self, tool):
        self.tool = tool
        self.prefix = "vgip" + secrets.token_hex(3)
        self.ns = {k: "%s-%s" % (self.prefix, k) for k in ("sw", "node1", "node2", "client")}
        self.ifname = {"node1": "lan0", "node2": "ens5", "client": "eth0"}
        self.made = []
        try:
            self._build()
        except Exception:
            self.close()
            raise

    def _add_ns(self, name):
        sh("ip", "netns", "add", name)
        self.made.append(name)
        sh("ip", "-n", name, "link", "set", "lo", "up")
        # no DAD on the lab's own addresses: the tests must not wait for it
        for key in ("net.ipv6.conf.default.accept_dad", "net.ipv6.conf.all.accept_dad"):
            sh("ip", "netns", "exec", name, "sysctl", "-qw", key + "=0")

    def _build(self):
        sw = self.ns["sw"]
        for name in self.ns.values():
            self._add_ns(name)
        # no MLD snooping: solicited-node multicast reaches every port
        sh("ip", "-n", sw, "link", "add", "br0", "type", "bridge", "mcast_snooping", "0")
        sh("ip", "-n", sw, "link", "set", "br0", "up")
        for i, role in enumerate(("node1", "node2", "client"), start=1):
            port, dev, ns = "p%d" % i, self.ifname[role], self.ns[role]
            sh("ip", "-n", sw, "link", "add", port, "type", "veth", "peer", "name", dev,
               "netns", ns)
            sh("ip", "-n", sw, "link", "set", port, "master", "br0", "up")
            sh("ip", "-n", ns, "link", "set", dev, "up")
            sh("ip", "-n", ns, "addr", "add", "192.0.2.%d/25" % i, "dev", dev)
            sh("ip", "-n", ns, "addr", "add", "2001:db8:5::%d/64" % i, "dev", dev, "nodad")
        n1 = self.ns["node1"]
        # a second network on node1 (a veth pair: this kernel may lack dummy)
        sh("ip", "-n", n1, "link", "add", "svc0", "type", "veth", "peer", "name", "svc0p")
        sh("ip", "-n", n1, "link", "set", "svc0p", "up")
        sh("ip", "-n", n1, "link", "set", "svc0", "up")
        sh("ip", "-n", n1, "addr", "add", "192.0.2.129/26", "dev", "svc0")
        sh("ip", "-n", n1, "addr", "add", "2001:db8:5:0:1::1/80", "dev", "svc0", "nodad")

    def close(self):
        """Kill what still runs in our namespaces (by pid), then remove them."""
        problems = []
        for name in reversed(self.made):
            p = sh("ip", "netns", "pids", name, check=False)
            for pid in p.stdout.split():
                try:
                    os.kill(int(pid), signal.SIGKILL)
                    problems.append("killed pid %s left in %s" % (pid, name))
                except ProcessLookupError:
                    pass
            p = sh("ip", "netns", "del", name, check=False)
            if p.returncode != 0:
                problems.append("ip netns del %s: %s" % (name, p.stderr.strip()))
        self.made = []
        return problems

    def iptool(self, role, *args, timeout=10):
        return sh("ip", "netns", "exec", self.ns[role], self.tool, *args, timeout=timeout,
                  check=False)

    def mac(self, role, dev=None):
        p = sh("ip", "-n", self.ns[role], "-j", "link", "show", "dev", dev or self.ifname[role])
        return json.loads(p.stdout)[0]["address"]

    def neigh(self, role, addr):
        """The MAC `role` has cached for addr, or None."""
        p = sh("ip", "-n", self.ns[role], "-j", "neigh", "show", "to", addr, "dev",
               self.ifname[role])
        for e in json.loads(p.stdout or "[]"):
            if e.get("lladdr"):
                return e["lladdr"]
        return None

    def ping(self, role, addr, count=3, timeout=1.0):
        """True when addr answers an echo from `role` (netns_helper.py ping)."""
        p = sh("ip", "netns", "exec", self.ns[role], PYTHON, HELPER, "ping", "--dst", addr,
               "--count", str(count), "--timeout", str(timeout), timeout=count * timeout + 10,
               check=False)
        return p.returncode == 0

    def holders(self, role, addr):
        """The interfaces of `role` that hold addr."""
        host = str(ipaddress.ip_interface(addr).ip)
        p = sh("ip", "-n", self.ns[role], "-j", "addr", "show")
        return [link["ifname"] for link in json.loads(p.stdout)
                for a in link.get("addr_info", []) if a.get("local") == host]


@pytest.fixture(scope="module")
def iplab():
    if os.geteuid() != 0:
        pytest.skip("needs root: it makes network namespaces and moves addresses")
    tool = find_tool()
    if not tool:
        pytest.skip("vigil_iptool not built: set VIGIL_IPTOOL or build it into "
                    "$VIGIL_BUILD/bin (see tests/tools/vigil_iptool.c)")
    lab = IpLab(tool)
    yield lab
    problems = lab.close()
    if problems:
        pytest.fail("problems while cleaning up:\n" + "\n".join(problems), pytrace=False)


@pytest.fixture
def vip(iplab):
    """Addresses a test adds; removed from every node after it, pass or fail."""
    added = []
    yield added
    for addr in added:
        for role in ("node1", "node2"):
            iplab.iptool(role, "del", addr)


def host_of(addr):
    return str(ipaddress.ip_interface(addr).ip)


FAMILIES = [pytest.param("192.0.2.100/25", id="ipv4"),
            pytest.param("2001:db8:5::100/64", id="ipv6")]


@pytest.mark.parametrize("addr", FAMILIES)
def test_move_with_announcement(iplab, vip, addr):
    """The client reaches the address on node1; after it moves to node2 and
    node2 announces, the client's neighbour cache points to node2 at once."""
    host = host_of(addr)
    mac1, mac2 = iplab.mac("node1"), iplab.mac("node2")
    vip.append(addr)

    p = iplab.iptool("node1", "add", addr)
    assert p.returncode == DONE, p.stderr
    assert iplab.holders("node1", addr) == ["lan0"]
    assert iplab.ping("client", host), "client cannot reach %s on node1" % host
    assert iplab.neigh("client", host) == mac1

    p = iplab.iptool("node1", "del", addr)
    assert p.returncode == DONE, p.stderr
    assert iplab.iptool("node1", "check", addr).returncode == ABSENT
    p = iplab.iptool("node2", "add", addr)
    assert p.returncode == DONE, p.stderr
    assert iplab.holders("node2", addr) == ["ens5"]
    # adding alone tells the client nothing: the announcement must do it
    assert iplab.neigh("client", host) == mac1

    p = iplab.iptool("node2", "announce", addr, "--count", "1")
    sent = time.monotonic()
    assert p.returncode == DONE, p.stderr
    assert "1 rounds" in p.stdout
    seen = None
    while time.monotonic() - sent < ANNOUNCE_DEADLINE:
        seen = iplab.neigh("client", host)
        if seen == mac2:
            break
        time.sleep(0.01)
    assert seen == mac2, "client still has %s for %s %.0f ms after the announcement" % (
        seen, host, (time.monotonic() - sent) * 1000)
    assert iplab.ping("client", host), "client cannot reach %s on node2" % host
    assert iplab.neigh("client", host) == mac2


@pytest.mark.parametrize("addr", FAMILIES)
def test_probe(iplab, vip, addr):
    """A probe from node2 finds the address in use while node1 holds it, and
    free once nobody does."""
    vip.append(addr)
    assert iplab.iptool("node1", "add", addr).returncode == DONE

    p = iplab.iptool("node2", "probe", addr)
    assert p.returncode == IN_USE, p.stdout + p.stderr
    assert iplab.mac("node1") in p.stdout

    assert iplab.iptool("node1", "del", addr).returncode == DONE
    t0 = time.monotonic()
    p = iplab.iptool("node2", "probe", addr, "--timeout", "300")
    assert p.returncode == DONE, p.stdout + p.stderr
    assert p.stdout.startswith("free")
    assert time.monotonic() - t0 < 3


@pytest.mark.parametrize("addr", FAMILIES)
def test_check_present_absent(iplab, vip, addr):
    vip.append(addr)
    p = iplab.iptool("node1", "check", addr)
    assert p.returncode == ABSENT and p.stdout.startswith("absent"), p.stdout + p.stderr
    assert iplab.iptool("node1", "add", addr).returncode == DONE
    # a second start is harmless
    assert iplab.iptool("node1", "add", addr).returncode == DONE
    p = iplab.iptool("node1", "check", addr)
    assert p.returncode == DONE and p.stdout.split() == ["present", addr, "lan0"], p.stdout
    assert iplab.iptool("node2", "check", addr).returncode == ABSENT
    assert iplab.iptool("node1", "del", addr).returncode == DONE
    # and so is a second stop
    assert iplab.iptool("node1", "del", addr).returncode == DONE
    assert iplab.iptool("node1", "check", addr).returncode == ABSENT


def test_check_link_down(iplab, vip):
    """The monitor fails when the address is there but its link has no
    carrier (svc0's veth peer is down), and recovers with it."""
    addr = "192.0.2.150/26"
    vip.append(addr)
    assert iplab.iptool("node1", "add", addr).returncode == DONE
    assert iplab.holders("node1", addr) == ["svc0"]
    n1 = iplab.ns["node1"]
    try:
        sh("ip", "-n", n1, "link", "set", "svc0p", "down")
        p = iplab.iptool("node1", "check", addr)
        assert p.returncode == LINK_DOWN, p.stdout + p.stderr
        assert "svc0 is down" in p.stderr
    finally:
        sh("ip", "-n", n1, "link", "set", "svc0p", "up")
    assert iplab.iptool("node1", "check", addr).returncode == DONE


@pytest.mark.parametrize("addr,node1_if", [
    ("192.0.2.110/25", "lan0"),
    ("192.0.2.190/26", "svc0"),
    ("2001:db8:5::110/64", "lan0"),
    ("2001:db8:5:0:1::110/64", "svc0"),  # held by both networks: the /80 is longer
])
def test_interface_auto_detection(iplab, vip, addr, node1_if):
    """Without `interface`, each node picks the interface whose network holds
    the address; an explicit interface wins."""
    vip.append(addr)
    p = iplab.iptool("node1", "add", addr)
    assert p.returncode == DONE, p.stderr
    assert iplab.holders("node1", addr) == [node1_if]
    p = iplab.iptool("node1", "check", addr)
    assert p.returncode == DONE and p.stdout.split()[-1] == node1_if
    assert iplab.iptool("node1", "del", addr).returncode == DONE
    assert iplab.holders("node1", addr) == []

    if node1_if == "lan0":  # node2 has only the LAN: the same address goes to its ens5
        assert iplab.iptool("node2", "add", addr).returncode == DONE
        assert iplab.holders("node2", addr) == ["ens5"]
        assert iplab.iptool("node2", "del", addr).returncode == DONE

    other = "svc0" if node1_if == "lan0" else "lan0"
    p = iplab.iptool("node1", "add", addr, "--interface", other)
    assert p.returncode == DONE, p.stderr
    assert iplab.holders("node1", addr) == [other]
    assert iplab.iptool("node1", "del", addr, "--interface", other).returncode == DONE


def test_interface_errors(iplab):
    """No network holds it, no such interface, a bad address: clear errors."""
    p = iplab.iptool("node2", "add", "192.0.2.190/26")
    assert p.returncode == ERROR
    assert "no interface has an IPv4 network that holds it" in p.stderr
    assert "set 'interface'" in p.stderr
    p = iplab.iptool("node1", "add", "192.0.2.111/25", "--interface", "nosuch0")
    assert p.returncode == ERROR and "nosuch0 does not exist" in p.stderr
    p = iplab.iptool("node1", "add", "192.0.2.111")
    assert p.returncode == USAGE and "no prefix length" in p.stderr
    p = iplab.iptool("node1", "frobnicate", "192.0.2.111/25")
    assert p.returncode == USAGE
    assert iplab.holders("node1", "192.0.2.111/25") == []
