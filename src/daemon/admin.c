/* The admin state (docs/groups.md, "Admin state"): the standby set, per
 * group a move target and a stopped-by-admin flag. The coordinator owns it
 * and changes it on a REQUEST (docs/wire-format.md); every ASSIGN carries
 * it and every member keeps the newest, so a new coordinator carries on.
 * A command given on this node's control socket becomes a pending REQUEST,
 * repeated every interval until the coordinator answers or its timeout
 * ends; vigilctl asks how it stands ("request") and then watches status. */
#include "daemon.h"

#include <errno.h>
#include <inttypes.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#include "../common/log.h"

#define ADMIN_DEFAULT_TIMEOUT (30 * VG_USEC_PER_SEC)
#define ADMIN_MAX_TIMEOUT (3600 * VG_USEC_PER_SEC)

void admin_init(struct daemon *d)
{
    struct admin_state *A = &d->groups.admin;

    *A = (struct admin_state){0};
    memset(A->move_target, WIRE_NONE, sizeof(A->move_target));
}

static const char *kind_name(uint8_t kind)
{
    static const char *const names[] = {"?",     "move",    "move --clear", "stop",
                                        "start", "standby", "unstandby"};
    return kind < sizeof(names) / sizeof(names[0]) ? names[kind] : "?";
}

/* "move web beta", "stop web", "standby beta" */
static void request_text(const struct daemon *d, const struct wire_request *r, char *buf,
                         size_t size)
{
    const char *g = r->group < d->conf.n_groups ? d->conf.groups[r->group].name : "";
    const char *n = r->node < d->conf.n_nodes ? d->conf.nodes[r->node].name : "";

    if (r->kind == WIRE_REQ_MOVE_CLEAR)
        snprintf(buf, size, "move %s --clear", g);
    else
        snprintf(buf, size, "%s%s%s%s%s", kind_name(r->kind), *g ? " " : "", g, *n ? " " : "", n);
}

/* The coordinator of this node's current view, or -1 (no current view, or
 * this node is not in it). */
static int coordinator(const struct daemon *d)
{
    if (!view_current(&d->view) || !(d->view.members & NODE_BIT(d->self)))
        return -1;
    return view_lowest(d->view.members);
}

static void bump(struct daemon *d)
{
    struct admin_state *A = &d->groups.admin;

    A->seq = (((A->seq >> 8) + 1) << 8) | (uint64_t)(d->self & 0xff);
}

static bool in_policy(const struct conf_group *cg, int node)
{
    for (int k = 0; k < cg->n_nodes; k++)
        if (cg->nodes[k] == node)
            return true;
    return false;
}

/* Apply r to the admin state; true when anything changed. */
static bool apply(struct daemon *d, const struct wire_request *r)
{
    struct admin_state *A = &d->groups.admin;
    struct admin_state before = *A;

    switch (r->kind) {
    case WIRE_REQ_MOVE:
        A->move_target[r->group] = r->node;
        break;
    case WIRE_REQ_MOVE_CLEAR:
        A->move_target[r->group] = WIRE_NONE;
        break;
    case WIRE_REQ_STOP:
        A->stopped[r->group] = true;
        break;
    case WIRE_REQ_START:
        A->stopped[r->group] = false;
        break;
    case WIRE_REQ_STANDBY:
        A->standby |= NODE_BIT(r->node);
        break;
    case WIRE_REQ_UNSTANDBY:
        A->standby &= ~NODE_BIT(r->node);
        break;
    }
    return memcmp(&before, A, sizeof(before)) != 0;
}

/* The coordinator's side of a REQUEST from node `from` (this node itself
 * for a command given here): check, apply, answer (docs/wire-format.md,
 * "How a command travels"). */
static void handle(struct daemon *d, int from, const struct wire_request *r,
                   struct wire_request_ack *ack)
{
    struct daemon_groups *G = &d->groups;
    bool takes_group = r->kind >= WIRE_REQ_MOVE && r->kind <= WIRE_REQ_START;
    bool takes_node =
        r->kind == WIRE_REQ_MOVE || r->kind == WIRE_REQ_STANDBY || r->kind == WIRE_REQ_UNSTANDBY;
    const char *how;
    char text[128];

