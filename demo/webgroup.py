"""The group `web` of the demo and of bench/failover, on a lab of
tests/system/vigil_lab.py: a floating IPv4 address on lan1, a floating
IPv6 address on lan2 and an HTTP server (demo/webapp.py) that names the
node serving it; a node crash; what the client saw of a failover.
docs/demo.md describes it."""

import os
import re
import signal
import subprocess
import time

import vigil_lab

HERE = os.path.dirname(os.path.abspath(__file__))
WEBAPP = os.path.join(HERE, "webapp.py")
PORT = 80
HTTP_GET = "GET / HTTP/1.0\r\nHost: web\r\n\r\n"
LOG_RE = re.compile(r"^\[\s*(\d+\.\d+)\] vigild\[([^\]]+)\] (\w+): (.*)$")
INSTALLED_RE = re.compile(r"^view (\d+) installed \(coordinator (\S+)\): members ([^;]*);")


def make_lab(interval="100ms", timeout="500ms", **extra):
    """A 3-node lab (lan1 IPv4, lan2 IPv6, a client on both) with the group
    web configured (fencing = none) and the daemons started."""
    lab = vigil_lab.Lab(3, interval=interval, timeout=timeout, start=False,
                        client=["lan1", "lan2"], **extra)
    try:
        lab.vip4 = lab.vip_addr(0, "lan1")
        lab.vip6 = lab.vip_addr(0, "lan2")
        lab.write_config(config_text(lab))
        lab.start_all()
    except BaseException:
        lab.close()
        raise
    return lab


def app_dir(lab, node):
    return os.path.join(lab.nodes[node].state_dir, "web")


def config_text(lab):
    py = vigil_lab.SYS_PYTHON
    app = "%s %s %%s --dir %s" % (py, WEBAPP, os.path.join(lab.tmp, "$VIGIL_NODE", "web"))
    text = lab.config_text().replace(
        "[cluster]\n",
        "[cluster]\n"
        "# a demo choice: without fencing (issue 6) a node that vanished counts as\n"
        "# stopped at once; unsafe in production (a cut-off node may still serve)\n"
        "fencing = none\n", 1)
    return text + """
[group "web"]
nodes = n1, n2, n3
monitor-interval = 1s

[resource "web/vip4"]
type = ip
address = %(vip4)s

[resource "web/vip6"]
type = ip
address = %(vip6)s

[resource "web/http"]
type = exec
start = %(start)s
stop = %(stop)s
monitor = %(monitor)s
""" % {"vip4": lab.vip4, "vip6": lab.vip6, "start": app % "start" + " --port %d" % PORT, "stop": app % "stop",
       "monitor": app % "monitor"}


def web(status):
    for g in status.get("groups") or []:
        if g.get("name") == "web":
            return g
    return {}


def online_on(lab, node, names):
    for n in names:
        g = web(lab.status(n))
        if g.get("state") != "online" or g.get("node") != node:
            return False
    return True


def wait_online(lab, node, names=("n1", "n2", "n3"), timeout=10.0):
    lab.wait_for(lambda: online_on(lab, node, names), timeout,
                 "web online on %s in the status of %s" % (node, ", ".join(names)))


def holder(lab, names=("n1", "n2", "n3")):
    """The node every running node's status says web is online on, or None."""
    seen = set()
    for n in names:
        if lab.nodes[n].running():
            g = web(lab.status(n))
            seen.add(g.get("node") if g.get("state") == "online" else None)
    return seen.pop() if len(seen) == 1 else None


def fetch(lab, host, timeout=2.0):
    """GET http://HOST/ from the client namespace (urllib); the body, or
    "error: ..." ."""
    url = "http://[%s]/" % host if ":" in host else "http://%s/" % host
    code = ("import sys, urllib.request\n"
            "try:\n"
            "    print(urllib.request.urlopen(sys.argv[1], timeout=%r).read().decode().strip())\n"
            "except Exception as e:\n"
            "    print('error: %%s' %% e)\n" % timeout)
    r = subprocess.run([lab.ip, "netns", "exec", lab.client_ns, vigil_lab.SYS_PYTHON, "-c", code, url],
                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=timeout + 10)
    return r.stdout.decode(errors="replace").strip()


def app_pid(lab, node):
    try:
        with open(os.path.join(app_dir(lab, node), "webapp.pid")) as f:
            return int(f.read().split()[0])
    except (OSError, ValueError, IndexError):
        return None


