"""A Vigil cluster in Linux network namespaces, for system tests, demos and
benchmarks (docs/testing.md).

    with Lab(3) as lab:                       # 3 nodes, lan1 IPv4 + lan2 IPv6
        lab.wait_converged()
        t0 = lab.kill9("n1")
        lab.wait_for(lambda: lab.sees("n2", "n1", "dead"), 2.0, "n2 sees n1 dead")

Layout of one lab (PREFIX is "vg" + 6 random hex digits, unique per lab):

    PREFIX-sw     the "switch": one Linux bridge per link network (br0, br1, ...)
    PREFIX-n1 ... one namespace per node; one veth per link, named after the
                  link ("lan1" inside the node), whose peer "n<id>l<k>" is a
                  port of bridge br<k> in the switch namespace.

IPv4 links: 192.0.2.<id>/24 (a second IPv4 link gets 198.51.100.<id>/24, a
third 203.0.113.<id>/24); IPv6 links: 2001:db8:<k+1>::<id>/64 for the link at
index k, added with `nodad` in a namespace with DAD off.

Optional parts (docs/testing.md, "Disk and witness links"):

    Lab(disk=True)       a shared 1 MiB file on a bindfs (FUSE) mount, so that a
                         test can make its I/O hang for real (disk_hang/disk_thaw:
                         SIGSTOP/SIGCONT of bindfs); a [link "shared"] of type disk.
    Lab(witness=True)    a witness network 198.18.0.0/24 ("wan" in each node,
                         bridge brw in the switch), vigil-witness in PREFIX-w at
                         198.18.0.250; a [link "arbiter"] of type witness.
                         witness="https": a self-signed certificate and ca-file.
    Lab(..., proxy=True) Squid in PREFIX-p at 198.18.0.251; the link's proxy.
    Lab(client=True)     a client namespace PREFIX-c on the bridge of a link (the
                         "service network"; True: the first link, or a link
                         name, or a list of them), with an address of its own on
                         each (.240 / ::f0); lab.probe_vip(vip, duration) runs
                         vip_probe.py in it and returns the parsed timeline
                         (vip_timeline.py): which MAC answers for a floating
                         address every 10 ms, and the client's neighbour cache.

The lab touches nothing outside the namespaces and the temporary directory it
made: no host interface, address or firewall rule. Everything it made is
removed by name and pid when it closes (context manager, explicit close(),
the pytest fixture in conftest.py, and atexit as a last resort); a lab whose
owner died without closing is reaped by `python3 vigil_lab.py --cleanup-stale`
(and automatically by the next lab).
"""

import atexit
import json
import os
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
HELPER = os.path.join(HERE, "netns_helper.py")
VIP_PROBE = os.path.join(HERE, "vip_probe.py")
SYS_PYTHON = "/usr/bin/python3"
RUN_DIR = os.environ.get("VIGIL_LAB_RUN", "/run/vigil-lab")
NFT_TABLE = "vigil_lab"
IPV4_NETS = ["192.0.2", "198.51.100", "203.0.113"]
# the witness network: 198.18.0.0/15 is the benchmarking range (RFC 2544)
WAN_NET = "198.18.0"
WAN_IF = "wan"
WITNESS_HOST = 250
PROXY_HOST = 251
WITNESS_PORT = 9872
PROXY_PORT = 3128
# the client namespace on a service network (Lab(client=...)): hosts above the
# node ids (1..200) of that link's network
CLIENT_HOST = 240            # the client's own address: .240 / ::f0
CLIENT_PROBE_HOST = 241      # the prober's source (nobody holds it): .241 / ::f1
VIP_HOST_BASE = 220          # lab.vip_addr(i): .220+i / ::dc+i, i in 0..19
VIP_HOSTS = 20
DISK_SIZE = 1 << 20          # the shared disk file: 1 MiB
DISK_ALIGN = 4096            # bindfs --forward-odirect alignment


class LabError(Exception):
    """The lab itself could not do something (a command failed)."""


class LabTimeout(AssertionError):
    """wait_for() ran out of time; the message carries the node logs."""


class StatusError(LabError):
    """vigilctl status failed or answered an error object."""


# ---------------------------------------------------------------- discovery

def build_dir():
    b = os.environ.get("VIGIL_BUILD", "build")
    return b if os.path.isabs(b) else os.path.join(REPO, b)


def binary(name):
    return os.path.join(build_dir(), "bin", name)


def missing_requirements(daemon=True, disk=False, witness=False, proxy=False):
    """None when a lab can run here, else a sentence saying what is missing.
    daemon=False: only the network part (no vigild/vigilctl needed).
    disk/witness/proxy: also what Lab(disk=..., witness=..., proxy=...) needs
    (witness="https" also needs openssl)."""
    if os.geteuid() != 0:
        return ("Vigil system tests need root (network namespaces, veth, bridges, "
                "nftables); run them as root, e.g. sudo make check-system")
    for tool in ("ip", "nft"):
        if shutil.which(tool) is None and not os.path.exists("/usr/sbin/" + tool):
            return "Vigil system tests need `%s` (iproute2 / nftables)" % tool
    for b in (("vigild", "vigilctl") if daemon else ()):
        p = binary(b)
        if not os.access(p, os.X_OK):
            return ("%s not found or not executable; build it first with `make` "
                    "(VIGIL_BUILD=%s)" % (p, os.environ.get("VIGIL_BUILD", "build")))
    if disk:
        if _which("bindfs") is None:
            return ("the shared-disk lab needs bindfs (FUSE) to make disk I/O hang for real: "
                    "install the Debian packages bindfs and fuse3 (scripts/install-deps does)")
        if not os.path.exists("/dev/fuse"):
            return "the shared-disk lab needs /dev/fuse (modprobe fuse)"
    if witness:
        p = binary("vigil-witness")
        if not os.access(p, os.X_OK):
            return ("%s not found or not executable; build it first with `make` "
                    "(VIGIL_BUILD=%s)" % (p, os.environ.get("VIGIL_BUILD", "build")))
        if witness == "https" and _which("openssl") is None:
            return "the HTTPS witness lab needs openssl (Debian package openssl) for its certificate"
    if proxy and _which("squid") is None:
        return ("the witness-behind-a-proxy lab needs Squid: install the Debian package squid "
                "(scripts/install-deps does)")
    return None


def _which(name):
    for p in (shutil.which(name), "/usr/sbin/" + name, "/usr/bin/" + name, "/sbin/" + name):
        if p and os.access(p, os.X_OK):
            return p
    return None


def skip_unless_ready(daemon=True, **parts):
    """Skip the calling pytest module when the lab cannot run here
    (parts: disk=, witness=, proxy= as for missing_requirements)."""
    why = missing_requirements(daemon, **parts)
    if why:
        import pytest
        pytest.skip(why, allow_module_level=True)


def sanitizer_build():
    return (os.environ.get("VIGIL_SANITIZE") == "1"
            or os.path.basename(os.path.normpath(build_dir())).startswith("build-san"))


def _tool(name):
    return shutil.which(name) or "/usr/sbin/" + name


