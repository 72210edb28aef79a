"""System test of the ICMP echo prober (src/links/ping.c), driven through the
test tool vigil_pingtool, in two network namespaces of its own.

Topology (names "vgping" + random hex + a suffix, made and removed here):

    prober (eth0) 192.0.2.1/24, 2001:db8:9::1/64
        | veth
    target (eth0) 192.0.2.2/24, 2001:db8:9::2/64

The prober pings the target over IPv4 and IPv6: reachable; an nftables rule
on the target drops ICMP: unreachable within timeout + interval; the rule
removed: reachable again.

Needs root; skips with a message otherwise. Finds the tool in
$VIGIL_PINGTOOL, else $VIGIL_BUILD/bin or $VIGIL_BUILD/tests (VIGIL_BUILD
defaults to build). Run: /usr/bin/python3 -m pytest -q tests/system/test_ping.py
"""

import os
import secrets
import select
import shutil
import signal
import subprocess
import time

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))

INTERVAL_MS = 200
TIMEOUT_MS = 600
# how long a change of reachability may take to show: timeout + interval,
# plus one report interval and some slack for a loaded machine
DEADLINE = (TIMEOUT_MS + 2 * INTERVAL_MS) / 1000 + 1.0


def nft_drop(protos):
    """A table that drops the echo requests of the given protocols ("icmp",
    "icmpv6") on input."""
    rules = "".join("  %s type echo-request counter drop\n" % p for p in protos)
    return ("table inet vgping {\n chain input {\n"
            "  type filter hook input priority -10; policy accept;\n%s }\n}\n" % rules)


def find_tool():
    if os.environ.get("VIGIL_PINGTOOL"):
        return os.environ["VIGIL_PINGTOOL"]
    build = os.path.join(ROOT, os.environ.get("VIGIL_BUILD", "build"))
    for sub in ("bin", "tests"):
        path = os.path.join(build, sub, "vigil_pingtool")
        if os.access(path, os.X_OK):
            return path
    return None


def sh(*args, timeout=10, check=True, input=None):
    """Run a command; raise with its output when check and it fails."""
    p = subprocess.run(args, capture_output=True, text=True, timeout=timeout, input=input)
    if check and p.returncode != 0:
        raise AssertionError("%s: exit %d\n%s%s" % (" ".join(args), p.returncode, p.stdout,
                                                     p.stderr))
    return p


