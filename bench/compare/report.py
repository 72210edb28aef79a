"""bench/results/compare-DATE.md (and the PNG plot) from the measurements
of one bench/compare run: every figure in it comes from the `results`
dict that bench/compare/run filled; nothing is typed by hand."""

import os
import statistics

from scenarios import ms


def _stats(values):
    v = [x for x in values if x is not None]
    if not v:
        return len(v), "-", "-", "-"
    return len(v), ms(statistics.median(v)), ms(max(v)), ms(min(v))


def failover_table(results, kind):
    rows = ["| system | timing | nodes | runs | ARP outage median ms | worst | best | TCP outage median ms "
            "| worst | best | two holders |",
            "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"]
    any_row = False
    for r in results["systems"]:
        runs = r.get(kind)
        if runs is None:
            continue
        any_row = True
        n, amed, aworst, abest = _stats([m["arp_gap"] for m in runs])
        _, tmed, tworst, tbest = _stats([m["tcp_gap"] for m in runs])
        rows.append("| %s | %s | %d | %d | %s | %s | %s | %s | %s | %s | %d |" % (
            r["label"], r["timing"], r["nodes"], len(runs), amed, aworst, abest, tmed, tworst, tbest,
            sum(1 for m in runs if m["double"])))
    return rows if any_row else []


def every_run(results, kind):
    rows = ["| system | # | old → new | last TCP from old | first ARP from new | first TCP from new "
            "| ARP gap | TCP gap |", "| --- | ---: | --- | ---: | ---: | ---: | ---: | ---: |"]
    for r in results["systems"]:
        for i, m in enumerate(r.get(kind) or []):
            rows.append("| %s | %d | %s → %s | %s | %s | %s | %s | %s |" % (
                r["label"], i + 1, m["old"], m["new"], ms(m["last_old_tcp"]), ms(m["first_new_arp"]),
                ms(m["first_new_tcp"]), ms(m["arp_gap"]), ms(m["tcp_gap"])))
    return rows


def overhead_table(results):
    rows = ["| system | timing | window s | CPU % of one core, per node (median / max) "
            "| RSS MiB per node (median / max) | processes per node |",
            "| --- | --- | ---: | ---: | ---: | ---: |"]
    any_row = False
    for r in results["systems"]:
        o = r.get("overhead")
        if not o:
            continue
        any_row = True
        cpu = [v["cpu_pct"] for v in o["nodes"].values()]
        rss = [v["rss_kib"] / 1024.0 for v in o["nodes"].values()]
        procs = sorted({v["processes"] for v in o["nodes"].values()})
        rows.append("| %s | %s | %.0f | %.2f / %.2f | %.1f / %.1f | %s |" % (
            r["label"], r["timing"], o["duration"], statistics.median(cpu), max(cpu),
            statistics.median(rss), max(rss), ", ".join(str(p) for p in procs)))
    return rows if any_row else []


def busy_table(results):
    rows = ["| system | timing | stress s | VIP moves seen by the client | rounds with two holders "
            "| longest silence ms | membership events per node | what was counted |",
            "| --- | --- | ---: | ---: | ---: | ---: | --- | --- |"]
    any_row = False
    for r in results["systems"]:
        b = r.get("busy")
        if not b:
            continue
        any_row = True
        rows.append("| %s | %s | %.0f | %d | %d | %s | %s | %s |" % (
            r["label"], r["timing"], b["duration"], b["vip_moves"], b["double_rounds"], ms(b["longest_silence"]),
            ", ".join("%s %d" % kv for kv in sorted(b["membership_events"].items())), b["events_what"]))
    return rows if any_row else []


def scale_table(results):
    rows = ["| system | timing | nodes | detection median ms | worst | best | CPU % per node median / max "
            "| RSS MiB per node median / max |", "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: |"]
    any_row = False
    for r in results.get("scale") or []:
        for p in r["scale"]:
            any_row = True
            rows.append("| %s | %s | %d | %s | %s | %s | %.2f / %.2f | %.1f / %.1f |" % (
                r["label"], r["timing"], p["nodes"], ms(p["detect_median"]), ms(p["detect_max"]),
                ms(p["detect_min"]), p["cpu_median"], p["cpu_max"], p["rss_kib_median"] / 1024.0,
                p["rss_kib_max"] / 1024.0))
    return rows if any_row else []


def plot(results, path):
    """A PNG of the crash outages (TCP) per system, one dot per crash and
    the median as a bar; False when matplotlib is missing or nothing to plot."""
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return False
    series = [(r["label"], [m["tcp_gap"] * 1000 for m in r.get("crash") or [] if m["tcp_gap"] is not None])
              for r in results["systems"]]
    series = [(label, v) for label, v in series if v]
    if not series:
        return False
    fig, ax = plt.subplots(figsize=(8, 0.6 * len(series) + 1.6))
    for i, (label, v) in enumerate(series):
        ax.scatter(v, [i] * len(v), s=18, alpha=0.7)
        med = statistics.median(v)
        ax.plot([med, med], [i - 0.3, i + 0.3], color="black")
    ax.set_yticks(range(len(series)))
    ax.set_yticklabels([label for label, _ in series])
    ax.set_xlabel("outage after a crash of the VIP holder, ms (client, TCP; bar: median)")
    ax.set_xscale("log")
    ax.grid(axis="x", which="both", alpha=0.3)
    ax.set_title("bench/compare %s%s" % (results["started"], " (quick run)" if results["quick"] else ""), fontsize=10)
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return True


