"""The testbed of bench/compare: one lab of tests/system/vigil_lab.py (the
network namespaces, the switch, the client namespace and its prober) that
any of the compared systems runs on.

    with Testbed(3) as tb:                 # n1..n3, lan1 + lan2 (IPv4), a client on lan1
        tb.spawn("n1", ["keepalived", ...])   # a process of node n1 (its netns + mounts)
        t0 = tb.crash("n1")                   # every process of n1 killed, links down
        tb.reboot("n1")                       # links up, no VIP left, the node "machine" back

Each node is a "machine": an anchor process (`sleep`) started with `ip netns
exec` in the node's namespace, which thereby has a mount namespace of its own
(ip netns exec makes one, slave to the host's), and `unshare --uts` with
the node's name as host name (Heartbeat and Corosync name a node after
`uname -n`). In it the testbed mounts a
tmpfs on /run, /var/run is a link to it on Debian, and one on /dev/shm, and
bind-mounts a per-node directory over each path that a system names in
`private` (e.g. /var/lib/pacemaker, /etc/ha.d), so that daemons which insist
on fixed paths (Pacemaker, Corosync, Heartbeat) see one set per node. Every
process of the node runs through `nsenter -t ANCHOR -m -n -u`. Nothing is
mounted in the host's mount namespace: the mounts end with the anchor.

Every process is killed by PID (those the testbed started, then whatever is
left in the lab's namespaces, which the lab made), every namespace deleted by
name at close, also on failure; the lab's own cleanup reaps a testbed whose
owner died."""

import os
import signal
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(REPO, "tests", "system"))

import vigil_lab  # noqa: E402

SERVICE_PORT = 8080        # the TCP service every node runs (vip_probe.py serve)
LINKS = (("lan1", "ipv4"), ("lan2", "ipv4"))


def _tool(name):
    return vigil_lab._which(name) or name