def node_ifaces(lab):
    return [l for l, _ in lab.links] + (["wan"] if lab.witness_link else [])


def crash(lab, node):
    """A node crash: kill -9 of vigild and of the web server, and every
    link of the node down at once (killing vigild leaves the address in the
    kernel). Returns time.monotonic() right before the kill."""
    pid = app_pid(lab, node)
    t0 = lab.kill9(node)
    if pid:
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
    batch = "".join("link set %s down\n" % i for i in node_ifaces(lab))
    subprocess.run([lab.ip, "-n", lab.nodes[node].ns, "-batch", "-"], input=batch.encode(), check=True,
                   timeout=10)
    return t0


def reboot(lab, node):
    """The crashed node comes back as after a reboot: no floating address
    left, links up, vigild started."""
    ns = lab.nodes[node].ns
    for vip, link in ((lab.vip4, "lan1"), (lab.vip6, "lan2")):
        subprocess.run([lab.ip, "-n", ns, "addr", "del", vip, "dev", link],
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=10)
    for i in node_ifaces(lab):
        lab.link_up(node, i)
    lab.start(node)


def log_events(lab, node, after):
    """[(mono, level, message)] of node's log lines from `after` on."""
    out = []
    try:
        with open(lab.nodes[node].log, errors="replace") as f:
            lines = f.read().splitlines()
    except FileNotFoundError:
        return out
    for line in lines:
        m = LOG_RE.match(line)
        if m and m.group(2) == node and float(m.group(1)) >= after - 0.001:
            out.append((float(m.group(1)), m.group(3), m.group(4)))
    return out


def view_without(lab, node, gone, after):
    """When `node` installed (after `after`) its first view without `gone`."""
    for t, _, msg in log_events(lab, node, after):
        m = INSTALLED_RE.match(msg)
        if m and gone not in [x.strip() for x in m.group(3).split(",")]:
            return t
    return None


def measure(lab, tl, old, new, t0):
    """What the client saw of the failover old -> new (the prober's
    Timeline tl, the crash at t0), and when the new holder's view changed.
    Times in seconds; None where something is missing."""
    arp = tl.failover(lab.mac(old, "lan1"), lab.mac(new, "lan1"))
    # TCP: from the last attempt answered by the old holder, taken when it
    # connected (the page follows at once; its end can be much later when
    # the crash lost the server's FIN), to the end of the first attempt
    # answered by the new one. An empty reply (connected, then the server
    # died) is no answer.
    t_new, olds, later_old = None, [], False
    for x in tl.tcp:
        if x.result != "ok":
            continue
        if "served by %s" % new in (x.reply or ""):
            t_new = x.t_end if t_new is None else min(t_new, x.t_end)
        elif "served by %s" % old in (x.reply or ""):
            olds.append(x.t + (x.connect_ms or 0) / 1000.0)
    if t_new is not None:
        later_old = any(t > t_new for t in olds)
        olds = [t for t in olds if t < t_new]
    tcp = None
    if t_new is not None and olds:
        tcp = {"t_last_ok": max(olds), "t_first_ok": t_new, "duration": t_new - max(olds)}
    t_view = view_without(lab, new, old, t0)
    r = {"t0": t0, "arp_gap": arp["gap"], "t_last_old": arp["t_last_old"],
         "t_first_new": arp["t_first_new"], "double": len(tl.violations()) > 0 or arp["old_after_new"] or later_old,
         "tcp_gap": tcp["duration"] if tcp else None,
         "tcp_last_ok": tcp["t_last_ok"] if tcp else None,
         "tcp_first_ok": tcp["t_first_ok"] if tcp else None,
         "t_view": t_view}
    r["view_after_crash"] = (t_view - t0) if t_view is not None else None
    r["arp_overhead"] = (arp["t_first_new"] - t_view) if t_view is not None and arp["t_first_new"] else None
    r["tcp_overhead"] = (tcp["t_first_ok"] - t_view) if t_view is not None and tcp else None
    return r


def leftover_processes(lab):
    """Pids of processes whose command line names the lab's directory
    (web servers, agents): none may be left once the lab is closed."""
    out = []
    for d in os.listdir("/proc"):
        if d.isdigit() and int(d) != os.getpid():
            try:
                with open("/proc/%s/cmdline" % d, "rb") as f:
                    if lab.tmp.encode() in f.read():
                        out.append(int(d))
            except OSError:
                pass
    return out
