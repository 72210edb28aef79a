/* The peer/link state machine on a fake clock. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "../../src/membership/peer.h"

#define MS VG_USEC_PER_MSEC
#define T0 (1000 * MS) /* our start */

static const struct peer_timing timing = {
    .timeout = {500 * MS, 500 * MS}, .initial_timeout = 2000 * MS, .started_at = T0};

struct rig {
    struct peer p;
    uint64_t seq[VIGIL_MAX_LINKS];
    uint64_t inc;
};

static struct wire_header hdr(struct rig *r, int link, vg_usec_t send_time)
{
    struct wire_header h = {.type = WIRE_HEARTBEAT,
                            .link = (uint8_t)link,
                            .sender = 2,
                            .dest = 1,
                            .incarnation = r->inc,
                            .seq = ++r->seq[link],
                            .send_time = send_time};
    return h;
}

/* Deliver a heartbeat on `link` at `now`; asserts it is accepted. */
static struct peer_change deliver(struct rig *r, int link, vg_usec_t now)
{
    struct wire_header h = hdr(r, link, now);
    struct wire_heartbeat hb = {.n_seen = 1};
    struct peer_change chg;
    enum drop_reason why;

    hb.seen[0].node = 1;
    hb.seen[0].links = (uint8_t)(1u << link);
    assert_int_equal(peer_check(&r->p, &h, link, &why), 0);
    peer_on_heartbeat(&r->p, link, &h, &hb, now, &chg);
    return chg;
}

static struct peer_change tick(struct rig *r, vg_usec_t now)
{
    struct peer_change chg;
    peer_tick(&r->p, 2, &timing, now, &chg);
    return chg;
}

static void rig_init(struct rig *r)
{
    memset(r, 0, sizeof(*r));
    peer_init(&r->p, 2, T0);
    r->inc = 0xaaaa;
}

static void test_unknown_then_dead_after_initial_timeout(void **state)
{
    struct rig r;
    rig_init(&r);

    assert_int_equal(r.p.state, PEER_UNKNOWN);
    assert_true(peer_next_deadline(&r.p, 2, &timing) == T0 + 2000 * MS);
    struct peer_change c = tick(&r, T0 + 1999 * MS);
    assert_false(c.state_changed);
    c = tick(&r, T0 + 2000 * MS);
    assert_true(c.state_changed);
    assert_int_equal(c.old_state, PEER_UNKNOWN);
    assert_int_equal(r.p.state, PEER_DEAD);
}

static void test_alive_link_down_then_dead(void **state)
{
    struct rig r;
    rig_init(&r);

    struct peer_change c = deliver(&r, 0, T0 + 10 * MS);
    assert_true(c.state_changed);
    assert_true(c.new_incarnation);
    assert_false(c.had_incarnation);
    assert_int_equal(c.links_up, 1);
    assert_int_equal(r.p.state, PEER_ALIVE);
    c = deliver(&r, 1, T0 + 20 * MS);
    assert_int_equal(c.links_up, 2);
    assert_false(c.state_changed);

    /* link 1 keeps flowing, link 0 goes silent */
    for (vg_usec_t t = T0 + 100 * MS; t <= T0 + 600 * MS; t += 100 * MS)
        deliver(&r, 1, t);
    assert_true(peer_next_deadline(&r.p, 2, &timing) == T0 + 510 * MS);
    c = tick(&r, T0 + 509 * MS);
    assert_int_equal(c.links_down, 0);
    c = tick(&r, T0 + 510 * MS);
    assert_int_equal(c.links_down, 1);
    assert_false(c.state_changed);
    assert_int_equal(r.p.state, PEER_ALIVE);
    assert_false(r.p.links[0].up);

    /* then link 1 too: dead exactly timeout after its last heartbeat */
    c = tick(&r, T0 + 1099 * MS);
    assert_false(c.state_changed);
    c = tick(&r, T0 + 1100 * MS);
    assert_int_equal(c.links_down, 2);
    assert_true(c.state_changed);
    assert_int_equal(c.old_state, PEER_ALIVE);
    assert_int_equal(r.p.state, PEER_DEAD);
    assert_true(r.p.since == T0 + 1100 * MS);

    /* and alive again with the next heartbeat, same incarnation */
    c = deliver(&r, 0, T0 + 3000 * MS);
    assert_true(c.state_changed);
    assert_false(c.new_incarnation);
    assert_int_equal(r.p.state, PEER_ALIVE);
}