def _run(argv, timeout=15, check=True, input=None):
    try:
        r = subprocess.run(argv, input=input, capture_output=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        raise LabError("timed out after %ss: %s" % (timeout, " ".join(argv)))
    if check and r.returncode != 0:
        raise LabError("command failed (exit %d): %s\n%s" % (
            r.returncode, " ".join(argv),
            r.stderr.decode(errors="replace").strip()))
    return r


def _pid_alive(pid):
    try:
        os.kill(pid, 0)
        return True
    except ProcessLookupError:
        return False
    except PermissionError:
        return True


def _ns_pids(ns):
    r = _run([_tool("ip"), "netns", "pids", ns], check=False, timeout=10)
    return [int(x) for x in r.stdout.split() if x.strip().isdigit()]


def _existing_netns():
    r = _run([_tool("ip"), "netns", "list"], check=False)
    return {line.split()[0] for line in r.stdout.decode().splitlines() if line.strip()}


def _kill_ns_processes(namespaces, grace=3.0):
    """SIGCONT then SIGTERM, then SIGKILL, every process inside our namespaces.
    SIGCONT goes first: sent after SIGTERM it would cancel the stop that an
    exiting sanitizer build's leak checker puts its process in."""
    pids = set()
    for ns in namespaces:
        pids.update(_ns_pids(ns))
    pids.discard(os.getpid())
    for sig in (signal.SIGCONT, signal.SIGTERM):
        for pid in pids:
            try:
                os.kill(pid, sig)
            except ProcessLookupError:
                pass
    deadline = time.monotonic() + grace
    while pids and time.monotonic() < deadline:
        pids = {p for p in pids if _pid_alive(p) and not _is_zombie(p)}
        time.sleep(0.05)
    for pid in pids:
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass


def _is_zombie(pid):
    try:
        with open("/proc/%d/stat" % pid) as f:
            return f.read().rsplit(")", 1)[1].split()[0] == "Z"
    except OSError:
        return True


def cleanup_stale(verbose=False):
    """Remove labs whose owner process is gone (state files in RUN_DIR)."""
    removed = []
    try:
        names = os.listdir(RUN_DIR)
    except FileNotFoundError:
        return removed
    for fn in names:
        if not fn.endswith(".json"):
            continue
        path = os.path.join(RUN_DIR, fn)
        try:
            with open(path) as f:
                st = json.load(f)
        except (OSError, ValueError):
            continue
        owner = st.get("owner_pid")
        if owner and _pid_alive(owner) and _proc_starttime(owner) == st.get("owner_start"):
            continue  # still in use
        # a frozen bindfs first: daemons blocked on its I/O must be able to exit
        fuse = [p for p in st.get("fuse_pids", [])
                if _pid_alive(p) and "bindfs" in _cmdline(p)
                and any(m in _cmdline(p) for m in st.get("mounts", []))]
        for pid in fuse:
            _signal_pid(pid, signal.SIGCONT)
        existing = _existing_netns()
        mine = [ns for ns in st.get("namespaces", []) if ns in existing]
        _kill_ns_processes(mine)
        for mnt in st.get("mounts", []):
            if _mounted(mnt):
                _run([_tool("umount"), "-l", mnt], check=False)
        for pid in fuse:
            _signal_pid(pid, signal.SIGKILL)
        for pid in st.get("pids", []):
            # only a daemon we started, never a recycled pid
            if _pid_alive(pid) and st.get("vigild", "-") in _cmdline(pid):
                try:
                    os.kill(pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
        for ns in reversed(mine):
            _run([_tool("ip"), "netns", "del", ns], check=False)
        tmp = st.get("tmp")
        if (tmp and os.path.basename(tmp).startswith("vigil-lab-") and os.path.isdir(tmp)
                and not any(_mounted(m) for m in st.get("mounts", []))):
            shutil.rmtree(tmp, ignore_errors=True)
        try:
            os.unlink(path)
        except FileNotFoundError:
            pass
        removed.append(st.get("prefix", fn))
        if verbose:
            print("removed stale lab %s (%s)" % (st.get("prefix"), ", ".join(mine) or "no namespaces"))
    return removed


def _signal_pid(pid, sig):
    try:
        os.kill(pid, sig)
    except ProcessLookupError:
        pass


def _mountinfo_unescape(text):
    # /proc/self/mountinfo escapes blanks, tabs, newlines and backslashes as \ooo
    out, i = [], 0
    while i < len(text):
        if text[i] == "\\" and text[i + 1:i + 4].isdigit():
            out.append(chr(int(text[i + 1:i + 4], 8)))
            i += 4
        else:
            out.append(text[i])
            i += 1
    return "".join(out)


def _mounted(path):
    """True when `path` is a mount point in this process's mount namespace."""
    path = os.path.realpath(path)
    try:
        with open("/proc/self/mountinfo") as f:
            return any(_mountinfo_unescape(line.split()[4]) == path for line in f if line.strip())
    except OSError:
        return False


def _proc_starttime(pid):
    try:
        with open("/proc/%d/stat" % pid) as f:
            return int(f.read().rsplit(")", 1)[1].split()[19])
    except (OSError, IndexError, ValueError):
        return None


def _cmdline(pid):
    try:
        with open("/proc/%d/cmdline" % pid, "rb") as f:
            return f.read().replace(b"\0", b" ").decode(errors="replace")
    except OSError:
        return ""


# ---------------------------------------------------------------- the lab

class Node:
    def __init__(self, lab, node_id):
        self.id = node_id
        self.name = "n%d" % node_id
        self.ns = "%s-%s" % (lab.prefix, self.name)
        self.addr = {}        # link name -> address (no prefix length)
        self.plen = {}        # link name -> prefix length
        self.wan_addr = None  # its address on the witness network (Lab(witness=...))
        self.proc = None
        self.starts = 0
        self.expected_exit = True   # True while the lab itself stopped/killed it
        self.exits = []       # (returncode, expected) of every daemon run
        self.state_dir = os.path.join(lab.tmp, self.name)
        self.socket = os.path.join(lab.tmp, self.name + ".sock")
        self.log = os.path.join(lab.tmp, self.name + ".log")

    @property
    def pid(self):
        return self.proc.pid if self.proc else None

    def running(self):
        return self.proc is not None and self.proc.poll() is None

    def __repr__(self):
        return "<Node %s ns=%s pid=%s>" % (self.name, self.ns, self.pid)


class Lab:
    """N nodes, one bridge per link, vigild per node. See the module doc."""

    def __init__(self, n_nodes=3, links=(("lan1", "ipv4"), ("lan2", "ipv6")),
                 interval="100ms", timeout="500ms", initial_timeout="3s",
                 port=5405, realtime=None, cluster=None, start=True,
                 extra_config="", keep_dir=None,
                 disk=False, disk_link="shared", disk_options=None, disk_init=True,
                 witness=False, witness_link="arbiter", witness_options=None,
                 witness_port=WITNESS_PORT, proxy=False, proxy_only=True,
                 client=False):
        """disk: a shared disk file on bindfs and a disk link `disk_link`
        (disk_options: extra keys of that [link], e.g. {"timeout": "1s"});
        disk_init: run `vigilctl disk init` on it before the daemons start.
        witness: True/"http" or "https": vigil-witness in its own namespace and
        a witness link `witness_link` (witness_options: extra keys).
        proxy: Squid between the nodes and the witness (the link's proxy);
        proxy_only: the witness then accepts TCP from the proxy only.
        client: a client namespace PREFIX-c on the service network: True (the
        first link), a link name, or a list of link names; it gets a veth
        named after each link and CLIENT_HOST's address on it. False: none
        (the lab is exactly as without this option)."""
        if not 1 <= n_nodes <= 200:
            raise ValueError("n_nodes must be 1..200")
        self.links = [(str(l), str(f)) for l, f in links]
        for name, fam in self.links:
            if len(name) > 15 or not name.replace("-", "").replace("_", "").isalnum():
                raise ValueError("link name %r: at most 15 letters/digits (it is an interface name)" % name)
            if fam not in ("ipv4", "ipv6"):
                raise ValueError("link %s: family must be ipv4 or ipv6" % name)
        if witness not in (False, None, True, "http", "https"):
            raise ValueError("witness must be False, True, 'http' or 'https'")
        if proxy and not witness:
            raise ValueError("proxy=True needs a witness")
        if witness and WAN_IF in dict(self.links):
            raise ValueError("a udp link cannot be named %r with a witness (the witness network's "
                             "interface has that name)" % WAN_IF)
        self.witness_mode = ("https" if witness == "https" else "http") if witness else None
        self.disk_link = disk_link if disk else None
        self.disk_options = dict(disk_options or {})
        self.witness_link = witness_link if witness else None
        self.witness_options = dict(witness_options or {})
        self.use_proxy = bool(proxy)
        self.proxy_only = bool(proxy and proxy_only)
        self.interval = interval
        self.timeout = timeout
        self.initial_timeout = initial_timeout
        self.interval_s = _dur(interval)
        self.timeout_s = _dur(timeout)
        self.port = port
        self.realtime = (not sanitizer_build()) if realtime is None else bool(realtime)
        self.extra_config = extra_config
        self.keep_dir = (os.environ.get("VIGIL_LAB_KEEP") == "1") if keep_dir is None else keep_dir
        self.vigild = binary("vigild")
        self.vigilctl = binary("vigilctl")
        self.ip = _tool("ip")
        self.nft_bin = _tool("nft")

        self.witness_bin = binary("vigil-witness")
        self.bindfs_bin = _which("bindfs")
        self.squid_bin = _which("squid")

        self.client_links = self._client_links(client)
        self.client_addr = {}     # link -> the client's address (no prefix length)
        self.client_plen = {}
        self.probe_src = {}       # link -> the prober's source address
        self.probes = []          # VipProbe objects started by probe_vip()
        self._n_probes = 0
        self._closed = False
        self.namespaces = []      # every namespace made, in order
        self.helpers = []         # other Popen objects (captures)
        self.mounts = []          # FUSE mount points made (unmounted at close)
        self.bindfs = None        # Popen of bindfs -f (Lab(disk=True))
        self.disk_frozen = False
        self.witness_proc = None  # Popen of vigil-witness
        self.witness_expected_exit = True
        self.squid = None         # Popen of squid -N
        self._nft_nodes = set()
        self.problems = []        # daemon exits nobody asked for
        cleanup_stale()
        existing = _existing_netns()
        for _ in range(100):
            self.prefix = "vg" + secrets.token_hex(3)
            if not any(ns.startswith(self.prefix) for ns in existing):
                break
        self.cluster = cluster or ("lab-" + self.prefix)
        self.tmp = tempfile.mkdtemp(prefix="vigil-lab-%s-" % self.prefix)
        self.conf = os.path.join(self.tmp, "vigil.conf")
        self.key_file = os.path.join(self.tmp, "authkey")
        self.switch_ns = "%s-sw" % self.prefix
        self.client_ns = "%s-c" % self.prefix   # Lab(client=...)
        self.nodes = {}
        for i in range(1, n_nodes + 1):
            n = Node(self, i)
            self.nodes[n.name] = n
        # shared disk
        self.disk_real = os.path.join(self.tmp, "disk-real")
        self.disk_mnt = os.path.join(self.tmp, "disk-mnt")
        self.device = os.path.join(self.disk_mnt, "disk.img") if disk else None
        self.disk_file = os.path.join(self.disk_real, "disk.img")   # the same bytes, not via FUSE
        self.bindfs_log = os.path.join(self.tmp, "bindfs.log")
        # witness network, witness, proxy
        self.witness_ns = "%s-w" % self.prefix
        self.proxy_ns = "%s-p" % self.prefix
        self.witness_addr = "%s.%d" % (WAN_NET, WITNESS_HOST)
        self.witness_port = witness_port
        self.witness_url = ("%s://%s:%d" % (self.witness_mode, self.witness_addr, witness_port)
                            if witness else None)
        self.token_file = os.path.join(self.tmp, "witness.token")
        self.witness_log = os.path.join(self.tmp, "witness.log")
        self.tls_cert = os.path.join(self.tmp, "witness-cert.pem")   # also the nodes' ca-file
        self.tls_key = os.path.join(self.tmp, "witness-key.pem")
        self.ca_file = self.tls_cert if self.witness_mode == "https" else None
        self.proxy_addr = "%s.%d" % (WAN_NET, PROXY_HOST)
        self.proxy_port = PROXY_PORT
        self.proxy_url = "http://%s:%d" % (self.proxy_addr, PROXY_PORT) if proxy else None
        self.squid_dir = os.path.join(self.tmp, "squid")
        self.squid_conf = os.path.join(self.squid_dir, "squid.conf")
        self.squid_access_log = os.path.join(self.squid_dir, "access.log")
        self.squid_cache_log = os.path.join(self.squid_dir, "cache.log")
        self._state_file = os.path.join(RUN_DIR, self.prefix + ".json")
        atexit.register(self.close)
        try:
            self._write_state()
            self._build_network()
            if witness:
                self._build_wan()
            if self.client_links:
                self._build_client()
            self._write_key()
            if disk:
                self._mount_disk()
            self.write_config()
            if disk and disk_init:
                self.disk_init()
            if witness:
                self._write_token()
                if self.witness_mode == "https":
                    self._make_cert()
                self.witness_start()
            if proxy:
                self.proxy_start()
            if start:
                self.start_all()
        except BaseException:
            self.close()
            raise

    # ------------------------------------------------------------ context

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
        return False

    # ------------------------------------------------------------ setup

    def _write_state(self):
        os.makedirs(RUN_DIR, exist_ok=True)
        st = {"prefix": self.prefix, "owner_pid": os.getpid(),
              "owner_start": _proc_starttime(os.getpid()),
              "namespaces": self.namespaces, "tmp": self.tmp, "vigild": self.vigild,
              "pids": [n.pid for n in self.nodes.values() if n.pid]
                      + [p.pid for p in self.helpers],
              "mounts": self.mounts,
              "fuse_pids": [self.bindfs.pid] if self.bindfs else []}
        tmp = self._state_file + ".tmp"
        with open(tmp, "w") as f:
            json.dump(st, f)
        os.replace(tmp, self._state_file)

    def _add_ns(self, ns):
        self.namespaces.append(ns)   # before creating: cleanup covers a half-made one
        self._write_state()
        _run([self.ip, "netns", "add", ns])
        _run([self.ip, "-n", ns, "link", "set", "lo", "up"])

    def _sysctl(self, ns, *settings):
        _run([self.ip, "netns", "exec", ns, _tool("sysctl"), "-q", "-w"] + list(settings))

    def _build_network(self):
        sw = self.switch_ns
        self._add_ns(sw)
        self._sysctl(sw, "net.ipv6.conf.all.disable_ipv6=1", "net.ipv6.conf.default.disable_ipv6=1")
        for k, _ in enumerate(self.links):
            br = "br%d" % k
            _run([self.ip, "-n", sw, "link", "add", br, "type", "bridge", "forward_delay", "0",
                  "stp_state", "0", "mcast_snooping", "0"])
            _run([self.ip, "-n", sw, "link", "set", br, "up"])
        n_v4 = 0
        v4_net = {}
        for k, (link, fam) in enumerate(self.links):
            if fam == "ipv4":
                v4_net[link] = IPV4_NETS[n_v4] if n_v4 < len(IPV4_NETS) else "10.%d.0" % (200 + n_v4)
                n_v4 += 1
        for node in self.nodes.values():
            ns = node.ns
            self._add_ns(ns)
            self._sysctl(ns, "net.ipv6.conf.all.accept_dad=0", "net.ipv6.conf.default.accept_dad=0",
                         "net.ipv6.conf.default.dad_transmits=0",
                         # keep addresses across link_down/link_up
                         "net.ipv6.conf.all.keep_addr_on_down=1",
                         "net.ipv6.conf.default.keep_addr_on_down=1")
            for k, (link, fam) in enumerate(self.links):
                port = "n%dl%d" % (node.id, k)
                _run([self.ip, "-n", ns, "link", "add", link, "type", "veth",
                      "peer", "name", port, "netns", sw])
                _run([self.ip, "-n", sw, "link", "set", port, "master", "br%d" % k])
                _run([self.ip, "-n", sw, "link", "set", port, "up"])
                if fam == "ipv4":
                    addr, plen = "%s.%d" % (v4_net[link], node.id), 24
                    _run([self.ip, "-n", ns, "addr", "add", "%s/%d" % (addr, plen), "dev", link])
                else:
                    addr, plen = "2001:db8:%x::%x" % (k + 1, node.id), 64
                    _run([self.ip, "-n", ns, "addr", "add", "%s/%d" % (addr, plen), "dev", link, "nodad"])
                _run([self.ip, "-n", ns, "link", "set", link, "up"])
                node.addr[link] = addr
                node.plen[link] = plen

    def _build_wan(self):
        """The witness network: bridge brw in the switch, a veth "wan" in every
        node (198.18.0.<id>/24), in the witness namespace (.250) and, with a
        proxy, in the proxy namespace (.251)."""
        sw = self.switch_ns
        _run([self.ip, "-n", sw, "link", "add", "brw", "type", "bridge", "forward_delay", "0",
              "stp_state", "0", "mcast_snooping", "0"])
        _run([self.ip, "-n", sw, "link", "set", "brw", "up"])
        ends = [(n.ns, "n%dw" % n.id, n.id, n) for n in self.nodes.values()]
        self._add_ns(self.witness_ns)
        ends.append((self.witness_ns, "wit", WITNESS_HOST, None))
        if self.use_proxy:
            self._add_ns(self.proxy_ns)
            ends.append((self.proxy_ns, "prx", PROXY_HOST, None))
        for ns, port, host, node in ends:
            _run([self.ip, "-n", ns, "link", "add", WAN_IF, "type", "veth",
                  "peer", "name", port, "netns", sw])
            _run([self.ip, "-n", sw, "link", "set", port, "master", "brw"])
            _run([self.ip, "-n", sw, "link", "set", port, "up"])
            addr = "%s.%d" % (WAN_NET, host)
            _run([self.ip, "-n", ns, "addr", "add", addr + "/24", "dev", WAN_IF])
            _run([self.ip, "-n", ns, "link", "set", WAN_IF, "up"])
            if node is not None:
                node.wan_addr = addr
        if self.proxy_only:
            # the witness accepts TCP from the proxy only: a link that is up
            # went through Squid
            _run([self.ip, "netns", "exec", self.witness_ns, self.nft_bin, "-f", "-"], input=(
                "table inet %s {\n chain input {\n  type filter hook input priority -10; "
                "policy accept;\n  tcp dport %d ip saddr != %s counter reject with tcp reset\n }\n}\n"
                % (NFT_TABLE, self.witness_port, self.proxy_addr)).encode())

    def _mount_disk(self):
        """A 1 MiB file on a bindfs mount (FUSE, direct_io, O_DIRECT forwarded),
        so that SIGSTOP of bindfs makes every I/O on it hang."""
        os.makedirs(self.disk_real)
        os.makedirs(self.disk_mnt)
        with open(self.disk_file, "wb") as f:
            f.write(bytes(DISK_SIZE))
        self.mounts.append(self.disk_mnt)   # before mounting: cleanup covers a half-made one
        self._write_state()
        with open(self.bindfs_log, "ab") as log:
            # -f: stays in the foreground, so the Popen pid is bindfs's pid
            self.bindfs = subprocess.Popen(
                [self.bindfs_bin, "-f", "--forward-odirect=%d" % DISK_ALIGN, "-o", "direct_io",
                 self.disk_real, self.disk_mnt],
                stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT, close_fds=True)
        self._write_state()
        deadline = time.monotonic() + 10.0
        for _ in range(400):
            if self.bindfs.poll() is not None:
                raise LabError("bindfs exited with %s while mounting %s:\n%s" % (
                    self.bindfs.returncode, self.disk_mnt, _tail(self.bindfs_log)))
            if _mounted(self.disk_mnt) and os.path.exists(self.device):
                return
            if time.monotonic() > deadline:
                break
            time.sleep(0.025)
        raise LabError("bindfs did not mount %s within 10s:\n%s" % (self.disk_mnt, _tail(self.bindfs_log)))

    def _write_token(self):
        fd = os.open(self.token_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as f:
            f.write(secrets.token_hex(32) + "\n")

    def _make_cert(self):
        _run([_which("openssl") or "openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes",
              "-keyout", self.tls_key, "-out", self.tls_cert, "-days", "7",
              "-subj", "/CN=witness", "-addext", "subjectAltName=IP:%s" % self.witness_addr],
             timeout=60)
        os.chmod(self.tls_key, 0o600)

    def _write_key(self):
        if not os.access(self.vigilctl, os.X_OK):
            # network-only use (selftest) before vigilctl exists
            fd = os.open(self.key_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "w") as f:
                f.write(secrets.token_hex(32) + "\n")
            return
        r = _run([self.vigilctl, "keygen", self.key_file], check=False)
        if r.returncode != 0 or not os.path.exists(self.key_file):
            raise LabError("vigilctl keygen %s failed (exit %d): %s" % (
                self.key_file, r.returncode, r.stderr.decode(errors="replace")))
        os.chmod(self.key_file, 0o600)

    def key(self):
        """The 32 key bytes."""
        import vigil_wire
        return vigil_wire.read_key(self.key_file)

    def config_text(self):
        out = ["# written by tests/system/vigil_lab.py for lab %s" % self.prefix,
               "[cluster]",
               "name = %s" % self.cluster,
               "key-file = %s" % self.key_file,
               "interval = %s" % self.interval,
               "timeout = %s" % self.timeout,
               "initial-timeout = %s" % self.initial_timeout,
               "realtime = %s" % ("yes" if self.realtime else "no"),
               ""]
        for node in self.nodes.values():
            out.append('[node "%s"]' % node.name)
            out.append("id = %d" % node.id)
            for link, _ in self.links:
                out.append("%s = %s" % (link, node.addr[link]))
            out.append("")
        for k, (link, _) in enumerate(self.links):
            out += ['[link "%s"]' % link, "type = udp", "priority = %d" % (k + 1),
                    "port = %d" % self.port, ""]
        if self.disk_link:
            out += ['[link "%s"]' % self.disk_link, "type = disk", "device = %s" % self.device]
            out += ["%s = %s" % kv for kv in self.disk_options.items()] + [""]
        if self.witness_link:
            out += ['[link "%s"]' % self.witness_link, "type = witness",
                    "url = %s" % self.witness_url, "token-file = %s" % self.token_file]
            if self.proxy_url:
                out.append("proxy = %s" % self.proxy_url)
            if self.ca_file:
                out.append("ca-file = %s" % self.ca_file)
            out += ["%s = %s" % kv for kv in self.witness_options.items()] + [""]
        if self.extra_config:
            out.append(self.extra_config)
        return "\n".join(out) + "\n"

    def write_config(self, text=None):
        with open(self.conf, "w") as f:
            f.write(self.config_text() if text is None else text)

    # ------------------------------------------------------------ daemons

    def node(self, name):
        return self.nodes[name] if isinstance(name, str) else name

    def start(self, name, wait=True):
        node = self.node(name)
        if node.running():
            raise LabError("%s is already running (pid %d)" % (node.name, node.pid))
        os.makedirs(node.state_dir, exist_ok=True)
        node.starts += 1
        with open(node.log, "ab") as log:
            log.write(b"==== lab: start #%d of %s at mono %.6f\n" % (node.starts, node.name.encode(), time.monotonic()))
            log.flush()
            try:
                os.unlink(node.socket)
            except FileNotFoundError:
                pass
            argv = [self.ip, "netns", "exec", node.ns, self.vigild, "-c", self.conf,
                    "--node", node.name, "--state-dir", node.state_dir,
                    "--socket", node.socket, "--foreground"]
            node.proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=log,
                                         stderr=subprocess.STDOUT, close_fds=True)
        node.expected_exit = False
        self._write_state()
        if wait:
            self.wait_for(lambda: self._answering(node), 10.0,
                          "%s to answer on its control socket" % node.name)
        return node.proc.pid

    def _answering(self, node):
        if not node.running():
            raise LabTimeout(self.explain("vigild of %s exited with %s while starting" % (
                node.name, node.proc.returncode)))
        return self.try_status(node) is not None

    def start_all(self):
        for node in self.nodes.values():
            self.start(node, wait=False)
        for node in self.nodes.values():
            self.wait_for(lambda node=node: self._answering(node), 10.0,
                          "%s to answer on its control socket" % node.name)

    def _signal(self, name, sig):
        node = self.node(name)
        if not node.running():
            raise LabError("%s is not running" % node.name)
        t0 = time.monotonic()
        os.kill(node.pid, sig)
        return t0

    def kill9(self, name):
        """SIGKILL the daemon; returns time.monotonic() taken right before the kill."""
        node = self.node(name)
        node.expected_exit = True
        t0 = self._signal(node, signal.SIGKILL)
        node.proc.wait(timeout=10)
        node.exits.append((node.proc.returncode, True))
        return t0

    def stop(self, name):
        """SIGSTOP; returns the monotonic time right before it."""
        return self._signal(name, signal.SIGSTOP)

    def cont(self, name):
        """SIGCONT; returns the monotonic time right before it."""
        return self._signal(name, signal.SIGCONT)

    def hup(self, name):
        return self._signal(name, signal.SIGHUP)

    def terminate(self, name, timeout=10.0):
        """Clean stop (SIGTERM). Returns the exit code; SIGKILLs and raises
        when it does not stop in time."""
        node = self.node(name)
        node.expected_exit = True
        os.kill(node.pid, signal.SIGCONT)  # first: see _kill_ns_processes()
        os.kill(node.pid, signal.SIGTERM)
        try:
            rc = node.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            node.proc.kill()
            node.proc.wait(timeout=10)
            node.exits.append((node.proc.returncode, False))
            raise LabError(self.explain("%s did not stop within %ss of SIGTERM" % (node.name, timeout)))
        node.exits.append((rc, rc == 0))
        if rc != 0:
            self.problems.append("%s exited with %s on SIGTERM" % (node.name, rc))
        return rc

    def sigterm(self, name):
        """Send SIGTERM (and SIGCONT) without waiting; the exit is expected.
        Returns the monotonic time right before. See leader_exited() and reap()."""
        node = self.node(name)
        node.expected_exit = True
        t0 = time.monotonic()
        os.kill(node.pid, signal.SIGCONT)  # first: see _kill_ns_processes()
        os.kill(node.pid, signal.SIGTERM)
        return t0

    def leader_exited(self, name):
        """True once the daemon's main thread has exited (it is a zombie or
        reaped). A process whose other thread sleeps uninterruptibly in the
        kernel (I/O on a hung disk: state D) cannot be reaped before that I/O
        ends, but its main thread, and so vigild's own shutdown, is done."""
        node = self.node(name)
        if node.proc is None or node.proc.poll() is not None:
            return True
        try:
            with open("/proc/%d/task/%d/stat" % (node.pid, node.pid)) as f:
                return f.read().rsplit(")", 1)[1].split()[0] in ("Z", "X")
        except OSError:
            return True

    def threads(self, name):
        """[(tid, state, kernel stack top)] of the daemon's threads, for
        diagnostics (e.g. which thread sits in D on a hung disk)."""
        node = self.node(name)
        out = []
        try:
            tids = sorted(int(t) for t in os.listdir("/proc/%d/task" % node.pid))
        except (OSError, TypeError):
            return out
        for tid in tids:
            base = "/proc/%d/task/%d/" % (node.pid, tid)
            try:
                with open(base + "stat") as f:
                    state = f.read().rsplit(")", 1)[1].split()[0]
            except OSError:
                continue
            try:
                with open(base + "stack") as f:
                    stack = " < ".join(l.split()[-1].split("+")[0] for l in f.read().splitlines()[:4])
            except OSError:
                stack = "?"
            out.append((tid, state, stack))
        return out

    def reap(self, name, timeout=10.0):
        """Wait for a daemon that was sent SIGTERM (sigterm()) to be reaped;
        records its exit code like terminate(). SIGKILL and LabError when it
        does not go within `timeout`."""
        node = self.node(name)
        try:
            rc = node.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            node.proc.kill()
            node.proc.wait(timeout=10)
            node.exits.append((node.proc.returncode, False))
            raise LabError(self.explain("%s was not reaped within %ss of SIGTERM" % (node.name, timeout)))
        node.exits.append((rc, rc == 0))
        if rc != 0:
            self.problems.append("%s exited with %s on SIGTERM" % (node.name, rc))
        return rc

    def restart(self, name, wait=True):
        """SIGTERM, wait, start again. Returns the new pid."""
        node = self.node(name)
        if node.running():
            self.terminate(node)
        return self.start(node, wait=wait)

    def check_daemons(self):
        """Names of daemons that died without the lab asking them to."""
        dead = []
        for node in self.nodes.values():
            if node.proc is not None and not node.expected_exit and node.proc.poll() is not None:
                dead.append("%s (exit %s)" % (node.name, node.proc.returncode))
        return dead

    # ------------------------------------------------------------ status

    def status(self, name, timeout=3.0):
        node = self.node(name)
        try:
            r = subprocess.run([self.vigilctl, "--socket", node.socket, "status", "--json"],
                               capture_output=True, timeout=timeout)
        except subprocess.TimeoutExpired:
            raise StatusError("vigilctl status of %s timed out after %ss" % (node.name, timeout))
        if r.returncode != 0:
            raise StatusError("vigilctl status of %s: exit %d: %s" % (
                node.name, r.returncode, (r.stderr or r.stdout).decode(errors="replace").strip()))
        try:
            obj = json.loads(r.stdout)
        except ValueError as e:
            raise StatusError("vigilctl status --json of %s is not JSON (%s): %r" % (
                node.name, e, r.stdout[:300]))
        if not isinstance(obj, dict) or "error" in obj:
            raise StatusError("vigilctl status of %s answered %r" % (node.name, obj))
        return obj

    def try_status(self, name):
        try:
            return self.status(name)
        except StatusError:
            return None

    def status_text(self, name):
        """`vigilctl status` (the table), as text."""
        node = self.node(name)
        r = _run([self.vigilctl, "--socket", node.socket, "status"], check=False, timeout=5)
        return (r.stdout + r.stderr).decode(errors="replace")

    def statuses(self, names=None):
        names = names or [n.name for n in self.nodes.values() if n.running()]
        return {n: self.status(n) for n in names}

    @staticmethod
    def entry(status, target):
        """The `nodes` entry of `target` in a status object."""
        for e in status.get("nodes", []):
            if e.get("name") == target:
                return e
        raise StatusError("status of %s has no node %r: %r" % (status.get("node"), target,
                                                                  [e.get("name") for e in status.get("nodes", [])]))

    def state(self, observer, target):
        return self.entry(self.status(observer), target).get("state")

    def sees(self, observer, target, state, links=None):
        """True when `observer` reports `target` in `state` and (optionally)
        links in the given states, e.g. links={"lan1": "down"}."""
        st = self.try_status(observer)
        if st is None:
            return False
        e = self.entry(st, target)
        if e.get("state") != state:
            return False
        for link, want in (links or {}).items():
            if e.get("links", {}).get(link) != want:
                return False
        return e

    def link_names(self):
        """Every link of the configuration: the udp links, then the disk and
        witness links when the lab has them."""
        return ([l for l, _ in self.links] + ([self.disk_link] if self.disk_link else [])
                + ([self.witness_link] if self.witness_link else []))

    @staticmethod
    def own_link(status, link):
        """The top-level `links` entry of `link` in a status object: this
        node's own side (type, state, detail)."""
        for e in status.get("links", []):
            if e.get("name") == link:
                return e
        raise StatusError("status of %s has no link %r: %r" % (
            status.get("node"), link, [e.get("name") for e in status.get("links", [])]))

    def own_side(self, name, link):
        """(state, detail) of `name`'s own side of `link`, or None without status."""
        st = self.try_status(name)
        if st is None:
            return None
        e = self.own_link(st, link)
        return e.get("state"), e.get("detail")

    def converged(self, names=None):
        """Every running node sees every node of `names` (default: all)
        alive with every link up (disk and witness links included), its own
        side of every disk/witness link up, and (membership) every running
        node has installed one and the same view whose members are `names`.
        Returns the statuses or False."""
        names = names or list(self.nodes)
        views = set()
        links = self.link_names()
        own = [l for l in (self.disk_link, self.witness_link) if l]
        out = {}
        for obs in [n.name for n in self.nodes.values() if n.running()]:
            st = self.try_status(obs)
            if st is None:
                return False
            for target in names:
                e = self.entry(st, target)
                if e.get("state") != "alive":
                    return False
                if any(e.get("links", {}).get(l) != "up" for l in links):
                    return False
            for l in own:
                if self.own_link(st, l).get("state") != "up":
                    return False
            view = st.get("view") or {}
            if sorted(view.get("members") or []) != sorted(names):
                return False
            views.add(view.get("epoch"))
            out[obs] = st
        if len(views) > 1:
            return False
        return out

    def wait_converged(self, timeout=None, names=None):
        timeout = timeout or max(5.0, 4 * self.timeout_s + 2)
        return self.wait_for(lambda: self.converged(names), timeout,
                             "every node to see every node alive on every link")

    # ------------------------------------------------------------ waiting

    def wait_for(self, predicate, timeout, what="condition", interval=0.05):
        """Poll predicate() until it returns something true, at most
        `timeout` seconds and timeout/interval+2 times. Raises LabTimeout
        (an AssertionError) with the node logs otherwise."""
        deadline = time.monotonic() + timeout
        last_err = None
        for _ in range(int(timeout / interval) + 2):
            try:
                v = predicate()
                if v:
                    return v
            except (StatusError, LabError) as e:
                last_err = e
            left = deadline - time.monotonic()
            if left <= 0:
                break
            time.sleep(min(interval, left))
        msg = "timed out after %.1fs waiting for %s" % (timeout, what)
        if last_err:
            msg += "\nlast error: %s" % last_err
        raise LabTimeout(self.explain(msg))

    def hold(self, predicate, duration, what="condition", interval=0.05):
        """Assert predicate() stays true for `duration` seconds."""
        end = time.monotonic() + duration
        for _ in range(int(duration / interval) + 2):
            v = predicate()
            if not v:
                raise AssertionError(self.explain("no longer true: %s" % what))
            if time.monotonic() >= end:
                return v
            time.sleep(interval)
        return v

    # ------------------------------------------------------------ diagnostics

    def log_tail(self, name, lines=25):
        node = self.node(name)
        try:
            with open(node.log, "rb") as f:
                f.seek(0, os.SEEK_END)
                size = f.tell()
                f.seek(max(0, size - 64 * 1024))
                data = f.read().decode(errors="replace")
        except FileNotFoundError:
            return "(no log)"
        return "\n".join(data.splitlines()[-lines:])

    def summary(self, name):
        """One line per node as `name` sees it."""
        st = self.try_status(name)
        if st is None:
            return "  (no status)"
        rows = []
        for e in st.get("nodes", []):
            rows.append("  %-4s %-8s links=%s inc=%s since=%s" % (
                e.get("name"), e.get("state"), json.dumps(e.get("links")),
                e.get("incarnation"), e.get("since_mono")))
        rows.append("  own links: %s" % "; ".join(
            "%s %s %s%s" % (l.get("name"), l.get("type"), l.get("state", l.get("socket")),
                            " (%s)" % l["detail"] if l.get("detail") else "")
            for l in st.get("links", [])))
        rows.append("  drops=%s" % json.dumps(st.get("drops")))
        return "\n".join(rows)

    def explain(self, msg, lines=25):
        """msg followed by each node's process state, view and log tail."""
        out = [msg, "---- lab %s (mono now %.3f) ----" % (self.prefix, time.monotonic())]
        for node in self.nodes.values():
            if node.proc is None:
                ps = "not started"
            elif node.running():
                ps = "running pid %d" % node.pid
            else:
                ps = "exited %s" % node.proc.returncode
            out.append("== %s (%s)" % (node.name, ps))
            if node.running():
                out.append(self.summary(node))
            out.append("-- log tail %s:" % node.log)
            out.append(self.log_tail(node, lines))
        if self.bindfs is not None:
            out.append("== bindfs pid %d: %s%s" % (
                self.bindfs.pid, "running" if self.bindfs.poll() is None else
                "exited %s" % self.bindfs.returncode, " (frozen: disk_hang)" if self.disk_frozen else ""))
        if self.witness_proc is not None:
            out.append("== vigil-witness pid %d: %s; log tail %s:" % (
                self.witness_proc.pid, "running" if self.witness_running() else
                "exited %s" % self.witness_proc.returncode, self.witness_log))
            out.append(_tail(self.witness_log, 10))
        if self.squid is not None:
            out.append("== squid pid %d: %s; cache.log tail:" % (
                self.squid.pid, "running" if self.squid.poll() is None else
                "exited %s" % self.squid.returncode))
            out.append(_tail(self.squid_cache_log, 10))
        return "\n".join(out)

    # ------------------------------------------------------------ faults

    def link_down(self, name, link):
        _run([self.ip, "-n", self.node(name).ns, "link", "set", link, "down"])

    def link_up(self, name, link):
        _run([self.ip, "-n", self.node(name).ns, "link", "set", link, "up"])

    def nft(self, name, script):
        node = self.node(name)
        return _run([self.ip, "netns", "exec", node.ns, self.nft_bin, "-f", "-"],
                    input=script.encode()).stdout.decode()

    def _ensure_table(self, node):
        if node.name in self._nft_nodes:
            return
        self.nft(node, "table inet %s {\n chain input {\n  type filter hook input priority -10; policy accept;\n }\n}\n" % NFT_TABLE)
        self._nft_nodes.add(node.name)

    def drop_from(self, name, peer, link):
        """In `name`'s namespace, drop incoming UDP from `peer`'s address on
        `link` (one way)."""
        node, p = self.node(name), self.node(peer)
        self._ensure_table(node)
        fam = "ip" if dict(self.links)[link] == "ipv4" else "ip6"
        self.nft(node, 'add rule inet %s input iifname "%s" %s saddr %s meta l4proto udp counter drop\n'
                 % (NFT_TABLE, link, fam, p.addr[link]))

    def drop_both(self, a, b, link=None):
        """Drop UDP between a and b in both directions on `link` (all links when None)."""
        for l in ([link] if link else [x for x, _ in self.links]):
            self.drop_from(a, b, l)
            self.drop_from(b, a, l)

    def clear_drops(self, name=None):
        for n in ([self.node(name)] if name else list(self.nodes.values())):
            if n.name in self._nft_nodes:
                _run([self.ip, "netns", "exec", n.ns, self.nft_bin, "delete", "table", "inet", NFT_TABLE])
                self._nft_nodes.discard(n.name)

    def nft_ruleset(self, name):
        node = self.node(name)
        return _run([self.ip, "netns", "exec", node.ns, self.nft_bin, "list", "ruleset"]).stdout.decode()

    # ------------------------------------------------------------ shared disk

    def disk_init(self, device=None, config=None, force=False, check=True):
        """`vigilctl disk init DEVICE -c CONFIG [--force]` (default: the lab's
        device and configuration). Returns the CompletedProcess; raises
        LabError on failure when check."""
        argv = [self.vigilctl, "disk", "init", device or self.device, "-c", config or self.conf]
        if force:
            argv.append("--force")
        r = _run(argv, check=False, timeout=30)
        if check and r.returncode != 0:
            raise LabError("%s failed (exit %d):\n%s" % (" ".join(argv), r.returncode,
                                                          (r.stdout + r.stderr).decode(errors="replace")))
        return r

    def disk_dump(self, device=None, json_out=True):
        """`vigilctl disk dump DEVICE -c CONFIG [--json]`: the parsed JSON
        (json_out) or the text."""
        argv = [self.vigilctl, "disk", "dump", device or self.device, "-c", self.conf]
        if json_out:
            argv.append("--json")
        r = _run(argv, timeout=30)
        return json.loads(r.stdout) if json_out else r.stdout.decode(errors="replace")

    def disk_checksum(self):
        """SHA-256 of the shared file's bytes, read beside the FUSE mount (so
        it works while the disk hangs)."""
        import hashlib
        with open(self.disk_file, "rb") as f:
            return hashlib.sha256(f.read()).hexdigest()

    def disk_hang(self):
        """Every I/O on the shared disk hangs from now on (SIGSTOP of bindfs;
        every node shares the file, so every node's I/O hangs). Returns the
        monotonic time right before."""
        if self.bindfs is None or self.bindfs.poll() is not None:
            raise LabError("no bindfs running (Lab(disk=True)?)")
        t0 = time.monotonic()
        os.kill(self.bindfs.pid, signal.SIGSTOP)
        self.disk_frozen = True
        return t0

    def disk_thaw(self):
        """SIGCONT of bindfs: the hung I/O completes. Returns the monotonic
        time right before."""
        if self.bindfs is None or self.bindfs.poll() is not None:
            raise LabError("no bindfs running")
        t0 = time.monotonic()
        os.kill(self.bindfs.pid, signal.SIGCONT)
        self.disk_frozen = False
        return t0

    def _unmount_disk(self):
        """SIGCONT bindfs, lazy unmount, stop bindfs by pid. Idempotent."""
        b = self.bindfs
        if b is not None and b.poll() is None:
            _signal_pid(b.pid, signal.SIGCONT)
            self.disk_frozen = False
        for mnt in self.mounts:
            if _mounted(mnt):
                r = _run([_tool("umount"), "-l", mnt], check=False)
                if r.returncode != 0 and _mounted(mnt):
                    self.problems.append("umount -l %s: %s" % (mnt, r.stderr.decode(errors="replace").strip()))
        if b is not None and b.poll() is None:
            _signal_pid(b.pid, signal.SIGTERM)
            try:
                b.wait(timeout=3)
            except subprocess.TimeoutExpired:
                b.kill()
                b.wait(timeout=10)
        elif b is not None and b.returncode not in (0, None):
            self.problems.append("bindfs exited with %s: %s" % (b.returncode, _tail(self.bindfs_log, 5)))

    # ------------------------------------------------------------ witness and proxy

    def _wait_listening(self, ns, port, proc, what, log, timeout=10.0):
        deadline = time.monotonic() + timeout
        for _ in range(int(timeout / 0.05) + 2):
            if proc.poll() is not None:
                raise LabError("%s exited with %s while starting:\n%s" % (what, proc.returncode, _tail(log)))
            r = _run([self.ip, "netns", "exec", ns, _tool("ss"), "-Hltn", "sport = :%d" % port],
                     check=False)
            if r.stdout.strip():
                return
            if time.monotonic() > deadline:
                break
            time.sleep(0.05)
        raise LabError("%s does not listen on port %d in %s after %ss:\n%s" % (
            what, port, ns, timeout, _tail(log)))

    def witness_running(self):
        return self.witness_proc is not None and self.witness_proc.poll() is None

    def witness_start(self):
        """Start vigil-witness in the witness namespace on the lab's address
        and port (the same every time: the nodes' url does not change)."""
        if self.witness_running():
            raise LabError("vigil-witness is already running (pid %d)" % self.witness_proc.pid)
        argv = [self.ip, "netns", "exec", self.witness_ns, self.witness_bin,
                "--listen", "%s:%d" % (self.witness_addr, self.witness_port),
                "--token-file", self.token_file, "--foreground"]
        if self.witness_mode == "https":
            argv += ["--tls-cert", self.tls_cert, "--tls-key", self.tls_key]
        with open(self.witness_log, "ab") as log:
            log.write(b"==== lab: start of vigil-witness at mono %.6f\n" % time.monotonic())
            log.flush()
            self.witness_proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=log,
                                                 stderr=subprocess.STDOUT, close_fds=True)
        self.witness_expected_exit = False
        self._write_state()
        self._wait_listening(self.witness_ns, self.witness_port, self.witness_proc,
                             "vigil-witness", self.witness_log)
        return self.witness_proc.pid

    def witness_kill(self, sig=signal.SIGKILL):
        """Stop vigil-witness (kill -9 by default). Returns the monotonic time
        right before the signal."""
        if not self.witness_running():
            raise LabError("vigil-witness is not running")
        self.witness_expected_exit = True
        t0 = time.monotonic()
        if sig != signal.SIGKILL:
            os.kill(self.witness_proc.pid, signal.SIGCONT)  # first: _kill_ns_processes()
        os.kill(self.witness_proc.pid, sig)
        try:
            self.witness_proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self.witness_proc.kill()
            self.witness_proc.wait(timeout=10)
            raise LabError("vigil-witness did not stop within 5s of signal %d" % sig)
        return t0

    def witness_link_down(self, name):
        """Cut `name`'s veth on the witness network (ip link set wan down)."""
        _run([self.ip, "-n", self.node(name).ns, "link", "set", WAN_IF, "down"])

    def witness_link_up(self, name):
        _run([self.ip, "-n", self.node(name).ns, "link", "set", WAN_IF, "up"])

    def proxy_start(self):
        """Squid in the proxy namespace: CONNECT to the witness port only,
        from the witness network only; no cache; logs in the lab's directory."""
        if self.squid is not None and self.squid.poll() is None:
            raise LabError("squid is already running (pid %d)" % self.squid.pid)
        import pwd
        os.makedirs(self.squid_dir, exist_ok=True)
        user = None
        for u in ("proxy", "nobody"):   # squid drops root for this user
            try:
                user = pwd.getpwnam(u)
                break
            except KeyError:
                pass
        if user:
            os.chown(self.squid_dir, user.pw_uid, user.pw_gid)
        os.chmod(self.tmp, 0o711)   # let that user reach squid_dir (the key stays 0600)
        conf = "\n".join([
            "# written by tests/system/vigil_lab.py for lab %s" % self.prefix,
            "http_port %s:%d" % (self.proxy_addr, self.proxy_port),
            "visible_hostname vigil-lab-proxy",
            "pid_filename %s" % os.path.join(self.squid_dir, "squid.pid"),
            "cache_log %s" % self.squid_cache_log,
            "access_log stdio:%s" % self.squid_access_log,
            "coredump_dir %s" % self.squid_dir,
            "netdb_filename none",
            "cache deny all",
            "cache_mem 8 MB",
            "pinger_enable off",
            "dns_nameservers 127.0.0.1",
            "shutdown_lifetime 1 seconds",
            "acl SSL_ports port %d" % self.witness_port,
            "acl Safe_ports port %d" % self.witness_port,
            "acl CONNECT method CONNECT",
            "acl nodes src %s.0/24" % WAN_NET,
            "http_access deny !Safe_ports",
            "http_access deny CONNECT !SSL_ports",
            "http_access allow nodes",
            "http_access deny all",
            ""])
        with open(self.squid_conf, "w") as f:
            f.write(conf)
        out = os.path.join(self.squid_dir, "squid.out")
        with open(out, "ab") as log:
            # -N: no daemon, no kid processes: the Popen pid is squid's
            self.squid = subprocess.Popen(
                [self.ip, "netns", "exec", self.proxy_ns, self.squid_bin, "-N", "-f", self.squid_conf],
                stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT, close_fds=True)
        self._write_state()
        self._wait_listening(self.proxy_ns, self.proxy_port, self.squid, "squid",
                             self.squid_cache_log, timeout=20.0)
        return self.squid.pid

    def proxy_stop(self):
        if self.squid is None or self.squid.poll() is not None:
            return
        for sig in (signal.SIGCONT, signal.SIGTERM):  # SIGCONT first: _kill_ns_processes()
            _signal_pid(self.squid.pid, sig)
        try:
            self.squid.wait(timeout=5)   # shutdown_lifetime is 1 s
        except subprocess.TimeoutExpired:
            self.squid.kill()
            self.squid.wait(timeout=10)
            self.problems.append("squid did not stop within 5s of SIGTERM; killed")

    def proxy_log(self):
        """Squid's access log (one line per request; CONNECT tunnels are
        logged when they end)."""
        try:
            with open(self.squid_access_log, errors="replace") as f:
                return f.read()
        except FileNotFoundError:
            return ""

    def time_wait(self, where):
        """How many TCP sockets are in TIME_WAIT in a namespace (a node name,
        or a namespace of this lab such as lab.proxy_ns)."""
        r = self.exec_in(where, [_tool("ss"), "-Htan", "state", "time-wait"])
        return len([l for l in r.stdout.decode().splitlines() if l.strip()])

    def http(self, frm, path="/healthz", method="GET", body=None, token=True,
             proxy=None, timeout=3.0):
        """One HTTP(S) request to the witness from `frm`'s namespace (a node
        name or a namespace of this lab), with http.client in netns_helper:
        through the lab's proxy (CONNECT) when proxy is None and the lab has
        one (proxy=False: direct), the lab's CA for https, the token as
        `Authorization: Bearer` when token. Returns (status, body text);
        raises LabError when no answer came."""
        if proxy is None:
            proxy = self.proxy_url
        args = ["http", "--url", self.witness_url + path, "--method", method,
                "--timeout", str(timeout)]
        if proxy:
            args += ["--proxy", proxy]
        if self.ca_file:
            args += ["--ca-file", self.ca_file]
        if token:
            args += ["--token-file", self.token_file]
        if body is not None:
            args += ["--body", body if isinstance(body, str) else json.dumps(body)]
        ns = frm if frm in self.namespaces else self.node(frm).ns
        r = _run([self.ip, "netns", "exec", ns, SYS_PYTHON, HELPER] + args,
                 check=False, timeout=timeout + 10)
        if r.returncode != 0:
            raise LabError("HTTP %s %s from %s failed: %s" % (
                method, self.witness_url + path, ns, r.stderr.decode(errors="replace").strip()))
        out = json.loads(r.stdout)
        return out["status"], out["body"]

    # ------------------------------------------------------------ packets

    def _helper(self, node, args, input=None, timeout=30):
        return _run([self.ip, "netns", "exec", self.node(node).ns, SYS_PYTHON, HELPER] + args,
                    input=input, timeout=timeout, check=False)

    def capture(self, at, sender, link="lan1", count=1, timeout=5.0):
        """Datagrams from `sender` arriving at `at` on `link`, captured with an
        AF_PACKET socket inside `at`'s namespace: list of dicts with
        frame/payload bytes."""
        a, s = self.node(at), self.node(sender)
        r = self._helper(a, ["capture", "--iface", link, "--src", s.addr[link],
                             "--dport", str(self.port), "--count", str(count),
                             "--timeout", str(timeout)], timeout=timeout + 10)
        got = [json.loads(l) for l in r.stdout.decode().splitlines() if l.strip()]
        if r.returncode not in (0, 2):
            raise LabError("capture in %s failed: %s" % (a.ns, r.stderr.decode(errors="replace")))
        return [{"frame": bytes.fromhex(g["frame"]), "payload": bytes.fromhex(g["payload"])} for g in got]

    def inject(self, sender, frames, link="lan1"):
        """Send captured frames again, byte for byte, out of `sender`'s
        interface on `link` (so they reach the original receiver)."""
        data = "".join(json.dumps({"frame": f["frame"].hex()}) + "\n" for f in frames)
        r = self._helper(sender, ["inject", "--iface", link], input=data.encode())
        if r.returncode != 0:
            raise LabError("inject from %s failed: %s" % (sender, r.stderr.decode(errors="replace")))
        return int(r.stdout.strip() or 0)

    def send_udp(self, frm, to, link, datagrams, pace=20, port=None):
        """Send raw UDP payloads from `frm`'s namespace (ephemeral port) to
        `to`'s address on `link`."""
        data = "".join((d.hex() or "-") + "\n" for d in datagrams)
        r = self._helper(frm, ["send", "--dst", self.node(to).addr[link],
                               "--port", str(port or self.port), "--pace", str(pace)],
                         input=data.encode(), timeout=60)
        if r.returncode != 0:
            raise LabError("send from %s failed: %s" % (frm, r.stderr.decode(errors="replace")))
        return int(r.stdout.strip() or 0)

    def udp_reachable(self, frm, to, link, port=9999, n=3, timeout=1.0):
        """Send n UDP datagrams from `frm` to `to`'s address on `link` (a
        throwaway listener on `port`); True when at least one arrived."""
        dst = self.node(to).addr[link]
        p = subprocess.Popen([self.ip, "netns", "exec", self.node(to).ns, SYS_PYTHON, HELPER,
                              "recv", "--bind", dst, "--port", str(port),
                              "--timeout", str(timeout), "--count", str(n)],
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        self.helpers.append(p)
        try:
            line = p.stdout.readline()
            if line.strip() != b"ready":
                raise LabError("udp listener in %s failed: %s" % (
                    self.node(to).ns, p.stderr.read().decode(errors="replace")))
            self.send_udp(frm, to, link, [b"probe"] * n, port=port)
            out, _ = p.communicate(timeout=timeout + 5)
        finally:
            if p.poll() is None:
                p.kill()
                p.wait(timeout=5)
            self.helpers.remove(p)
        src = self.node(frm).addr[link]
        return any(l.split()[0] == src for l in out.decode().splitlines() if l.strip())

    def ping(self, frm, to, link, count=1, timeout=2):
        """ICMP echo from `frm` to `to`'s address on `link` (raw socket in
        netns_helper; no ping binary needed). True on a reply."""
        r = self._helper(frm, ["ping", "--dst", self.node(to).addr[link], "--count", str(count),
                               "--timeout", str(timeout)], timeout=timeout * count + 10)
        return r.returncode == 0

    def exec_in(self, name, argv, **kw):
        """Run argv inside a node's namespace (or a namespace of this lab by name)."""
        ns = name if name in self.namespaces else self.node(name).ns
        return _run([self.ip, "netns", "exec", ns] + list(argv), **kw)

    # ------------------------------------------------------------ the client namespace

    def _client_links(self, client):
        """The links Lab(client=...) puts a client on ([] for none)."""
        if client is False or client is None:
            return []
        if client is True:
            return [self.links[0][0]]
        names = [client] if isinstance(client, str) else list(client)
        known = [l for l, _ in self.links]
        for name in names:
            if name not in known:
                raise ValueError("client link %r is not a udp link of the lab (%s)" % (
                    name, ", ".join(known)))
        if len(set(names)) != len(names) or not names:
            raise ValueError("client: a link name, or a list of distinct link names")
        return names

    def _link_index(self, link):
        return [l for l, _ in self.links].index(link)

    def _link_addr(self, link, host):
        """(address, prefix length) of `host` on `link`'s network, numbered as
        _build_network numbers the nodes."""
        k = self._link_index(link)
        if self.links[k][1] == "ipv6":
            return "2001:db8:%x::%x" % (k + 1, host), 64
        n_v4 = sum(1 for l, f in self.links[:k] if f == "ipv4")
        net = IPV4_NETS[n_v4] if n_v4 < len(IPV4_NETS) else "10.%d.0" % (200 + n_v4)
        return "%s.%d" % (net, host), 24

    def _build_client(self):
        """PREFIX-c: a veth named after each client link, its switch end
        `cl<k>` a port of br<k>, the address CLIENT_HOST on that network (IPv6
        with nodad, DAD off as in the nodes). arp_accept stays 0: like a real
        client, it only updates an entry it already has from an announcement."""
        ns, sw = self.client_ns, self.switch_ns
        self._add_ns(ns)
        self._sysctl(ns, "net.ipv6.conf.all.accept_dad=0", "net.ipv6.conf.default.accept_dad=0",
                     "net.ipv6.conf.default.dad_transmits=0",
                     "net.ipv6.conf.all.keep_addr_on_down=1",
                     "net.ipv6.conf.default.keep_addr_on_down=1")
        for link in self.client_links:
            k = self._link_index(link)
            port = "cl%d" % k
            _run([self.ip, "-n", ns, "link", "add", link, "type", "veth",
                  "peer", "name", port, "netns", sw])
            _run([self.ip, "-n", sw, "link", "set", port, "master", "br%d" % k])
            _run([self.ip, "-n", sw, "link", "set", port, "up"])
            addr, plen = self._link_addr(link, CLIENT_HOST)
            extra = ["nodad"] if ":" in addr else []
            _run([self.ip, "-n", ns, "addr", "add", "%s/%d" % (addr, plen), "dev", link] + extra)
            _run([self.ip, "-n", ns, "link", "set", link, "up"])
            self.client_addr[link] = addr
            self.client_plen[link] = plen
            self.probe_src[link] = self._link_addr(link, CLIENT_PROBE_HOST)[0]

    def _need_client(self, link=None):
        if not self.client_links:
            raise LabError("this lab has no client namespace: Lab(..., client=True)")
        link = link or self.client_links[0]
        if link not in self.client_links:
            raise LabError("the client is not on link %r (it is on %s)" % (
                link, ", ".join(self.client_links)))
        return link

    def vip_addr(self, index=0, link=None):
        """A floating address for tests, "ADDR/PLEN" on `link`'s network
        (default: the client's first link, else the first link): host
        VIP_HOST_BASE + index, above every node id."""
        if not 0 <= index < VIP_HOSTS:
            raise ValueError("vip index must be 0..%d" % (VIP_HOSTS - 1))
        link = link or (self.client_links[0] if self.client_links else self.links[0][0])
        return "%s/%d" % self._link_addr(link, VIP_HOST_BASE + index)

    def client_link_for(self, addr):
        """The client link whose network holds addr (a /PREFIX is ignored)."""
        import ipaddress
        ip = ipaddress.ip_address(str(addr).split("/")[0])
        for link in self.client_links:
            net = ipaddress.ip_interface("%s/%d" % (self.client_addr[link], self.client_plen[link])).network
            if ip in net:
                return link
        raise LabError("no client link's network holds %s (client on %s)" % (
            addr, ", ".join(self.client_links) or "nothing"))

    def mac(self, name, link):
        """The MAC of `link`'s interface in a node ("n1") or in the client
        ("client")."""
        ns = self.client_ns if name == "client" else self.node(name).ns
        out = _run([self.ip, "-n", ns, "-j", "link", "show", "dev", link]).stdout
        return json.loads(out)[0]["address"]

    def client_neigh(self, addr, link=None):
        """(MAC or None, state) of the client's neighbour-cache entry for addr
        (ip -j neigh), or None when it has none."""
        link = self._need_client(link or self.client_link_for(addr))
        host = str(addr).split("/")[0]
        out = _run([self.ip, "-n", self.client_ns, "-j", "neigh", "show", "to", host,
                    "dev", link]).stdout
        for e in json.loads(out or b"[]"):
            if e.get("dst") == host:
                state = e.get("state") or []
                return e.get("lladdr"), "|".join(state) if isinstance(state, list) else state
        return None

    def client_ping(self, addr, count=1, timeout=2.0):
        """ICMP echo from the client to addr (netns_helper.py ping); True on a
        reply. Also makes the client's neighbour cache hold an entry for it."""
        self._need_client()
        host = str(addr).split("/")[0]
        r = _run([self.ip, "netns", "exec", self.client_ns, SYS_PYTHON, HELPER, "ping",
                  "--dst", host, "--count", str(count), "--timeout", str(timeout)],
                 check=False, timeout=timeout * count + 10)
        return r.returncode == 0

    def _start_ready(self, ns, argv, what, err_path, timeout=10.0):
        """Popen of argv in ns (a helper of the lab, killed at close) that
        prints "ready" once it runs; LabError with its stderr otherwise."""
        import select
        err = open(err_path, "ab")
        try:
            p = subprocess.Popen([self.ip, "netns", "exec", ns] + argv, stdin=subprocess.DEVNULL,
                                 stdout=subprocess.PIPE, stderr=err, close_fds=True)
        finally:
            err.close()
        self.helpers.append(p)
        self._write_state()
        r, _, _ = select.select([p.stdout], [], [], timeout)
        line = p.stdout.readline() if r else b""
        if line.strip() != b"ready":
            if p.poll() is None:
                p.kill()
            p.wait(timeout=10)
            raise LabError("%s did not start (exit %s): %s" % (what, p.returncode, _tail(err_path, 10)))
        return p

    def stop_process(self, p, timeout=5.0):
        """SIGTERM (SIGKILL after `timeout`) to a helper this lab started;
        returns its exit code."""
        if p.poll() is None:
            _signal_pid(p.pid, signal.SIGTERM)
            try:
                p.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait(timeout=10)
        if p in self.helpers:
            self.helpers.remove(p)
        if p.stdout:
            p.stdout.close()
        return p.returncode

    def tcp_server(self, name, port=8080, text=None, duration=60.0):
        """A TCP server in a node's namespace (vip_probe.py serve) on [::]:port
        (IPv4 too) that sends `text` (default: the node's name) and a newline
        to every connection and closes it. Stops after `duration` s, at
        stop_process(p), or at close. Returns the Popen."""
        node = self.node(name)
        return self._start_ready(node.ns, [SYS_PYTHON, VIP_PROBE, "serve", "--port", str(port),
                                           "--text", text if text is not None else node.name,
                                           "--duration", str(duration)],
                                 "TCP server in %s" % node.ns,
                                 os.path.join(self.tmp, "server-%s-%d.err" % (node.name, port)))

    def probe_vip(self, vip, duration, interval=0.01, link=None, count=None, tcp_port=None,
                  tcp_timeout=None, tcp_every=1, tcp_send=None, stealth=True, wait=True):
        """Run vip_probe.py in the client namespace for `duration` seconds
        (and at most `count` rounds): who answers for `vip` every `interval`,
        the client's neighbour cache, and (tcp_port) a TCP connection to
        VIP:PORT per `tcp_every` rounds. On `link` (default: the client link
        whose network holds vip). stealth: probe from the lab's probe identity
        (CLIENT_PROBE_HOST and a MAC of its own), so that the answers never
        reach the client's kernel; False: from the client's own address.

        wait=True: returns the vip_timeline.Timeline at the end. wait=False:
        returns a VipProbe at once (probing has started): .timeline() so far,
        .wait_until(pred, timeout), .stop() -> Timeline, .wait() -> Timeline."""
        link = self._need_client(link or self.client_link_for(vip))
        self._n_probes += 1
        path = os.path.join(self.tmp, "probe-%d.jsonl" % self._n_probes)
        argv = [SYS_PYTHON, VIP_PROBE, "probe", "--iface", link, "--vip", str(vip),
                "--out", path, "--duration", str(duration), "--interval", str(interval)]
        if count is not None:
            argv += ["--count", str(count)]
        if stealth:
            argv += ["--probe-src", self.probe_src[link]]
        if tcp_port:
            argv += ["--tcp-port", str(tcp_port), "--tcp-every", str(tcp_every)]
            if tcp_timeout is not None:
                argv += ["--tcp-timeout", str(tcp_timeout)]
            if tcp_send is not None:
                argv += ["--tcp-send", tcp_send]
        err = path[:-len(".jsonl")] + ".err"
        p = self._start_ready(self.client_ns, argv, "vip_probe.py in %s" % self.client_ns, err)
        probe = VipProbe(self, p, path, err, duration)
        self.probes.append(probe)
        return probe.wait() if wait else probe

    # ------------------------------------------------------------ cleanup

    def close(self):
        """Stop every process, delete every namespace, remove the temp dir.
        Idempotent; never raises. Returns the list of problems found (daemons
        that exited nonzero on SIGTERM, or died unasked)."""
        if self._closed:
            return self.problems
        self._closed = True
        try:
            self.problems += ["%s died unexpectedly" % d for d in self.check_daemons()]
            if self.witness_proc is not None and not self.witness_expected_exit \
                    and self.witness_proc.poll() is not None:
                self.problems.append("vigil-witness died unexpectedly (exit %s): %s" % (
                    self.witness_proc.returncode, _tail(self.witness_log, 5)))
            if self.squid is not None and self.squid.poll() is not None:
                self.problems.append("squid died unexpectedly (exit %s): %s" % (
                    self.squid.returncode, _tail(self.squid_cache_log, 5)))
            if self.bindfs is not None and self.bindfs.poll() is not None:
                self.problems.append("bindfs died unexpectedly (exit %s): %s" % (
                    self.bindfs.returncode, _tail(self.bindfs_log, 5)))
            # a frozen disk first: daemons blocked on its I/O must be able to stop
            if self.bindfs is not None and self.bindfs.poll() is None:
                _signal_pid(self.bindfs.pid, signal.SIGCONT)
                self.disk_frozen = False
            procs = [n for n in self.nodes.values() if n.running()]
            for n in procs:
                n.expected_exit = True
                for sig in (signal.SIGCONT, signal.SIGTERM):  # SIGCONT first: _kill_ns_processes()
                    try:
                        os.kill(n.pid, sig)
                    except ProcessLookupError:
                        pass
            for h in self.helpers:
                if h.poll() is None:
                    h.kill()
            deadline = time.monotonic() + 5.0
            for n in procs:
                try:
                    rc = n.proc.wait(timeout=max(0.1, deadline - time.monotonic()))
                    n.exits.append((rc, rc == 0))
                    if rc != 0:
                        self.problems.append("%s exited with %s on SIGTERM" % (n.name, rc))
                except subprocess.TimeoutExpired:
                    self.problems.append("%s did not stop within 5s of SIGTERM; killed" % n.name)
                    n.proc.kill()
                    n.proc.wait(timeout=10)
            for h in self.helpers:
                try:
                    h.wait(timeout=5)
                except subprocess.TimeoutExpired:
                    pass
            if self.witness_running():
                self.witness_expected_exit = True
                _signal_pid(self.witness_proc.pid, signal.SIGTERM)
                try:
                    self.witness_proc.wait(timeout=5)
                except subprocess.TimeoutExpired:
                    self.problems.append("vigil-witness did not stop within 5s of SIGTERM; killed")
                    self.witness_proc.kill()
                    self.witness_proc.wait(timeout=10)
            self.proxy_stop()
            self._unmount_disk()
            # anything else still inside our namespaces (children of daemons)
            existing = _existing_netns()
            mine = [ns for ns in self.namespaces if ns in existing]
            _kill_ns_processes(mine)
            for ns in reversed(mine):
                _run([self.ip, "netns", "del", ns], check=False)
            left = [ns for ns in self.namespaces if ns in _existing_netns()]
            if left:
                self.problems.append("namespaces not removed: %s" % ", ".join(left))
            still = [m for m in self.mounts if _mounted(m)]
            if still:
                self.problems.append("still mounted: %s (temporary directory kept)" % ", ".join(still))
            elif not self.keep_dir:
                shutil.rmtree(self.tmp, ignore_errors=True)
            else:
                sys.stderr.write("vigil_lab: kept %s\n" % self.tmp)
            if not left and not still:
                try:
                    os.unlink(self._state_file)
                except FileNotFoundError:
                    pass
        except Exception as e:  # never let cleanup hide the real failure
            self.problems.append("cleanup error: %r" % (e,))
        try:
            atexit.unregister(self.close)
        except Exception:
            pass
        return self.problems


class VipProbe:
    """A vip_probe.py running in a lab's client namespace (Lab.probe_vip(...,
    wait=False)). The recording is read while it grows, or at the end."""

    def __init__(self, lab, proc, path, err_path, duration):
        self.lab, self.proc, self.path, self.err_path = lab, proc, path, err_path
        self.duration = duration
        self.started = time.monotonic()

    @property
    def pid(self):
        return self.proc.pid

    def running(self):
        return self.proc.poll() is None

    def timeline(self):
        """What has been recorded so far (the prober flushes every round)."""
        _timeline_module()
        import vip_timeline
        return vip_timeline.Timeline.from_file(self.path)

    def wait_until(self, predicate, timeout, what="condition", interval=0.02):
        """Poll predicate(timeline) until it is true, at most `timeout` s and
        timeout/interval+2 times; returns its value. AssertionError with the
        timeline's summary otherwise (or when the prober stopped)."""
        deadline = time.monotonic() + timeout
        tl = None
        for _ in range(int(timeout / interval) + 2):
            tl = self.timeline()
            v = predicate(tl)
            if v:
                return v
            if not self.running() or time.monotonic() >= deadline:
                break
            time.sleep(interval)
        raise AssertionError("timed out after %.2fs waiting for %s%s\n%s" % (
            timeout, what, "" if self.running() else " (the prober exited %s)" % self.proc.returncode,
            tl.summary() if tl else "(no recording)"))

    def _finish(self):
        self.lab.stop_process(self.proc)
        if self.proc.returncode != 0:
            raise LabError("vip_probe.py exited %s: %s" % (self.proc.returncode, _tail(self.err_path, 10)))
        tl = self.timeline()
        if not tl.complete:
            raise LabError("vip_probe.py left no end record in %s: %s" % (
                self.path, _tail(self.err_path, 10)))
        return tl

    def wait(self, timeout=None):
        """Wait for the prober's own end (duration or count; at most `timeout`
        s, default duration + 10) and return the Timeline."""
        left = (self.duration + 10.0) if timeout is None else timeout
        try:
            self.proc.wait(timeout=max(0.0, self.started + left - time.monotonic()))
        except subprocess.TimeoutExpired:
            self.lab.stop_process(self.proc)
            raise LabError("vip_probe.py did not end within %.1fs" % left)
        return self._finish()

    def stop(self):
        """SIGTERM: the prober writes what it has and its end record; returns
        the Timeline."""
        return self._finish()


def _timeline_module():
    if HERE not in sys.path:
        sys.path.insert(0, HERE)


def _tail(path, lines=20):
    try:
        with open(path, "rb") as f:
            f.seek(0, os.SEEK_END)
            f.seek(max(0, f.tell() - 16384))
            return "\n".join(f.read().decode(errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no log %s)" % path


def _dur(text):
    t = str(text).strip()
    for unit, mul in (("ms", 1e-3), ("us", 1e-6), ("s", 1.0), ("m", 60.0), ("h", 3600.0)):
        if t.endswith(unit):
            return float(t[:-len(unit)]) * mul
    return float(t)


def detection_delay(observer_status, target, t0):
    """since_mono of `target` in `observer_status` minus t0 (seconds)."""
    return Lab.entry(observer_status, target)["since_mono"] - t0


if __name__ == "__main__":
    import argparse
    ap = argparse.ArgumentParser(description="Vigil lab utilities")
    ap.add_argument("--cleanup-stale", action="store_true",
                    help="remove labs whose owner process is gone")
    ap.add_argument("--selftest", action="store_true",
                    help="build a 3-node network without daemons, ping, nft, clean up")
    a = ap.parse_args()
    if a.cleanup_stale:
        print("removed: %s" % (", ".join(cleanup_stale(verbose=True)) or "nothing"))
    else:
        ap.print_help()