class PingLab:
    """Two namespaces joined by a veth pair; close() removes both and kills
    what still runs in them (by pid)."""

    def __init__(self):
        self.prefix = "vgping" + secrets.token_hex(3)
        self.ns = {k: "%s-%s" % (self.prefix, k) for k in ("prober", "target")}
        self.made = []
        self.procs = []
        try:
            self._build()
        except Exception:
            self.close()
            raise

    def _build(self):
        for name in self.ns.values():
            sh("ip", "netns", "add", name)
            self.made.append(name)
            sh("ip", "-n", name, "link", "set", "lo", "up")
        prober, target = self.ns["prober"], self.ns["target"]
        sh("ip", "-n", prober, "link", "add", "eth0", "type", "veth", "peer", "name", "eth0",
           "netns", target)
        for i, ns in ((1, prober), (2, target)):
            sh("ip", "-n", ns, "link", "set", "eth0", "up")
            sh("ip", "-n", ns, "addr", "add", "192.0.2.%d/24" % i, "dev", "eth0")
            sh("ip", "-n", ns, "addr", "add", "2001:db8:9::%d/64" % i, "dev", "eth0", "nodad")

    def start_tool(self, tool, *targets):
        p = subprocess.Popen(["ip", "netns", "exec", self.ns["prober"], tool, *targets,
                              "--interval", str(INTERVAL_MS), "--timeout", str(TIMEOUT_MS),
                              "--seconds", "60"],
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        self.procs.append(p)
        return p

    def drop_icmp(self, on, protos=("icmp", "icmpv6")):
        if on:
            sh("ip", "netns", "exec", self.ns["target"], "nft", "-f", "-", input=nft_drop(protos))
        else:
            sh("ip", "netns", "exec", self.ns["target"], "nft", "delete", "table", "inet",
               "vgping")

    def close(self):
        problems = []
        for p in self.procs:
            if p.poll() is None:
                p.kill()
            try:
                p.wait(timeout=5)
            except subprocess.TimeoutExpired:
                problems.append("pid %d did not exit" % p.pid)
        for name in reversed(self.made):
            r = sh("ip", "netns", "pids", name, check=False)
            for pid in r.stdout.split():
                try:
                    os.kill(int(pid), signal.SIGKILL)
                    problems.append("killed pid %s left in %s" % (pid, name))
                except ProcessLookupError:
                    pass
            r = sh("ip", "netns", "del", name, check=False)
            if r.returncode != 0:
                problems.append("ip netns del %s: %s" % (name, r.stderr.strip()))
        self.made = []
        return problems


def wait_for(proc, word, deadline):
    """Read the tool's report lines until one starts with `word` (then the
    time it took) or `deadline` seconds have passed (then fail with the lines
    seen)."""
    start = time.monotonic()
    seen = []
    while time.monotonic() - start < deadline:
        ready, _, _ = select.select([proc.stdout], [], [], 0.1)
        if not ready:
            continue
        line = proc.stdout.readline()
        if not line:
            pytest.fail("vigil_pingtool exited (%s): %s\n%s" % (
                proc.wait(), proc.stderr.read(), "".join(seen)), pytrace=False)
        seen.append(line)
        if line.split()[0] == word:
            return time.monotonic() - start
    pytest.fail("no %r within %.1fs; reports:\n%s" % (word, deadline, "".join(seen)),
                pytrace=False)


@pytest.fixture
def lab():
    if os.geteuid() != 0:
        pytest.skip("the ping system test needs root (network namespaces, raw sockets); "
                    "run it as root, e.g. sudo make check-system")
    for tool in ("ip", "nft"):
        if not shutil.which(tool):
            pytest.skip("the ping system test needs `%s`" % tool)
    lab = PingLab()
    yield lab
    problems = lab.close()
    if problems:
        pytest.fail("problems found while cleaning up:\n" + "\n".join(problems), pytrace=False)


@pytest.fixture
def tool():
    path = find_tool()
    if not path:
        pytest.skip("vigil_pingtool not built (make build/tests/vigil_pingtool)")
    return path


@pytest.mark.parametrize("target", ["192.0.2.2", "2001:db8:9::2"])
def test_reachable_then_dropped_then_back(lab, tool, target):
    proc = lab.start_tool(tool, target)
    wait_for(proc, "reachable", DEADLINE)
    lab.drop_icmp(True)
    wait_for(proc, "unreachable", DEADLINE)
    lab.drop_icmp(False)
    wait_for(proc, "reachable", DEADLINE)


def test_one_of_two_targets_is_enough(lab, tool):
    """IPv4 dropped by the target's firewall, IPv6 still answered: reachable.
    Then an address nobody holds plus the dropped one: unreachable."""
    lab.drop_icmp(True, ("icmp",))
    proc = lab.start_tool(tool, "192.0.2.2", "2001:db8:9::2")
    wait_for(proc, "reachable", DEADLINE)
    proc.kill()
    proc.wait()
    proc = lab.start_tool(tool, "192.0.2.2", "192.0.2.99")
    # the first reports come before any reply could: unreachable throughout
    wait_for(proc, "unreachable", DEADLINE)
    end = time.monotonic() + DEADLINE
    while time.monotonic() < end:
        ready, _, _ = select.select([proc.stdout], [], [], 0.1)
        if ready:
            line = proc.stdout.readline()
            assert line.split()[0] == "unreachable", line