static void test_replay_and_incarnations(void **state)
{
    struct rig r;
    struct peer_change c;
    enum drop_reason why;
    struct wire_heartbeat hb = {.n_seen = 0};
    rig_init(&r);

    deliver(&r, 0, T0 + 10 * MS);
    struct wire_header old = hdr(&r, 0, T0 + 20 * MS); /* seq 2 */
    assert_int_equal(peer_check(&r.p, &old, 0, &why), 0);
    peer_on_heartbeat(&r.p, 0, &old, &hb, T0 + 20 * MS, &c);

    /* the same datagram again, and an older one: replays */
    assert_int_equal(peer_check(&r.p, &old, 0, &why), -1);
    assert_int_equal(why, DROP_REPLAY);
    old.seq = 1;
    assert_int_equal(peer_check(&r.p, &old, 0, &why), -1);
    assert_int_equal(why, DROP_REPLAY);
    /* sequences are per link: seq 1 on link 1 is new */
    old.link = 1;
    assert_int_equal(peer_check(&r.p, &old, 1, &why), 0);

    /* restart: a new incarnation starts over at seq 1 and is accepted */
    r.inc = 0xbbbb;
    memset(r.seq, 0, sizeof(r.seq));
    c = deliver(&r, 0, T0 + 30 * MS);
    assert_true(c.new_incarnation);
    assert_true(c.had_incarnation);
    assert_true(c.old_incarnation == 0xaaaa);
    assert_true(r.p.incarnation == 0xbbbb);

    /* datagrams of the old incarnation are now stale, whatever their seq */
    old.incarnation = 0xaaaa;
    old.link = 0;
    old.seq = 1000;
    assert_int_equal(peer_check(&r.p, &old, 0, &why), -1);
    assert_int_equal(why, DROP_STALE_INCARNATION);
}

static void test_retired_list_is_bounded(void **state)
{
    struct rig r;
    enum drop_reason why;
    rig_init(&r);

    for (uint64_t inc = 1; inc <= PEER_RETIRED_INCARNATIONS + 3; inc++) {
        r.inc = inc;
        memset(r.seq, 0, sizeof(r.seq));
        deliver(&r, 0, T0 + inc * MS);
    }
    assert_int_equal(r.p.n_retired, PEER_RETIRED_INCARNATIONS);
    struct wire_header h = hdr(&r, 0, 0);
    h.incarnation = PEER_RETIRED_INCARNATIONS + 2; /* the one before the current */
    assert_int_equal(peer_check(&r.p, &h, 0, &why), -1);
    assert_int_equal(why, DROP_STALE_INCARNATION);
}

static void test_rtt_and_echo(void **state)
{
    struct rig r;
    struct peer_change c;
    struct wire_heartbeat hb = {.n_seen = 0};
    uint64_t et;
    uint32_t ed;
    rig_init(&r);

    peer_echo(&r.p, 0, T0, &et, &ed);
    assert_true(et == 0 && ed == 0);

    /* the peer sent at its time 5000 and we got it at T0+10ms */
    struct wire_header h = hdr(&r, 0, 5000);
    peer_on_heartbeat(&r.p, 0, &h, &hb, T0 + 10 * MS, &c);
    assert_false(r.p.links[0].rtt_valid);
    peer_echo(&r.p, 0, T0 + 13 * MS, &et, &ed);
    assert_true(et == 5000);
    assert_int_equal(ed, 3 * MS);

    /* its answer echoes our send time T0+13ms, held 2ms, arriving at T0+16ms */
    h = hdr(&r, 0, 6000);
    hb.echo_time = T0 + 13 * MS;
    hb.echo_delay = 2 * MS;
    peer_on_heartbeat(&r.p, 0, &h, &hb, T0 + 16 * MS, &c);
    assert_true(r.p.links[0].rtt_valid);
    assert_true(r.p.links[0].rtt_last == 1 * MS);
    assert_true(r.p.links[0].rtt_smooth == 1 * MS);

    /* a second sample of 9ms moves the smoothed value by 1/8 */
    h = hdr(&r, 0, 7000);
    hb.echo_time = T0 + 20 * MS;
    hb.echo_delay = 1 * MS;
    peer_on_heartbeat(&r.p, 0, &h, &hb, T0 + 30 * MS, &c);
    assert_true(r.p.links[0].rtt_last == 9 * MS);
    assert_true(r.p.links[0].rtt_smooth == 2 * MS);

    /* nonsense echo (in our future, or delay larger than elapsed) is ignored */
    h = hdr(&r, 0, 8000);
    hb.echo_time = T0 + 99 * MS;
    peer_on_heartbeat(&r.p, 0, &h, &hb, T0 + 40 * MS, &c);
    assert_true(r.p.links[0].rtt_last == 9 * MS);
}