class Testbed:
    """A lab without Vigil's daemons started, plus a "machine" per node."""

    def __init__(self, n_nodes=3, private=(), vigil_config=None):
        self.lab = vigil_lab.Lab(n_nodes, links=LINKS, start=False, client="lan1")
        try:
            self.vip = self.lab.vip_addr(0, "lan1")     # "192.0.2.220/24"
            self.vip_host = self.vip.split("/")[0]
            self.names = list(self.lab.nodes)
            self.anchors = {}                          # node -> Popen of its anchor
            self.procs = {n: [] for n in self.names}   # node -> [Popen] started by spawn()
            self.servers = {}                          # node -> Popen of its TCP service
            self.private = list(private)
            self.root = os.path.join(self.lab.tmp, "bench")
            for n in self.names:
                self._boot(n)
        except BaseException:
            self.close()
            raise

    # ------------------------------------------------------------ context

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        for problem in self.close():
            sys.stderr.write("testbed %s: %s\n" % (self.lab.prefix, problem))
        return False

    @property
    def tmp(self):
        return self.lab.tmp

    def node_dir(self, name):
        """The node's own directory: its configs, state, logs."""
        return os.path.join(self.root, name)

    def private_dir(self, name, path):
        """The directory bind-mounted over `path` in node `name`."""
        return os.path.join(self.node_dir(name), "fs", path.strip("/").replace("/", "_"))

    def addr(self, name, link):
        return self.lab.nodes[name].addr[link]

    def mac(self, name, link="lan1"):
        return self.lab.mac(name, link)

    # ------------------------------------------------------------ machines

    def _boot(self, name):
        """Start the node's anchor with its private mounts."""
        node = self.lab.nodes[name]
        d = self.node_dir(name)
        os.makedirs(os.path.join(d, "log"), exist_ok=True)
        script = ["set -e", "hostname %s" % name, "mount -t tmpfs -o mode=755 bench-run /run",
                  "mount -t tmpfs -o mode=1777 bench-shm /dev/shm"]
        for path in self.private:
            src = self.private_dir(name, path)
            os.makedirs(src, exist_ok=True)
            script.append("mkdir -p %s && mount --bind %s %s" % (path, src, path))
        script += ["echo ready", "exec sleep 86400"]
        err = os.path.join(d, "log", "anchor.err")
        with open(err, "ab") as e:
            p = subprocess.Popen([self.lab.ip, "netns", "exec", node.ns, _tool("unshare"), "--uts", "sh", "-c",
                                  "\n".join(script)],
                                 stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=e, close_fds=True)
        self.lab.helpers.append(p)
        self.lab._write_state()
        line = p.stdout.readline()
        if line.strip() != b"ready":
            raise vigil_lab.LabError("the machine of %s did not start: %s" % (name, vigil_lab._tail(err, 5)))
        self.anchors[name] = p

    def argv_in(self, name, argv):
        """argv run inside node `name` (its netns and its mounts)."""
        return [_tool("nsenter"), "-t", str(self.anchors[name].pid), "-m", "-n", "-u", "--"] + list(argv)

    def run(self, name, argv, timeout=30, check=True, env=None):
        """Run a command in node `name` and wait for it; CompletedProcess."""
        r = subprocess.run(self.argv_in(name, argv), stdin=subprocess.DEVNULL, capture_output=True,
                           timeout=timeout, env=env)
        if check and r.returncode != 0:
            raise vigil_lab.LabError("in %s: %s: exit %d: %s" % (
                name, " ".join(argv), r.returncode, (r.stderr or r.stdout).decode(errors="replace").strip()))
        return r

    def spawn(self, name, argv, log, env=None):
        """A long-running process of node `name`, output to `log`."""
        with open(log, "ab") as f:
            f.write(b"==== bench: start at mono %.6f: %s\n" % (time.monotonic(), " ".join(argv).encode()))
            f.flush()
            p = subprocess.Popen(self.argv_in(name, argv), stdin=subprocess.DEVNULL, stdout=f,
                                 stderr=subprocess.STDOUT, close_fds=True, env=env)
        self.procs[name].append(p)
        self.lab.helpers.append(p)
        self.lab._write_state()
        return p

    def start_service(self, name):
        """The TCP service of node `name` on every address, port SERVICE_PORT:
        it answers the node's name, so the client sees who serves the VIP."""
        self.servers[name] = self.lab.tcp_server(name, port=SERVICE_PORT, text=name, duration=3600)

    def pids(self, name):
        """PIDs of every process in the node's namespace but its anchor."""
        keep = {self.anchors[name].pid} if name in self.anchors else set()
        return [p for p in vigil_lab._ns_pids(self.lab.nodes[name].ns) if p not in keep and p != os.getpid()]

    def holders(self):
        """The nodes whose lan1 carries the VIP now."""
        out = []
        for n in self.names:
            r = subprocess.run([self.lab.ip, "-n", self.lab.nodes[n].ns, "-o", "addr", "show", "dev", "lan1"],
                               capture_output=True, timeout=10)
            if (" %s/" % self.vip_host) in r.stdout.decode():
                out.append(n)
        return out

    def crash(self, name):
        """The node dies at once: every process of it (HA stack and service;
        not the anchor, which stands for the machine) frozen with SIGSTOP,
        every link down in one batch, then SIGKILL. Freezing first makes the
        death simultaneous: killed one by one, a child would see its parent
        die first (keepalived's VRRP process gets SIGTERM then, through
        PR_SET_PDEATHSIG, and hands the VIP over cleanly: no crash at all).
        Returns time.monotonic() right before."""
        t0 = time.monotonic()
        stopped = set()
        for _ in range(20):    # until no new process appeared (a fork in flight)
            new = [p for p in self.pids(name) if p not in stopped]
            if not new:
                break
            for pid in new:
                vigil_lab._signal_pid(pid, signal.SIGSTOP)
            stopped.update(new)
        batch = "".join("link set %s down\n" % link for link, _ in LINKS)
        subprocess.run([self.lab.ip, "-n", self.lab.nodes[name].ns, "-batch", "-"], input=batch.encode(),
                       check=True, timeout=10)
        self.kill_all(name, crash=True)
        self._reap(name)
        return t0

    def _reap(self, name):
        for p in self.procs[name] + ([self.servers[name]] if name in self.servers else []):
            try:
                p.wait(timeout=5)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait(timeout=5)
            if p in self.lab.helpers:
                self.lab.helpers.remove(p)
        self.procs[name] = []
        self.servers.pop(name, None)

    def reboot(self, name):
        """The crashed node comes back as after a reboot: the VIP gone from it,
        links up, its TCP service started (the HA stack is the caller's)."""
        ns = self.lab.nodes[name].ns
        subprocess.run([self.lab.ip, "-n", ns, "addr", "del", self.vip, "dev", "lan1"],
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=10)
        for link, _ in LINKS:
            self.lab.link_up(name, link)
        self.start_service(name)

    # ------------------------------------------------------------ cleanup

    def kill_all(self, name, rounds=50, crash=False):
        """SIGKILL every process in node `name`'s namespace until none is
        left (a stack told to stop may fork helpers: Heartbeat gives its
        resources up in new processes, which a single pass would miss and
        which would outlive the namespace's name). For a crash the anchor
        stays; otherwise (at close) Vigil's daemon stays: the lab stops that
        one and checks how it exits."""
        node = self.lab.nodes[name]
        for _ in range(rounds):
            spare = self.anchors[name].pid if crash else node.pid
            pids = [p for p in vigil_lab._ns_pids(node.ns) if p != os.getpid() and p != spare]
            if not pids:
                return True
            for pid in pids:
                vigil_lab._signal_pid(pid, signal.SIGKILL)
            time.sleep(0.05)
        return False

    def close(self):
        """Everything the lab and the testbed started, by PID and by name."""
        problems = []
        for name in getattr(self, "anchors", {}):
            if not self.kill_all(name):
                problems.append("processes left in %s after SIGKILL" % self.lab.nodes[name].ns)
            for p in self.procs.get(name, []) + [self.anchors[name]]:
                try:
                    p.wait(timeout=5)
                except subprocess.TimeoutExpired:
                    problems.append("pid %d of %s did not end" % (p.pid, name))
        return self.lab.close() + problems


def wait_for(predicate, timeout, what, interval=0.1):
    """Poll predicate() until true (at most timeout s); its value, or
    TimeoutError naming `what`."""
    deadline = time.monotonic() + timeout
    for _ in range(int(timeout / interval) + 2):
        v = predicate()
        if v:
            return v
        if time.monotonic() >= deadline:
            break
        time.sleep(interval)
    raise TimeoutError("timed out after %.1fs waiting for %s" % (timeout, what))