def markdown(results, repo, png):
    q = results["quick"]
    lines = ["# bench/compare: Vigil side by side with keepalived, Heartbeat and Corosync + Pacemaker", ""]
    if results.get("note"):
        lines += ["**Note: %s**" % results["note"], ""]
    ran = lambda key: any(r.get(key) for r in results["systems"])  # noqa: E731
    short = [w for w, bad in (("%d runs per failover scenario" % results["runs"],
                               results["runs"] < 10 and (ran("crash") or ran("move"))),
                              ("an overhead window of %.0f s" % results.get("overhead_seconds", 60),
                               results.get("overhead_seconds", 60) < 60 and ran("overhead")),
                              ("a busy window of %.0f s" % results.get("busy_seconds", 600),
                               results.get("busy_seconds", 600) < 600 and ran("busy")),
                              ("scale at %s nodes" % ", ".join(str(n) for n in results.get("scale_nodes") or []),
                               bool(results.get("scale")) and results.get("scale_nodes") != [8, 16, 32])) if bad]
    if q or short:
        lines += ["**A short run (%s%s; the full run: 10 runs, 60 s, 600 s, 8/16/32 nodes): it shows that the harness "
                  "works; its figures are no comparison.**" % ("`--quick`: " if q else "", ", ".join(short)), ""]
    lines += ["- command: `%s`" % results["command"],
              "- run: %s UTC, revision %s" % (results["started"], results["revision"]),
              "- machine: %s" % results["machine"],
              "- testbed: network namespaces (tests/system/vigil_lab.py): %s; the client namespace on lan1 "
              "probes the VIP %s every 10 ms (an ARP request, and a TCP connection to port %d where every "
              "node runs a service that answers its name: vip_probe.py)" % (
                  results["testbed"], results["vip"], results["port"]),
              "- outage: the last answer from the old holder to the first from the new one, as the client "
              "saw it (ARP: who answers for the VIP; TCP: who serves the connection)",
              ""]
    lines += ["## Versions", ""] + ["- %s: %s" % (r["label"], r["version"])
                                    for r in results["systems"] + (results.get("scale") or [])] + [""]
    crash = failover_table(results, "crash")
    if crash:
        lines += ["## Scenario 1: crash of the VIP holder", "",
                  "Every process of the holder frozen (SIGSTOP), its links down, then killed (SIGKILL): "
                  "the node dies at once, at a random phase of the heartbeat; the node then comes back "
                  "(links up, no VIP, its stack started) "
                  "and the next crash is of the new holder.", ""] + crash + [""]
        if png:
            lines += ["![crash outages](%s)" % os.path.basename(png), ""]
    move = failover_table(results, "move")
    if move:
        lines += ["## Scenario 2: administrative move of the VIP", "",
                  "Each system's own way to hand over: " + "; ".join(
                      "%s: %s" % (r["label"], r["move_how"]) for r in results["systems"] if r.get("move")) + ".",
                  ""] + move + [""]
    oh = overhead_table(results)
    if oh:
        lines += ["## Scenario 4: overhead of an idle cluster", "",
                  "CPU time (user + system, reaped children included) and resident memory of every "
                  "process of the stack on each node (not the service), over the window.", ""] + oh + [""]
    busy = busy_table(results)
    if busy:
        lines += ["## Scenario 3: busy nodes", "",
                  "stress-ng on every node at once (`--cpu %d --vm 1 --vm-bytes 256M --io 1`: the machine's "
                  "cores saturated, memory and I/O stressed), each system at its fastest timing here; the "
                  "client probes the VIP by ARP every 10 ms. A VIP move or a membership change is a false "
                  "failover: no node failed." % os.cpu_count(), ""] + busy + [""]
    sc = scale_table(results)
    if sc:
        lines += ["## Scenario 5: scale", "",
                  "Per size, a fresh cluster: CPU and RSS of the stack on each node over the overhead window "
                  "(idle), then a crash of the last node (not the VIP holder): how long until each survivor "
                  "declared it gone (Vigil: the peer's `since_mono` in the survivor's status; Corosync: the "
                  "survivor's log line \"A new membership ... Members left\", millisecond timestamps).", ""] + sc + [""]
    lines += ["## Timing and configuration of each system, and why", "",
              "The generated files are copies of what each node used (`NODE/fs/etc_ha.d/ha.cf` is what node "
              "NODE saw as `/etc/ha.d/ha.cf`); paths inside them point to the run's temporary directory.", ""]
    seen = set()
    for r in results["systems"]:
        if r["name"] not in seen:
            seen.add(r["name"])
            lines += ["- **%s**: %s" % (r["name"], r["why"])]
        lines += ["  - %s: %s; generated configuration: %s" % (
            r["label"], r["timing"], ", ".join("`%s`" % os.path.relpath(p, repo) for p in r["configs"]))]
    lines += [""]
    if results.get("errors"):
        lines += ["## What did not run", ""] + ["- %s" % e for e in results["errors"]] + [""]
    for kind, title in (("crash", "Every crash"), ("move", "Every move")):
        if any(r.get(kind) for r in results["systems"]):
            lines += ["## %s (ms after the %s)" % (title, kind), ""] + every_run(results, kind) + [""]
    return "\n".join(lines)