    *ack = (struct wire_request_ack){.id = r->id, .result = WIRE_ACK_OK};
    if (coordinator(d) != d->self) {
        ack->result = WIRE_ACK_NOT_COORDINATOR;
    } else if (takes_group && r->group >= d->conf.n_groups) {
        ack->result = WIRE_ACK_UNKNOWN_GROUP;
    } else if (takes_node && r->node >= d->conf.n_nodes) {
        ack->result = WIRE_ACK_UNKNOWN_NODE;
    } else if (!membership_quorate(d, &how)) {
        ack->result = WIRE_ACK_REFUSED;
        ack->reason = WIRE_REFUSED_NO_QUORUM;
    } else if (r->kind == WIRE_REQ_MOVE && !in_policy(&d->conf.groups[r->group], r->node)) {
        ack->result = WIRE_ACK_REFUSED;
        ack->reason = WIRE_REFUSED_NOT_IN_POLICY;
    }
    if (ack->result != WIRE_ACK_OK) {
        ack->admin_seq = G->admin.seq;
        return;
    }
    /* at most once: a repeat of an applied command is answered, not redone */
    for (unsigned k = 0; k < ADMIN_ANSWERED_MAX; k++)
        if (G->answered[from][k].id == r->id) {
            ack->admin_seq = G->answered[from][k].admin_seq;
            return;
        }
    request_text(d, r, text, sizeof(text));
    if (apply(d, r)) {
        bump(d);
        log_notice("admin: %s (asked on %s): admin state %" PRIu64 ".%u", text,
                   d->conf.nodes[from].name, G->admin.seq >> 8, (unsigned)(G->admin.seq & 0xff));
    } else {
        log_info("admin: %s (asked on %s): already so", text, d->conf.nodes[from].name);
    }
    ack->admin_seq = G->admin.seq;
    G->answered[from][G->answered_next[from]++ % ADMIN_ANSWERED_MAX] =
        (struct admin_answered){r->id, G->admin.seq};
}

/* One sentence for an answer that ends a command. */
static void ack_text(const struct daemon *d, const struct admin_pending *p,
                     const struct wire_request_ack *a, int from, char *buf, size_t size)
{
    const char *who = d->conf.nodes[from].name;

    switch (a->result) {
    case WIRE_ACK_UNKNOWN_GROUP:
        snprintf(buf, size,
                 "the coordinator %s knows no such group: is the configuration the "
                 "same on every node?",
                 who);
        break;
    case WIRE_ACK_UNKNOWN_NODE:
        snprintf(buf, size,
                 "the coordinator %s knows no such node: is the configuration the "
                 "same on every node?",
                 who);
        break;
    case WIRE_ACK_REFUSED:
        if (a->reason == WIRE_REFUSED_NO_QUORUM)
            snprintf(buf, size,
                     "refused by the coordinator %s: its view has no quorum (see "
                     "vigilctl status on %s)",
                     who, who);
        else
            snprintf(buf, size,
                     "refused by the coordinator %s: %s is not in the failover "
                     "policy of group %s (its nodes = line)",
                     who, d->conf.nodes[p->req.node].name, d->conf.groups[p->req.group].name);
        break;
    default:
        snprintf(buf, size, "the coordinator %s answered result %u", who, a->result);
    }
}

static void take_ack(struct daemon *d, struct admin_pending *p, int from,
                     const struct wire_request_ack *a)
{
    char text[128];

    request_text(d, &p->req, text, sizeof(text));
    if (a->result == WIRE_ACK_OK) {
        p->state = ADMIN_DONE;
        p->admin_seq = a->admin_seq;
        p->why[0] = '\0';
        if (from != d->self)
            log_info("admin: %s: applied by the coordinator %s", text, d->conf.nodes[from].name);
        return;
    }
    if (a->result == WIRE_ACK_NOT_COORDINATOR) {
        snprintf(p->why, sizeof(p->why),
                 "%s says it is not the coordinator: repeating until the views agree",
                 d->conf.nodes[from].name);
        return;
    }
    ack_text(d, p, a, from, p->why, sizeof(p->why));
    p->state = ADMIN_FAILED;
    log_warn("admin: %s: %s", text, p->why);
}

/* Send (or, on the coordinator, handle) a pending command once. */
static void send_pending(struct daemon *d, struct admin_pending *p)
{
    int c = coordinator(d);

    if (c < 0) {
        snprintf(p->why, sizeof(p->why),
                 "this node is in no current view: waiting for one to send it to its coordinator");
        return;
    }
    if (c == d->self) {
        struct wire_request_ack ack;
        handle(d, d->self, &p->req, &ack);
        take_ack(d, p, d->self, &ack);
        return;
    }
    struct wire_msg m = {.h.type = WIRE_REQUEST, .request = p->req};
    p->sent_to = c;
    if (cluster_send(d, c, &m) < 0)
        snprintf(p->why, sizeof(p->why),
                 "cannot send it to the coordinator %s (no udp link up to it): repeating",
                 d->conf.nodes[c].name);
    else
        snprintf(p->why, sizeof(p->why), "sent to the coordinator %s, no answer yet",
                 d->conf.nodes[c].name);
}

