"""Corosync 3 + Pacemaker 2 (Debian's packages): corosync (knet, both
links: ring0 on lan1, ring1 on lan2, no crypto) and pacemakerd on each of
3 nodes, the VIP an `ocf:heartbeat:IPaddr2` primitive (nic lan1, monitor
every 10 s), `resource-stickiness=100` (no take-back when a node returns,
as the others), fencing disabled (`stonith-enabled=false`: no fencing
device in the lab, and none of the others fences here either; with
fencing, Pacemaker would also wait for the fence before moving the VIP).
Quorum: votequorum, 3 votes. Timings: corosync's defaults (token 3000 ms,
token_coefficient 650 ms per node above two), and the token matched to
Vigil's 400 ms timeout (token_coefficient 0, consensus 1.2 x token, the
default ratio). Per-node /etc/corosync, /var/lib/corosync,
/var/lib/pacemaker and /var/log/pacemaker are bind-mounted in the node."""

import os
import re
import shutil
import subprocess
import time
import xml.etree.ElementTree as ET

import testbed

# corosync's log, `timestamp: hires`: "Nov 23 17:31:23.456 [123] n1 corosync notice  [TOTEM ] A new
# membership (1.1c) was formed. Members left: 3"
NEW_MEMBERSHIP_RE = re.compile(r"^(\w{3} +\d+ \d\d:\d\d:\d\d(?:\.\d+)?) .*A new membership \S+ was formed\."
                               r".*Members left: ([\d ]+)")

PRIMITIVE = """<primitive id="vip" class="ocf" provider="heartbeat" type="IPaddr2">
  <instance_attributes id="vip-ia">
    <nvpair id="vip-ip" name="ip" value="%(ip)s"/>
    <nvpair id="vip-cidr" name="cidr_netmask" value="%(plen)s"/>
    <nvpair id="vip-nic" name="nic" value="lan1"/>
  </instance_attributes>
  <operations>
    <op id="vip-monitor" name="monitor" interval="10s" timeout="20s"/>
  </operations>
</primitive>"""


