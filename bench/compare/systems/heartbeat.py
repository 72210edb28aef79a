"""Heartbeat 3 (Debian's package heartbeat 3.0.6) in its own resource
manager mode (`crm off`, haresources): the VIP as `IPaddr2::VIP/24/lan1`
(the OCF agent of resource-agents, as the issue asks). haresources mode
manages two nodes, so Heartbeat runs on a 2-node testbed. Heartbeats go
unicast on both links (`ucast lan1`, `ucast lan2`), `auto_failback off`
(no take-back, as the others). Timing: keepalive / deadtime matched to
Vigil's 100ms / 400ms and keepalived's advert_int 0.1 (3 x 0.1 s + skew);
Heartbeat takes millisecond values (`100ms`), warntime below deadtime."""

import os
import re
import shutil
import subprocess
import time

HEARTBEAT = "/usr/libexec/heartbeat/heartbeat"
HB_STANDBY = "/usr/share/heartbeat/hb_standby"


class System:
    name = "heartbeat"
    MEMBERSHIP_RE = re.compile(r"node \S+: is dead|Link \S+:\S+ dead|Late heartbeat|node \S+: status active")
    MEMBERSHIP_WHAT = "nodes or links declared dead or back, and late heartbeats (ha-log)"
    private = ("/etc/ha.d", "/var/lib/heartbeat")
    nodes = 2
    move_how = "`hb_standby` on the holder (it hands its resources to the other node)"

    def __init__(self, keepalive="100ms", deadtime="400ms", warntime="300ms", why="matched to Vigil 100ms/400ms"):
        self.keepalive, self.deadtime, self.warntime = keepalive, deadtime, warntime
        self.period = _dur(keepalive)
        self.label = "Heartbeat %s/%s" % (keepalive, deadtime)
        self.timing = "keepalive %s, deadtime %s, warntime %s (%s)" % (keepalive, deadtime, warntime, why)

    def version(self):
        r = subprocess.run(["dpkg-query", "-W", "-f", "${Version}", "heartbeat"], capture_output=True)
        return "heartbeat %s (Debian package)" % (r.stdout.decode().strip() or "?")

    def log(self, tb, node):
        return os.path.join(tb.node_dir(node), "log", "ha-log")

    def configure(self, tb):
        out = []
        for node in tb.names:
            etc = tb.private_dir(node, "/etc/ha.d")
            lib = tb.private_dir(node, "/var/lib/heartbeat")
            # the node's /etc/ha.d and /var/lib/heartbeat start as the package made them
            subprocess.run(["cp", "-a", "/etc/ha.d/.", etc], check=True)
            subprocess.run(["cp", "-a", "/var/lib/heartbeat/.", lib], check=True)
            peers = [p for p in tb.names if p != node]
            ucast = "".join("ucast %s %s\n" % (link, tb.addr(p, link)) for p in peers for link in ("lan1", "lan2"))
            with open(os.path.join(etc, "ha.cf"), "w") as f:
                f.write("""# written by bench/compare for node %(node)s
logfile %(log)s
use_logd no
keepalive %(ka)s
warntime %(wt)s
deadtime %(dt)s
initdead 10
udpport 694
%(ucast)sauto_failback off
crm off
%(nodes)s""" % {"node": node, "log": self.log(tb, node), "ka": self.keepalive, "wt": self.warntime,
                 "dt": self.deadtime, "ucast": ucast, "nodes": "".join("node %s\n" % n for n in tb.names)})
            with open(os.path.join(etc, "haresources"), "w") as f:
                f.write("%s IPaddr2::%s/lan1\n" % (tb.names[0], tb.vip))
            keys = os.path.join(etc, "authkeys")
            with open(keys, "w") as f:
                f.write("auth 1\n1 sha1 bench-compare-%s\n" % tb.lab.prefix)
            os.chmod(keys, 0o600)
            out += [os.path.join(etc, "ha.cf"), os.path.join(etc, "haresources"), keys]
        return out

    def start(self, tb, node):
        # a node back from a crash: no pid file left (as after a reboot)
        tb.run(node, ["sh", "-c", "rm -f /run/heartbeat.pid && "
                      "mkdir -p /run/heartbeat/ccm /run/heartbeat/crm /run/heartbeat/dopd /run/heartbeat/rsctmp && "
                      "chown -R hacluster:haclient /run/heartbeat && chmod 750 /run/heartbeat"])
        tb.spawn(node, [HEARTBEAT], os.path.join(tb.node_dir(node), "log", "heartbeat.out"))

    def ready(self, tb, node):
        r = tb.run(node, ["cl_status", "hbstatus"], check=False, timeout=10)
        if r.returncode != 0:
            return False
        for peer in tb.names:
            r = tb.run(node, ["cl_status", "nodestatus", peer], check=False, timeout=10)
            if r.stdout.decode().strip() != "active":
                return False
        r = tb.run(node, ["cl_status", "rscstatus"], check=False, timeout=10)
        return r.stdout.decode().strip() in ("all", "local", "none")

    def move(self, tb, old, new):
        t0 = time.monotonic()
        tb.run(old, [HB_STANDBY], timeout=30)
        return t0

    def after_move(self, tb, old, new):
        pass

    def pre_crash(self, tb, node):
        pass

    def post_crash(self, tb, node):
        pass

    def logs(self, tb, node):
        return [self.log(tb, node), os.path.join(tb.node_dir(node), "log", "heartbeat.out")]


def _dur(text):
    return float(text[:-2]) / 1000 if text.endswith("ms") else float(text)


def missing():
    return None if os.access(HEARTBEAT, os.X_OK) and shutil.which("cl_status") else \
        "Heartbeat is not installed (Debian package heartbeat)"


def variants(quick):
    return [System()]