/* A member holding a newer admin state than its coordinator (a coordinator
 * that restarted, or was cut off while the state changed) sends it back in
 * an ASSIGN that assigns nothing; the coordinator adopts the admin part. */
static void send_back(struct daemon *d, int c)
{
    const struct admin_state *A = &d->groups.admin;
    struct wire_msg m = {.h.type = WIRE_ASSIGN};

    m.assign = (struct wire_assign){.epoch = d->view.epoch,
                                    .seq = 1,
                                    .admin_seq = A->seq,
                                    .standby = A->standby,
                                    .n_groups = (uint8_t)d->conf.n_groups};
    for (int g = 0; g < d->conf.n_groups; g++)
        m.assign.groups[g] =
            (struct wire_assignment){.node = WIRE_NONE,
                                     .move_target = A->move_target[g],
                                     .flags = A->stopped[g] ? WIRE_ASSIGN_ADMIN_STOPPED : 0};
    cluster_send(d, c, &m);
}

void admin_on_assign(struct daemon *d, int i, const struct wire_assign *a)
{
    struct daemon_groups *G = &d->groups;
    int c = coordinator(d);

    if (c < 0 || a->epoch != d->view.epoch || a->n_groups != d->conf.n_groups)
        return;
    if (i == c) {
        G->coord_admin_epoch = a->epoch;
        G->coord_admin_seq = a->admin_seq;
    } else if (c == d->self && (d->view.members & NODE_BIT(i)) && a->admin_seq > G->admin.seq) {
        log_notice("admin: %s holds a newer admin state (%" PRIu64 ".%u) than this coordinator "
                   "(%" PRIu64 ".%u): carrying on from it",
                   d->conf.nodes[i].name, a->admin_seq >> 8, (unsigned)(a->admin_seq & 0xff),
                   G->admin.seq >> 8, (unsigned)(G->admin.seq & 0xff));
        admin_adopt(d, i, a);
    }
}

void admin_tick(struct daemon *d)
{
    struct daemon_groups *G = &d->groups;
    vg_usec_t now = clock_now();
    int c = coordinator(d);

    if (c >= 0 && c != d->self && G->admin.seq &&
        (G->coord_admin_epoch != d->view.epoch || G->coord_admin_seq < G->admin.seq))
        send_back(d, c);

    for (int k = 0; k < ADMIN_PENDING_MAX; k++) {
        struct admin_pending *p = &d->groups.pending[k];
        if (p->state != ADMIN_SENDING)
            continue;
        if (now >= p->deadline) {
            char text[128], why[sizeof(p->why)];
            request_text(d, &p->req, text, sizeof(text));
            snprintf(why, sizeof(why), "no answer within %" PRIu64 "s (%s)",
                     (p->deadline - p->given) / VG_USEC_PER_SEC, p->why);
            snprintf(p->why, sizeof(p->why), "%s", why);
            p->state = ADMIN_FAILED;
            log_warn("admin: %s: %s", text, p->why);
            continue;
        }
        send_pending(d, p);
    }
}

void admin_on_request(struct daemon *d, int i, const struct wire_request *r)
{
    struct wire_msg m = {.h.type = WIRE_REQUEST_ACK};

    if (d->conf.n_groups == 0)
        return;
    handle(d, i, r, &m.ack);
    cluster_send(d, i, &m);
}

void admin_on_ack(struct daemon *d, int i, const struct wire_request_ack *a)
{
    for (int k = 0; k < ADMIN_PENDING_MAX; k++) {
        struct admin_pending *p = &d->groups.pending[k];
        if (p->state == ADMIN_SENDING && p->req.id == a->id) {
            take_ack(d, p, i, a);
            return;
        }
    }
}

void admin_adopt(struct daemon *d, int from, const struct wire_assign *a)
{
    struct admin_state *A = &d->groups.admin;
    node_mask configured = d->conf.n_nodes >= 64 ? ~(node_mask)0 : (NODE_BIT(d->conf.n_nodes) - 1);

    if (a->admin_seq <= A->seq)
        return;
    if (a->standby & ~configured) {
        log_warn("ASSIGN %" PRIu64 " from %s: standby names a node not configured here: admin "
                 "state ignored (is the configuration the same on every node?)",
                 a->seq, d->conf.nodes[from].name);
        return;
    }
    for (int g = 0; g < a->n_groups; g++)
        if (a->groups[g].move_target != WIRE_NONE && a->groups[g].move_target >= d->conf.n_nodes) {
            log_warn("ASSIGN %" PRIu64 " from %s: group %s moved to node index %u, not "
                     "configured here: admin state ignored",
                     a->seq, d->conf.nodes[from].name, d->conf.groups[g].name,
                     a->groups[g].move_target);
            return;
        }
    A->seq = a->admin_seq;
    A->standby = a->standby;
    for (int g = 0; g < a->n_groups; g++) {
        A->move_target[g] = a->groups[g].move_target;
        A->stopped[g] = (a->groups[g].flags & WIRE_ASSIGN_ADMIN_STOPPED) != 0;
    }
}

