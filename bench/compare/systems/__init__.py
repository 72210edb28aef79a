"""The systems bench/compare measures, one module each. A system is a
class with:

    name, label           "keepalived", "keepalived advert_int 0.1"
    timing                one line: the timing it runs with, and why
    private               paths each node must have its own copy of (testbed.py)
    period                its heartbeat period in seconds (crashes at a random phase of it)
    version()             the version string of what runs
    configure(tb)         write every node's configuration; returns [paths]
    start(tb, node)       start the stack on node (not waiting)
    ready(tb, node)       True once node is a working member, standing by or holding
    move(tb, old, new)    an administrative move of the VIP to new; returns t0 (monotonic)
    after_move(tb, old, new)   undo what move() left (a constraint, a stopped daemon)
    pre_crash(tb, node)   bookkeeping before testbed.crash() kills the node
    post_crash(tb, node)  bookkeeping after it
    logs(tb, node)        its log files (kept with the results when a run fails)
"""

from . import vigil, keepalived, heartbeat, pacemaker  # noqa: F401

SYSTEMS = {"vigil": vigil, "keepalived": keepalived, "heartbeat": heartbeat,
           "pacemaker": pacemaker}