static void test_sees(void **state)
{
    struct rig r;
    struct peer_change c;
    rig_init(&r);

    struct wire_header h = hdr(&r, 0, 1);
    struct wire_heartbeat hb = {.n_seen = 2};
    hb.seen[0].node = 1;
    hb.seen[0].links = 3;
    hb.seen[1].node = 3;
    hb.seen[1].links = 1;
    peer_on_heartbeat(&r.p, 0, &h, &hb, T0, &c);
    assert_int_equal(r.p.sees[1], 3);
    assert_int_equal(r.p.sees[3], 1);
    hb.n_seen = 1;
    h = hdr(&r, 0, 2);
    peer_on_heartbeat(&r.p, 0, &h, &hb, T0 + 1, &c);
    assert_int_equal(r.p.sees[3], 0); /* no longer said: no longer seen */
    assert_string_equal(peer_state_name(PEER_DEAD), "dead");
}

/* Disk and witness links: evidence with a time, and "gone for sure". */
static void test_evidence_and_lost(void **state)
{
    struct rig r;
    struct peer_change c;
    rig_init(&r);

    /* evidence already older than the timeout changes nothing */
    peer_on_evidence(&r.p, 1, T0, T0 + 600 * MS, &timing, &c);
    assert_int_equal(c.links_up, 0);
    assert_int_equal(r.p.state, PEER_UNKNOWN);
    /* fresh evidence: link up, alive, expiring from `when`, not from now */
    peer_on_evidence(&r.p, 1, T0 + 500 * MS, T0 + 600 * MS, &timing, &c);
    assert_int_equal(c.links_up, 2);
    assert_true(c.state_changed);
    assert_int_equal(r.p.state, PEER_ALIVE);
    assert_true(peer_next_deadline(&r.p, 2, &timing) == T0 + 1000 * MS);
    /* evidence from the future is refused */
    peer_on_evidence(&r.p, 1, T0 + 900 * MS, T0 + 800 * MS, &timing, &c);
    assert_true(r.p.links[1].last_rx == T0 + 500 * MS);

    deliver(&r, 0, T0 + 700 * MS);
    peer_link_lost(&r.p, 1, 2, T0 + 710 * MS, &c);
    assert_int_equal(c.links_down, 2);
    assert_false(c.state_changed); /* link 0 still up */
    peer_link_lost(&r.p, 0, 2, T0 + 720 * MS, &c);
    assert_true(c.state_changed);
    assert_int_equal(r.p.state, PEER_DEAD);
    peer_link_lost(&r.p, 0, 2, T0 + 730 * MS, &c);
    assert_int_equal(c.links_down, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_unknown_then_dead_after_initial_timeout),
        cmocka_unit_test(test_alive_link_down_then_dead),
        cmocka_unit_test(test_replay_and_incarnations),
        cmocka_unit_test(test_retired_list_is_bounded),
        cmocka_unit_test(test_rtt_and_echo),
        cmocka_unit_test(test_sees),
        cmocka_unit_test(test_evidence_and_lost),
    };
    return cmocka_run_group_tests_name("peer", tests, NULL, NULL);
}
