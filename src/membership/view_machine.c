/* The view-agreement state machine (see view.h and docs/membership.md).
 * model/view.pml is its Promela model: view_tick's proposal start is the
 * model's `propose`, view_on_propose its `accept`, view_on_ack/commit its
 * `collect` and `install`. */
#include "view.h"

#include <string.h>

static void send(struct view_out *out, enum view_msg_type type, int to, uint64_t epoch,
                 node_mask members, uint64_t aux)
{
    if (out->n >= VIEW_OUT_MAX)
        return; /* cannot happen: at most one message per peer per kind and call */
    out->msgs[out->n++] = (struct view_msg){type, to, epoch, members, aux};
}

static void send_all(const struct view_machine *vm, struct view_out *out, enum view_msg_type type,
                     node_mask to, uint64_t epoch, node_mask members, uint64_t aux)
{
    for (node_mask m = to & ~NODE_BIT(vm->self); m; m &= m - 1)
        send(out, type, view_lowest(m), epoch, members, aux);
}

static void seen(struct view_machine *vm, uint64_t epoch)
{
    if (epoch > vm->max_seen)
        vm->max_seen = epoch;
}

void view_init(struct view_machine *vm, int n, int self, uint64_t counter_floor, vg_usec_t now)
{
    memset(vm, 0, sizeof(*vm));
    vm->n = n;
    vm->self = self;
    vm->counter_floor = counter_floor;
    /* as if it had promised the highest epoch of its floor's counter: no
     * real epoch has index VIEW_EPOCH_INDEX_NONE, so no proposal or commit
     * ever matches it */
    vm->promised = (counter_floor << VIEW_EPOCH_NODE_BITS) | VIEW_EPOCH_INDEX_NONE;
    vm->max_seen = vm->promised;
    vm->candidate = NODE_BIT(self);
    vm->candidate_since = now;
}

static void install(struct view_machine *vm, uint64_t epoch, node_mask members, uint64_t parent,
                    struct view_out *out)
{
    vm->lagging = 0;
    vm->epoch = epoch;
    vm->members = members;
    vm->parent = parent;
    seen(vm, epoch);
    out->installed = true;
}

/* Every member accepted: install, and tell them. The parent is the newest
 * last quorate epoch among the members (their ACKs and this node's own). */
static void commit(struct view_machine *vm, vg_usec_t now, struct view_out *out)
{
    uint64_t parent = vm->p_parent > vm->last_quorate ? vm->p_parent : vm->last_quorate;

    vm->proposing = false;
    install(vm, vm->p_epoch, vm->p_members, parent, out);
    vm->c_pending = vm->p_members & ~NODE_BIT(vm->self);
    vm->c_started = vm->c_sent = now;
    send_all(vm, out, VIEW_COMMIT, vm->c_pending, vm->epoch, vm->members, vm->parent);
}

static void start_proposal(struct view_machine *vm, vg_usec_t now, struct view_out *out)
{
    uint64_t base = vm->max_seen > vm->promised ? vm->max_seen : vm->promised;
    uint64_t counter = base >> VIEW_EPOCH_NODE_BITS;

    if (counter < vm->counter_floor)
        counter = vm->counter_floor;
    vm->proposing = true;
    vm->p_epoch = ((counter + 1) << VIEW_EPOCH_NODE_BITS) | (uint64_t)vm->self;
    vm->promised = vm->p_epoch;
    seen(vm, vm->p_epoch);
    vm->p_members = vm->candidate;
    vm->p_acked = NODE_BIT(vm->self);
    vm->p_parent = vm->last_quorate;
    vm->p_started = vm->p_sent = now;
    vm->c_pending = 0;
    if (vm->p_acked == vm->p_members) {
        commit(vm, now, out); /* alone */
        return;
    }
    send_all(vm, out, VIEW_PROPOSE, vm->p_members, vm->p_epoch, vm->p_members, 0);
}

void view_tick(struct view_machine *vm, node_mask candidate, const struct view_timing *t,
               vg_usec_t now, struct view_out *out)
{
    memset(out, 0, sizeof(*out));
    candidate |= NODE_BIT(vm->self);
    if (candidate != vm->candidate) {
        vm->candidate = candidate;
        vm->candidate_since = now;
    }
    if (vm->proposing && now - vm->p_started >= t->attempt)
        vm->proposing = false; /* someone did not answer: try again from the candidate */
    if (vm->proposing && vm->p_members != vm->candidate)
        vm->proposing = false; /* the facts changed under the proposal */
    if (vm->proposing && now - vm->p_sent >= t->retransmit) {
        vm->p_sent = now;
        send_all(vm, out, VIEW_PROPOSE, vm->p_members & ~vm->p_acked, vm->p_epoch, vm->p_members,
                 0);
    }
    if (vm->c_pending && now - vm->c_started >= t->attempt)
        vm->c_pending = 0;
    if (vm->c_pending && now - vm->c_sent >= t->retransmit) {
        vm->c_sent = now;
        send_all(vm, out, VIEW_COMMIT, vm->c_pending, vm->epoch, vm->members, vm->parent);
    }
    if (!vm->proposing && view_lowest(vm->candidate) == vm->self &&
        (vm->candidate != vm->members || vm->epoch == 0 || (vm->lagging & vm->candidate)) &&
        now - vm->candidate_since >= t->settle)
        start_proposal(vm, now, out);
}

