"""Vigil (this repo): vigild per node, a group `bench` holding the VIP (a
`type = ip` resource), `fencing = none` (as bench/failover: no fencing
device in the lab, and the peers run without fencing too)."""

import re
import subprocess
import time

import vigil_lab

DEFAULT = ("200ms", "1s")     # docs/configuration.md: the [cluster] defaults


class System:
    name = "vigil"
    MEMBERSHIP_RE = re.compile(r"\bview \d+ installed\b")
    MEMBERSHIP_WHAT = "views installed (vigild's log)"
    private = ()
    nodes = 3
    move_how = "`vigilctl move bench NODE`, then `vigilctl move bench --clear` once it is there"

    def __init__(self, interval=DEFAULT[0], timeout=DEFAULT[1], why="its defaults"):
        self.interval, self.timeout = interval, timeout
        self.period = vigil_lab._dur(interval)
        self.label = "Vigil %s/%s" % (interval, timeout)
        self.timing = "interval %s, timeout %s (%s)" % (interval, timeout, why)

    def version(self):
        rev = subprocess.run(["git", "-C", vigil_lab.REPO, "describe", "--always", "--dirty"],
                             capture_output=True).stdout.decode().strip()
        return "vigild %s (this repo)" % (rev or "?")

    def config_text(self, tb):
        lab = tb.lab
        lab.interval, lab.timeout = self.interval, self.timeout
        text = lab.config_text().replace("[cluster]\n", "[cluster]\nfencing = none\n", 1)
        return text + ('\n[group "bench"]\nnodes = %s\nmonitor-interval = 1s\n\n'
                       '[resource "bench/vip"]\ntype = ip\naddress = %s\n' % (", ".join(tb.names), tb.vip))

    def configure(self, tb):
        tb.lab.write_config(self.config_text(tb))
        return [tb.lab.conf]

    def start(self, tb, node):
        tb.lab.start(node, wait=False)

    def ready(self, tb, node):
        st = tb.lab.try_status(node)
        if not st or st.get("view", {}).get("members") != tb.names:
            return False
        g = next((g for g in st.get("groups") or [] if g.get("name") == "bench"), {})
        return g.get("state") == "online"

    def move(self, tb, old, new):
        t0 = time.monotonic()
        subprocess.run([tb.lab.vigilctl, "--socket", tb.lab.nodes[old].socket, "move", "bench", new,
                        "--no-wait"], check=True, capture_output=True, timeout=10)
        return t0

    def after_move(self, tb, old, new):
        subprocess.run([tb.lab.vigilctl, "--socket", tb.lab.nodes[new].socket, "move", "bench", "--clear",
                        "--no-wait"], check=True, capture_output=True, timeout=10)

    def pre_crash(self, tb, node):
        tb.lab.nodes[node].expected_exit = True

    def post_crash(self, tb, node):
        n = tb.lab.nodes[node]
        n.proc.wait(timeout=10)
        n.exits.append((n.proc.returncode, True))

    def detected(self, tb, observer, gone, t0, t_wall):
        """Seconds from t0 (monotonic) until `observer` declared `gone`
        dead (its status: since_mono of the peer's state), or None yet."""
        st = tb.lab.try_status(observer)
        if not st:
            return None
        try:
            e = tb.lab.entry(st, gone)
        except vigil_lab.StatusError:
            return None
        if e.get("state") != "dead" or e.get("since_mono") is None or e["since_mono"] < t0:
            return None
        return e["since_mono"] - t0

    def logs(self, tb, node):
        return [tb.lab.nodes[node].log]


def missing():
    return None   # vigil_lab.missing_requirements() covers vigild and vigilctl


def scale_variant():
    """The timing of the scale scenario: bench/failover's."""
    return System("100ms", "400ms", "bench/failover's timing")


def variants(quick):
    """Vigil at its defaults, at the bench/failover timing, and at
    keepalived's default timing."""
    return [System(), System("100ms", "400ms", "bench/failover's timing, near keepalived advert_int 0.1"),
            System("1s", "3s", "matched to keepalived's default advert_int 1: a master is down after about 3 s")]