void admin_settle(struct daemon *d, int g, const struct placement_decision *dec, bool running_on)
{
    struct admin_state *A = &d->groups.admin;
    const struct conf_group *cg = &d->conf.groups[g];

    if (cg->n_nodes == 0 || A->move_target[g] != cg->nodes[0] || dec->action != PLACE_KEEP ||
        dec->target != cg->nodes[0] || !running_on)
        return;
    A->move_target[g] = WIRE_NONE;
    bump(d);
    log_notice("group %s: moved back to %s, its first node: the move preference is cleared",
               cg->name, d->conf.nodes[cg->nodes[0]].name);
}

static int find_node(const struct daemon *d, const char *name)
{
    for (int i = 0; i < d->conf.n_nodes; i++)
        if (strcmp(d->conf.nodes[i].name, name) == 0)
            return i;
    return -1;
}

static int find_group(const struct daemon *d, const char *name)
{
    for (int g = 0; g < d->conf.n_groups; g++)
        if (strcmp(d->conf.groups[g].name, name) == 0)
            return g;
    return -1;
}

/* "alpha, beta" */
static void names_of(const struct daemon *d, bool groups, char *buf, size_t size)
{
    size_t off = 0;
    int n = groups ? d->conf.n_groups : d->conf.n_nodes;

    buf[0] = '\0';
    for (int k = 0; k < n && off < size; k++)
        off += (size_t)snprintf(buf + off, size - off, "%s%s", k ? ", " : "",
                                groups ? d->conf.groups[k].name : d->conf.nodes[k].name);
}

static const char *state_name(enum admin_pending_state s)
{
    return s == ADMIN_DONE ? "done" : s == ADMIN_FAILED ? "failed" : "sending";
}

static json_t *pending_json(const struct daemon *d, const struct admin_pending *p)
{
    char id[17], text[128];

    snprintf(id, sizeof(id), "%016" PRIx64, p->req.id);
    request_text(d, &p->req, text, sizeof(text));
    return json_pack("{s:s, s:s, s:s, s:I, s:s}", "id", id, "command", text, "state",
                     state_name(p->state), "admin_seq", (json_int_t)p->admin_seq, "reason", p->why);
}

static json_t *request_status(struct daemon *d, json_t *request)
{
    const char *id = json_string_value(json_object_get(request, "id"));
    uint64_t v;
    char *end;

    if (!id)
        return api_error("command 'request' needs a string \"id\" (as a command's answer gave)");
    v = strtoull(id, &end, 16);
    for (int k = 0; k < ADMIN_PENDING_MAX && *end == '\0'; k++)
        if (d->groups.pending[k].state != ADMIN_FREE && d->groups.pending[k].req.id == v)
            return pending_json(d, &d->groups.pending[k]);
    return api_error("no command with id '%s' on this node (it keeps the last %d)", id,
                     ADMIN_PENDING_MAX);
}

/* A free slot, or the oldest finished one; NULL when all are in flight. */
static struct admin_pending *pending_slot(struct daemon *d)
{
    struct admin_pending *best = NULL;

    for (int k = 0; k < ADMIN_PENDING_MAX; k++) {
        struct admin_pending *p = &d->groups.pending[k];
        if (p->state == ADMIN_FREE)
            return p;
        if (p->state != ADMIN_SENDING && (!best || p->given < best->given))
            best = p;
    }
    return best;
}