void view_on_propose(struct view_machine *vm, int from, uint64_t epoch, node_mask members,
                     vg_usec_t now, struct view_out *out)
{
    memset(out, 0, sizeof(*out));
    seen(vm, epoch);
    bool ok = from == view_lowest(members) && (members & NODE_BIT(vm->self)) &&
              (members & NODE_BIT(from)) && epoch > vm->promised && members == vm->candidate;
    if (!ok) {
        if (epoch == vm->promised && members == vm->candidate && from == view_lowest(members))
            send(out, VIEW_ACK, from, epoch, 0, vm->last_quorate); /* a retransmission: ack again */
        else
            send(out, VIEW_NACK, from, epoch, 0,
                 vm->max_seen > vm->promised ? vm->max_seen : vm->promised);
        return;
    }
    vm->promised = epoch;
    vm->proposing = false; /* a proposal of our own is overtaken */
    send(out, VIEW_ACK, from, epoch, 0, vm->last_quorate);
}

void view_on_ack(struct view_machine *vm, int from, uint64_t epoch, uint64_t last_quorate,
                 vg_usec_t now, struct view_out *out)
{
    memset(out, 0, sizeof(*out));
    if (!vm->proposing || epoch != vm->p_epoch || !(vm->p_members & NODE_BIT(from)))
        return;
    vm->p_acked |= NODE_BIT(from);
    if (last_quorate > vm->p_parent)
        vm->p_parent = last_quorate;
    if (vm->p_acked == vm->p_members)
        commit(vm, now, out);
}

void view_on_nack(struct view_machine *vm, int from, uint64_t epoch, uint64_t seen_epoch,
                  struct view_out *out)
{
    memset(out, 0, sizeof(*out));
    seen(vm, seen_epoch);
    if (vm->proposing && epoch == vm->p_epoch)
        vm->proposing = false; /* the next tick proposes again, higher */
}

void view_on_commit(struct view_machine *vm, int from, uint64_t epoch, node_mask members,
                    uint64_t parent, struct view_out *out)
{
    memset(out, 0, sizeof(*out));
    seen(vm, epoch);
    /* Only the proposal this node accepted last; an older one was overtaken. */
    if (epoch != vm->promised || epoch <= vm->epoch || !(members & NODE_BIT(vm->self)) ||
        from != view_lowest(members))
        return;
    install(vm, epoch, members, parent, out);
}

void view_on_heartbeat(struct view_machine *vm, int from, uint64_t epoch, node_mask members,
                       struct view_out *out)
{
    memset(out, 0, sizeof(*out));
    seen(vm, epoch);
    if (vm->c_pending && epoch >= vm->epoch)
        vm->c_pending &= ~NODE_BIT(from);
    if (epoch < vm->epoch && (vm->members & NODE_BIT(from)) && !(vm->c_pending & NODE_BIT(from)))
        vm->lagging |= NODE_BIT(from);
    if (epoch <= vm->epoch || !(members & NODE_BIT(from)))
        return;
    if (members & NODE_BIT(vm->self)) {
        /* It installed a view with this node in it: this node accepted that
         * proposal, so the commit was lost on the way. The heartbeat has no
         * parent: this node's own last quorate epoch is a lower bound (at
         * worst the witness refuses). */
        if (epoch == vm->promised)
            install(vm, epoch, members, vm->last_quorate, out);
        return;
    }
    if ((vm->members & NODE_BIT(from)) && (members & vm->members & ~NODE_BIT(from))) {
        /* members of our view moved on together to a view without us;
         * vm->epoch stays the last view this node was part of. (A member
         * alone in a view of its own only left: our view goes on.) */
        vm->members = 0;
        out->left_out = true;
    }
}

void view_set_quorate(struct view_machine *vm)
{
    if (vm->members)
        vm->last_quorate = vm->epoch;
}

bool view_current(const struct view_machine *vm)
{
    return vm->members && (vm->members & ~vm->candidate) == 0;
}