class System:
    name = "pacemaker"
    MEMBERSHIP_RE = re.compile(r"A new membership|Token has not been received")
    MEMBERSHIP_WHAT = "new memberships and token losses (corosync.log)"
    private = ("/etc/corosync", "/var/lib/corosync", "/var/lib/pacemaker", "/var/log/pacemaker")
    nodes = 3
    move_how = ("`crm_resource --move --resource vip --node NODE`, then `crm_resource --clear --resource vip` "
                "once it is there")

    def __init__(self, token=None, why="corosync's defaults"):
        self.token = token
        self.period = (token or 3000) / 1000.0   # crashes at a random phase within one token timeout
        self.label = "Corosync+Pacemaker token %s" % ("3000 (default)" if token is None else "%d" % token)
        self.timing = ("token 3000 ms + token_coefficient 650 ms per node above two, consensus 1.2 x token "
                       "(%s)" % why if token is None else
                       "token %d ms, token_coefficient 0, consensus %d ms (%s)" % (token, int(token * 1.2), why))

    def version(self):
        c = subprocess.run(["corosync", "-v"], capture_output=True).stdout.decode().splitlines()
        p = subprocess.run(["pacemakerd", "--version"], capture_output=True).stdout.decode().splitlines()
        return "%s; %s" % (c[0].strip() if c else "corosync ?", p[0].strip() if p else "pacemaker ?")

    def conf_text(self, tb):
        totem = ["    version: 2", "    cluster_name: bench", "    transport: knet",
                 "    crypto_cipher: none", "    crypto_hash: none"]
        if self.token is not None:
            totem += ["    token: %d" % self.token, "    token_coefficient: 0",
                      "    consensus: %d" % int(self.token * 1.2)]
        nodes = []
        for i, n in enumerate(tb.names):
            nodes += ["    node {", "        name: %s" % n, "        nodeid: %d" % (i + 1),
                      "        ring0_addr: %s" % tb.addr(n, "lan1"), "        ring1_addr: %s" % tb.addr(n, "lan2"),
                      "    }"]
        return "\n".join(["# written by bench/compare", "totem {"] + totem + ["}", "", "nodelist {"] + nodes +
                         ["}", "", "quorum {", "    provider: corosync_votequorum", "}", "",
                          "logging {", "    to_logfile: yes", "    logfile: /var/log/pacemaker/corosync.log",
                          "    to_stderr: no", "    to_syslog: no", "    timestamp: hires", "}", ""])

    def configure(self, tb):
        out = []
        text = self.conf_text(tb)
        for node in tb.names:
            for path in self.private:
                if os.path.isdir(path):   # start from what the package made (owners, modes)
                    subprocess.run(["cp", "-a", path + "/.", tb.private_dir(node, path)], check=True)
            logdir = tb.private_dir(node, "/var/log/pacemaker")
            shutil.chown(logdir, "hacluster", "haclient")
            os.chmod(logdir, 0o770)
            conf = os.path.join(tb.private_dir(node, "/etc/corosync"), "corosync.conf")
            with open(conf, "w") as f:
                f.write(text)
            out.append(conf)
        cib = os.path.join(tb.node_dir(tb.names[0]), "cib-setup.sh")
        with open(cib, "w") as f:
            f.write(self.cib_script(tb))
        out.append(cib)
        return out

    def cib_script(self, tb):
        ip, plen = tb.vip.split("/")
        return "\n".join([
            "#!/bin/sh",
            "# written by bench/compare: the cluster's configuration, run once on n1 when every node is online",
            "set -e",
            "crm_attribute --type crm_config --name stonith-enabled --update false",
            "crm_attribute --type rsc_defaults --name resource-stickiness --update 100",
            "cibadmin --create --scope resources --xml-text '%s'" % (PRIMITIVE % {"ip": ip, "plen": plen}).replace(
                "\n", " "),
            ""])

    def env(self):
        e = dict(os.environ)
        e.update({"PCMK_logfile": "/var/log/pacemaker/pacemaker.log", "PCMK_debug": "no"})
        return e

    def start(self, tb, node):
        d = os.path.join(tb.node_dir(node), "log")
        tb.run(node, ["sh", "-c", "mkdir -p /run/crm && chown hacluster:haclient /run/crm"])
        tb.spawn(node, ["corosync", "-f"], os.path.join(d, "corosync.out"))
        testbed.wait_for(lambda: tb.run(node, ["corosync-cfgtool", "-s"], check=False, timeout=10).returncode == 0,
                         20, "corosync on %s to answer corosync-cfgtool -s" % node, interval=0.2)
        tb.spawn(node, ["pacemakerd"], os.path.join(d, "pacemakerd.out"), env=self.env())

    def bootstrap(self, tb, log):
        """Once every node is online: the CIB (properties, the VIP)."""
        testbed.wait_for(lambda: all(self.ready(tb, n) for n in tb.names), 120,
                         "every node online in Pacemaker (DC elected)", interval=0.5)
        tb.run(tb.names[0], ["sh", os.path.join(tb.node_dir(tb.names[0]), "cib-setup.sh")], timeout=60)

    def mon(self, tb, node):
        r = tb.run(node, ["crm_mon", "--one-shot", "--output-as=xml"], check=False, timeout=15)
        if r.returncode != 0:
            return None
        try:
            return ET.fromstring(r.stdout)
        except ET.ParseError:
            return None

    def ready(self, tb, node):
        x = self.mon(tb, node)
        if x is None:
            return False
        dc = x.find("./summary/current_dc")
        if dc is None or dc.get("present") != "true":
            return False
        nodes = {n.get("name"): n for n in x.findall("./nodes/node")}
        return all(n in nodes and nodes[n].get("online") == "true" and nodes[n].get("pending") == "false"
                   for n in tb.names)

    def move(self, tb, old, new):
        t0 = time.monotonic()
        tb.run(old, ["crm_resource", "--move", "--resource", "vip", "--node", new], timeout=30)
        return t0

    def after_move(self, tb, old, new):
        testbed.wait_for(lambda: tb.holders() == [new], 60, "the VIP on %s" % new)
        tb.run(new, ["crm_resource", "--clear", "--resource", "vip"], timeout=30)

    def pre_crash(self, tb, node):
        pass

    def post_crash(self, tb, node):
        pass

    def detected(self, tb, observer, gone, t0, t_wall):
        """Seconds from the crash (wall clock t_wall) until corosync on
        `observer` formed a membership without `gone` (its log line "A new
        membership ... Members left: ID", hires timestamps), or None yet."""
        gone_id = str(tb.names.index(gone) + 1)
        year = time.localtime(t_wall).tm_year
        path = os.path.join(tb.private_dir(observer, "/var/log/pacemaker"), "corosync.log")
        try:
            with open(path, errors="replace") as f:
                lines = f.read().splitlines()
        except OSError:
            return None
        for line in lines:
            m = NEW_MEMBERSHIP_RE.match(line)
            if not m or gone_id not in m.group(2).split():
                continue
            t = time.mktime(time.strptime("%d %s" % (year, m.group(1).split(".")[0]), "%Y %b %d %H:%M:%S"))
            t += float("0." + m.group(1).split(".")[1]) if "." in m.group(1) else 0.0
            if t >= t_wall - 0.001:
                return t - t_wall
        return None

    def logs(self, tb, node):
        d = tb.private_dir(node, "/var/log/pacemaker")
        o = os.path.join(tb.node_dir(node), "log")
        return [os.path.join(d, "corosync.log"), os.path.join(d, "pacemaker.log"),
                os.path.join(o, "corosync.out"), os.path.join(o, "pacemakerd.out")]


def missing():
    for tool in ("corosync", "pacemakerd", "crm_mon", "crm_resource", "cibadmin"):
        if not shutil.which(tool) and not os.path.exists("/usr/sbin/" + tool):
            return "%s is not installed (Debian packages corosync, pacemaker, pacemaker-cli-utils)" % tool
    return None


def scale_variant():
    """The timing of the scale scenario: the token matched to Vigil's."""
    return System(400, "matched to Vigil's 400 ms timeout")


def variants(quick):
    return [System(), System(400, "matched to Vigil's 400 ms timeout")]