json_t *admin_command(struct daemon *d, const char *command, json_t *request)
{
    const char *gname = json_string_value(json_object_get(request, "group"));
    const char *nname = json_string_value(json_object_get(request, "node"));
    json_t *tj = json_object_get(request, "timeout_ms");
    bool clear = json_is_true(json_object_get(request, "clear"));
    struct wire_request r = {.group = WIRE_NONE, .node = WIRE_NONE};
    vg_usec_t timeout = ADMIN_DEFAULT_TIMEOUT;
    char list[512];
    int g = -1, n = -1;

    if (strcmp(command, "request") == 0)
        return request_status(d, request);
    if (strcmp(command, "move") == 0)
        r.kind = clear ? WIRE_REQ_MOVE_CLEAR : WIRE_REQ_MOVE;
    else if (strcmp(command, "stop") == 0)
        r.kind = WIRE_REQ_STOP;
    else if (strcmp(command, "start") == 0)
        r.kind = WIRE_REQ_START;
    else if (strcmp(command, "standby") == 0)
        r.kind = WIRE_REQ_STANDBY;
    else
        r.kind = WIRE_REQ_UNSTANDBY;
    if (d->conf.n_groups == 0)
        return api_error("%s: no group is configured in %s: there is nothing to place", command,
                         d->conf.path);
    if (r.kind <= WIRE_REQ_START) {
        if (!gname)
            return api_error("%s needs a string \"group\"", command);
        if ((g = find_group(d, gname)) < 0) {
            names_of(d, true, list, sizeof(list));
            return api_error("no group '%s' in %s (groups: %s)", gname, d->conf.path, list);
        }
        r.group = (uint8_t)g;
    }
    if (r.kind == WIRE_REQ_MOVE || r.kind >= WIRE_REQ_STANDBY) {
        if (!nname)
            return api_error("%s needs a string \"node\"%s", command,
                             r.kind == WIRE_REQ_MOVE ? " (or \"clear\": true)" : "");
        if ((n = find_node(d, nname)) < 0) {
            names_of(d, false, list, sizeof(list));
            return api_error("no node '%s' in %s (nodes: %s)", nname, d->conf.path, list);
        }
        r.node = (uint8_t)n;
    }
    if (r.kind == WIRE_REQ_MOVE && !in_policy(&d->conf.groups[g], n))
        return api_error("%s is not in the failover policy of group %s (%s:%d: nodes = ...): add "
                         "it there first",
                         nname, gname, d->conf.path, d->conf.groups[g].line);
    if (tj) {
        if (!json_is_integer(tj) || json_integer_value(tj) <= 0)
            return api_error("\"timeout_ms\" must be a positive integer");
        timeout = (vg_usec_t)json_integer_value(tj) * VG_USEC_PER_MSEC;
        if (timeout > ADMIN_MAX_TIMEOUT)
            timeout = ADMIN_MAX_TIMEOUT;
    }
    struct admin_pending *p = pending_slot(d);
    if (!p)
        return api_error("%d commands are already in flight on this node: wait for one to end",
                         ADMIN_PENDING_MAX);
    do
        randombytes_buf(&r.id, sizeof(r.id));
    while (r.id == 0);
    vg_usec_t now = clock_now();
    *p = (struct admin_pending){
        .state = ADMIN_SENDING, .req = r, .given = now, .deadline = now + timeout, .sent_to = -1};
    send_pending(d, p);
    return pending_json(d, p);
}

json_t *admin_status(const struct daemon *d)
{
    const struct admin_state *A = &d->groups.admin;
    json_t *standby = json_array(), *requests = json_array();

    for (int i = 0; i < d->conf.n_nodes; i++)
        if (A->standby & NODE_BIT(i))
            json_array_append_new(standby, json_string(d->conf.nodes[i].name));
    for (int k = 0; k < ADMIN_PENDING_MAX; k++)
        if (d->groups.pending[k].state != ADMIN_FREE)
            json_array_append_new(requests, pending_json(d, &d->groups.pending[k]));
    return json_pack("{s:I, s:o, s:o}", "seq", (json_int_t)A->seq, "standby", standby, "requests",
                     requests);
}

void admin_group_status(const struct daemon *d, int g, json_t *group)
{
    const struct admin_state *A = &d->groups.admin;
    const struct placement_decision *dec = &d->groups.decision[g];
    uint8_t t = A->move_target[g];
    json_t *lapsed = json_null();

    if (t != WIRE_NONE && d->groups.have_decision[g] && dec->move_lapsed &&
        coordinator(d) == d->self) {
        char why[PLACEMENT_TEXT_MAX];
        const char *names[VIGIL_MAX_NODES];
        for (int i = 0; i < d->conf.n_nodes; i++)
            names[i] = d->conf.nodes[i].name;
        placement_cause_text(&dec->move_why, names, d->conf.n_nodes, why, sizeof(why));
        lapsed = json_string(why);
    }
    json_object_set_new(group, "move_target",
                        t < d->conf.n_nodes ? json_string(d->conf.nodes[t].name) : json_null());
    json_object_set_new(group, "move_lapsed", lapsed);
    json_object_set_new(group, "admin_stopped", json_boolean(A->stopped[g]));
}
