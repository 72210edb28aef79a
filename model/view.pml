/*
 * model/view.pml -- Promela model of Vigil's view agreement and of the
 * tie-break by witness arbitration (docs/membership.md, "Agreeing on a
 * view" and "Quorum"). `make model-check` (model/check.sh) checks it with
 * spin for N = 2, 3 and 4 nodes; docs/membership.md "The model" says what
 * was checked and what it found.
 *
 * What each part corresponds to
 * -----------------------------
 *   model                  docs/membership.md             src/membership/
 *   ---------------------  -----------------------------  -----------------------------
 *   view_candidate()       "The candidate view"           view_candidate.c view_candidate()
 *   own_candidate(),       (the same, over a matrix that  -
 *   candidate_is()         may hold anything; see below)
 *   start_proposal()       coordinator = lowest id of     view_machine.c view_tick() ->
 *                          its candidate, PROPOSE         start_proposal()
 *   on_propose()           a member accepts (promise,     view_on_propose()
 *                          ACK) or answers NACK
 *   on_ack(), commit()     all acked: COMMIT(parent)      view_on_ack() -> commit()
 *   on_nack()              "the coordinator retries"      view_on_nack()
 *   on_commit(), install() members install on COMMIT      view_on_commit() -> install()
 *   on_heartbeat()         "left out" rule; a lost        view_on_heartbeat()
 *                          commit seen in a heartbeat
 *   crash / restart        a node stops, restarts empty   view_init(counter_floor)
 *   install(): vq          "Quorum": more than half       view_quorum_of()
 *   ask_witness()          "Quorum" 1.: a tie asks the    src/daemon/membership.c
 *                          witness; the witness's rules   arbitrate(); vigil-witness,
 *                          are docs/witness-api.md's      src/witness/registry.c
 *   network                lossy, reordering, duplicating -
 *   env (MATRIX only)      partitions, asymmetric cuts    -
 *
 * Variable names follow struct view_machine: vep/vmem/vpar = epoch/
 * members/parent of the installed view, prom = promised,
 * proposing, pep/pmem/packed/ppar = p_epoch/p_members/p_acked/p_parent.
 * Node sets are bitmasks over node indexes, as node_mask.
 *
 * What is abstracted away
 * -----------------------
 * - Time. Settle time, retransmission and attempt timers become
 *   non-determinism: a coordinator may start, or abandon and restart, a
 *   proposal at any step its guard allows; a retransmission is the network
 *   delivering a PROPOSE or COMMIT more than once.
 * - The network is a bag (a sorted channel, so its order carries no
 *   information) of at most NETCAP messages: any message may be delivered
 *   next, delivered and kept for later (PROPOSE, COMMIT: a retransmission),
 *   or dropped. A send to a full bag is lost. A message to a crashed node is
 *   lost. (Duplicate ACKs and NACKs are not modelled: both are idempotent.)
 * - Connectivity. Nodes compute their candidate from a connectivity matrix
 *   that may change at any step, one directed edge at a time, and may be
 *   asymmetric. Because the matrix can take any value between any two
 *   steps, a node's candidate at a step can be any set that holds it (make
 *   that set a clique and cut everything else), and a cut link only loses
 *   messages, which the network does anyway. So the safety checks use the
 *   equivalent and much smaller form: own_candidate()/candidate_is() choose the
 *   candidate non-deterministically at each step. With -DMATRIX the model
 *   keeps the explicit matrix hears[] (bit j of hears[i]: i hears j), an
 *   environment that flips its edges, sends lost on cut links, and
 *   view_candidate() computed from it; check.sh runs that form too for
 *   N = 2 as a cross-check, and the liveness check uses it (full matrix).
 *   Facts are read from the current matrix (no stale rows): stale rows
 *   give candidates the matrix could also hold at some step.
 * - Heartbeats are a node reading the view another node has installed.
 * - A crash loses the installed view and all volatile state (view_init);
 *   a restart keeps that it never reissues an epoch (C: wall-clock counter
 *   floor; model: issued[]) and, with the fix, its promise. At most
 *   MAXCRASH crashes per run.
 * - Epoch = counter * N + coordinator index (C: counter << 8 | index);
 *   0 = no view; counters are bounded by MAXC.
 * - One vote per node. Only the witness tie-breaker is modelled, and it
 *   answers atomically (a lost answer is the same as not asking).
 * - view_current() (a view with members outside the candidate does not
 *   count as quorate) is left out: any installed view may count, which only
 *   adds behaviours.
 *
 * Properties (assertions, checked after every step)
 * -------------------------------------------------
 * (1) agreement: two nodes that installed the same epoch installed the same
 *     members. Checked against a ghost record of every epoch ever installed
 *     (committed[]).
 * (2) no two disjoint quorate views at once: for any two up nodes whose
 *     installed views are quorate (more than half the votes, or exactly half
 *     and granted by the witness) and current, the member sets intersect.
 *     A view is *current* while every member's promise is still its epoch:
 *     a member that accepted a newer proposal, or crashed and lost its
 *     promise, has left it. A node still holding a view that a member has
 *     left is a straggler: only a timeout can tell it (watchdog, DESIGN.md
 *     safety rule 2); no protocol without clocks can prevent it.
 * (3) a node is only in a view that holds it (one view per node: it can
 *     never be in two).
 * Liveness (-DLIVENESS -DMATRIX): with full, stable connectivity, no loss
 *     and no crash, every node ends up in the view of all nodes and stays
 *     there (ltl all_in_one_view).
 *
 * Variants: the default is what vigild and vigil-witness do (docs/
 * membership.md "The model"). -DAS_BUILT_BEFORE is what they did before
 * the fix: each node asks about its own last quorate epoch, the witness
 * grants an epoch newer than any it arbitrated to the first asker; it
 * violates (2) (check.sh expects it to). -DAS_DESIGNED is the design
 * written before that: parent = highest last committed epoch of the
 * members, the witness asked with epoch = parent, promises lost on
 * restart; it violates (2) too. -DFIX_PARENT_ONLY / -DFIX_WITNESS_ONLY
 * apply one half of the fix each (FIX_PARENT_ONLY, N = 2: violates (2));
 * -DNO_PERSIST all but the persistent promise (N = 2 and 3, exhaustive:
 * no violation found).
 */

#ifndef N
#define N 3
#endif
#ifndef MAXC
#define MAXC 3          /* highest epoch counter */
#endif
#ifndef NETCAP
#define NETCAP 3        /* messages in flight */
#endif
#ifndef MAXCRASH
#define MAXCRASH 1
#endif
#ifdef LIVENESS
#undef MAXCRASH
#define MAXCRASH 0
#ifndef MATRIX
#define MATRIX
#endif
#endif

/* which half of the fix: parent = last quorate epoch; witness compares the
 * parent with the epoch of the view it granted last */
#if defined(AS_DESIGNED)
#define PARENT_QUORATE 0
#define WITNESS_GRANTED 0
#elif defined(AS_BUILT_BEFORE)
#define PARENT_QUORATE 1
#define WITNESS_GRANTED 0
#elif defined(FIX_PARENT_ONLY)
#define PARENT_QUORATE 1
#define WITNESS_GRANTED 0
#elif defined(FIX_WITNESS_ONLY)
#define PARENT_QUORATE 0
#define WITNESS_GRANTED 1
#else
#define PARENT_QUORATE 1
#define WITNESS_GRANTED 1
#endif

/* the promise survives a restart (the fix) or not (view_init today) */
#if defined(AS_DESIGNED) || defined(NO_PERSIST)
#define PERSIST_PROMISE 0
#else
#define PERSIST_PROMISE 1
#endif

#define TIES      (N % 2 == 0)                    /* an even split is possible */
#define ALL       ((1 << N) - 1)
#define BIT(i)    (1 << (i))
#define HAS(m, i) (((m) >> (i)) & 1)
#define MAX(a, b) ((a) > (b) -> (a) : (b))
#define POP(x)    popc[x]                         /* view_count() */
#define LOWEST(x) lowest[x]                       /* view_lowest() */
#define CNT(e)    ((e) / N)                       /* an epoch's counter */
#define EPOCH(c, i) ((c) * N + (i))
/* view_mask_before(): the set holding the lowest node the other lacks */
#define BEFORE(a, b) (((a) ^ (b)) != 0 && HAS(a, lowest[(a) ^ (b)]))

mtype = { PROPOSE, ACK, NACK, COMMIT };

/* The network: a bag of (type, from, to, epoch, members, aux); aux is the
 * ACK's past (see PAST), the COMMIT's parent; 0 in a NACK (its highest
 * epoch seen is not modelled, see start_proposal). Sorted sends make the channel a multiset. */
chan net = [NETCAP] of { mtype, byte, byte, byte, byte, byte };

/* constant tables, filled by init: bits set, lowest bit set */
#if N == 2
#define TAB 4
#elif N == 3
#define TAB 8
#elif N == 4
#define TAB 16
#else
#define TAB 32
#endif
byte popc[TAB], lowest[TAB];

#ifdef MATRIX
byte hears[N];          /* bit j of hears[i]: node i hears node j */
#endif
bool up[N];

/* struct view_machine */
byte vep[N];            /* installed view: epoch (0: none) */
byte vmem[N];           /* installed view: members (0: in no view) */
byte vpar[N];           /* installed view: parent */
byte prom[N];           /* promised */
bool proposing[N];
byte pep[N], pmem[N], packed[N], ppar[N];
byte issued[N];         /* restart floor: set at a crash (see there) */

/* in the daemon, from the view */
bool vq[N];             /* counts its installed view as quorate */
byte lastq[N];          /* epoch of the last view installed as quorate */

/* the witness: the epoch it arbitrated last and the side it granted */
byte w_epoch;
byte w_members;         /* 0: nothing arbitrated yet */

/* scratch, shared by all steps (every step is atomic): zero between steps */
byte t_s, t_j, t_k, t_c, t_cand, t_n;
bool t_ok;
byte m_t, m_f, m_d, m_e, m_m, m_a;      /* the message being delivered */
byte q_t[NETCAP], q_f[NETCAP], q_d[NETCAP], q_e[NETCAP], q_m[NETCAP], q_a[NETCAP];

/* ghosts, for the properties only */
#ifndef NOGHOST
byte committed[EPOCH(MAXC, N - 1) + 1];  /* members installed under an epoch */
#endif
byte crashes;

/* What an ACK says about the member's past, and so what the parent is:
 * the last committed epoch (as designed) or the last quorate one (fix). */
#if !TIES
#define PAST(i) 0       /* no ties, no parent needed: keep the state small */
#elif PARENT_QUORATE
#define PAST(i) lastq[i]
#else
#define PAST(i) vep[i]
#endif

/* a granted tie is a quorate view: it becomes the node's last quorate
 * epoch (kept only where the parent uses it) */
#define SET_LASTQ(i) lastq[i] = (PARENT_QUORATE -> vep[i] : 0)

/* ------------------------------------------------------------------ */
#ifdef MATRIX
/* view_candidate(): the largest clique of mutual edges holding vc_i among
 * the nodes it hears; then the smallest sorted id list (one vote each). */
inline view_candidate(vc_i, vc_out)
{
    vc_out = BIT(vc_i);
    t_s = 1;
    do
    :: t_s <= ALL ->
        if
        :: HAS(t_s, vc_i) ->
            t_ok = true;
            t_j = 0;
            do
            :: t_j < N ->
                if
                :: HAS(t_s, t_j) && ((hears[t_j] | BIT(t_j)) & t_s) != t_s -> t_ok = false
                :: else -> skip
                fi;
                t_j++
            :: else -> break
            od;
            if
            :: t_ok && (POP(t_s) > POP(vc_out) ||
                        (POP(t_s) == POP(vc_out) && BEFORE(t_s, vc_out))) -> vc_out = t_s
            :: else -> skip
            fi
        :: else -> skip
        fi;
        t_s++
    :: else -> break
    od;
    t_s = 0; t_j = 0; t_ok = false
}
#define LINK(from, to) HAS(hears[to], from)
#else
#define LINK(from, to) true
#endif

/* The candidate of a node at this step: from the matrix; or, without
 * MATRIX, any set that holds the node (what an arbitrary, changing matrix
 * can give). own_candidate() is asked when the node may coordinate: only
 * sets of which it is the lowest id matter then. */
inline own_candidate(oc_i, oc_out)
{
#ifdef MATRIX
    view_candidate(oc_i, oc_out)
#else
    oc_out = 0;
    do
    :: oc_out < (ALL >> (oc_i + 1)) -> oc_out++
    :: break
    od;
    oc_out = (oc_out << (oc_i + 1)) | BIT(oc_i)
#endif
}

/* t_ok := the candidate of node ce_i at this step is ce_m */
inline candidate_is(ce_i, ce_m)
{
#ifdef MATRIX
    view_candidate(ce_i, t_cand);
    t_ok = (t_cand == ce_m);
    t_cand = 0
#else
    if
    :: t_ok = true
    :: t_ok = false
    fi
#endif
}

inline send(s_t, s_from, s_to, s_e, s_m, s_aux)
{
    if
    :: LINK(s_from, s_to) ->
        if
        :: nfull(net) -> net!!s_t, s_from, s_to, s_e, s_m, s_aux
        :: full(net) -> skip    /* bag full: lost */
        fi
    :: else -> skip             /* link cut: lost */
    fi
}

inline send_all(a_t, a_from, a_to, a_e, a_m, a_aux)
{
    t_j = 0;
    do
    :: t_j < N ->
        if
        :: HAS(a_to, t_j) && t_j != a_from -> send(a_t, a_from, t_j, a_e, a_m, a_aux)
        :: else -> skip
        fi;
        t_j++
    :: else -> break
    od;
    t_j = 0
}

/* install() and the daemon's quorum of the new view */
inline install(in_i, in_e, in_m, in_p)
{
    printf("EV node %d installs epoch %d members %d parent %d\n", in_i, in_e, in_m, in_p);
    vep[in_i] = in_e; vmem[in_i] = in_m;
    if
    :: 2 * POP(in_m) > N ->
        vq[in_i] = true; vpar[in_i] = 0;
        if
        :: TIES && PARENT_QUORATE -> lastq[in_i] = in_e
        :: else -> skip
        fi
    :: 2 * POP(in_m) == N -> vq[in_i] = false; vpar[in_i] = in_p  /* tie: ask the witness */
    :: else -> vq[in_i] = false; vpar[in_i] = 0
    fi;
#ifndef NOGHOST
    /* (1) agreement */
    if
    :: committed[in_e] == 0 -> committed[in_e] = in_m
    :: else -> assert(committed[in_e] == in_m)
    fi;
#endif
    /* (3) in a view that holds it */
    assert(HAS(in_m, in_i))
}

inline clear_proposal(cp_i)
{
    proposing[cp_i] = false; pep[cp_i] = 0; pmem[cp_i] = 0; packed[cp_i] = 0; ppar[cp_i] = 0
}

/* commit(): every member accepted */
inline commit(co_i)
{
    if
    :: TIES && 2 * POP(pmem[co_i]) == N -> ppar[co_i] = MAX(ppar[co_i], PAST(co_i))
    :: else -> skip
    fi;
    install(co_i, pep[co_i], pmem[co_i], ppar[co_i]);
    send_all(COMMIT, co_i, pmem[co_i], pep[co_i], pmem[co_i], ppar[co_i]);
    clear_proposal(co_i)
}

/* view_tick() -> start_proposal(). C: counter = max(max_seen, promised,
 * floor) + 1. The model does not keep max_seen: it picks any counter above
 * the promised one and the restart floor, which holds every value max_seen
 * could have (max_seen >= promised). */
inline start_proposal(sp_i, sp_cand)
{
    t_c = MAX(CNT(prom[sp_i]), issued[sp_i]) + 1;   /* prom >= own proposals */
    do
    :: t_c < MAXC -> t_c++
    :: break
    od;
    proposing[sp_i] = true;
    pep[sp_i] = EPOCH(t_c, sp_i);
    prom[sp_i] = pep[sp_i];
    pmem[sp_i] = sp_cand;
    packed[sp_i] = BIT(sp_i);
    if
    :: TIES && 2 * POP(sp_cand) == N -> ppar[sp_i] = PAST(sp_i)
    :: else -> ppar[sp_i] = 0   /* the parent only matters for a tie */
    fi;
    t_c = 0;
    printf("EV node %d proposes epoch %d members %d\n", sp_i, pep[sp_i], sp_cand);
    if
    :: packed[sp_i] == pmem[sp_i] -> commit(sp_i)      /* alone */
    :: else -> send_all(PROPOSE, sp_i, pmem[sp_i], pep[sp_i], pmem[sp_i], 0)
    fi
}

/* view_on_propose(); t_ok: op_m is op_i's candidate at this step */
inline on_propose(op_i, op_from, op_e, op_m)
{
    if
    :: op_from == LOWEST(op_m) && HAS(op_m, op_i) && op_e > prom[op_i] && t_ok ->
        printf("EV node %d accepts epoch %d of node %d (past %d)\n", op_i, op_e, op_from, PAST(op_i));
        prom[op_i] = op_e;
        clear_proposal(op_i);           /* a proposal of our own is overtaken */
        send(ACK, op_i, op_from, op_e, 0, PAST(op_i))
    :: else ->
        if
        :: op_e == prom[op_i] && t_ok && op_from == LOWEST(op_m) ->
            send(ACK, op_i, op_from, op_e, 0, PAST(op_i))   /* a retransmission */
        :: else ->
            send(NACK, op_i, op_from, op_e, 0, 0)    /* its max_seen: not modelled */
        fi
    fi
}

/* view_on_ack() */
inline on_ack(oa_i, oa_from, oa_e, oa_past)
{
    if
    :: proposing[oa_i] && oa_e == pep[oa_i] && HAS(pmem[oa_i], oa_from) ->
        packed[oa_i] = packed[oa_i] | BIT(oa_from);
        if
        :: ppar[oa_i] < oa_past && TIES && 2 * POP(pmem[oa_i]) == N -> ppar[oa_i] = oa_past
        :: else -> skip
        fi;
        if
        :: packed[oa_i] == pmem[oa_i] -> commit(oa_i)
        :: else -> skip
        fi
    :: else -> skip
    fi
}

/* view_on_nack() */
inline on_nack(on_i, on_e, on_s)
{
    if
    :: proposing[on_i] && on_e == pep[on_i] -> clear_proposal(on_i)
    :: else -> skip
    fi
}

/* view_on_commit(): only the proposal this node accepted last */
inline on_commit(oc_i, oc_from, oc_e, oc_m, oc_p)
{
    if
    :: oc_e == prom[oc_i] && oc_e > vep[oc_i] && HAS(oc_m, oc_i) && oc_from == LOWEST(oc_m) ->
        install(oc_i, oc_e, oc_m, oc_p)
    :: else -> skip
    fi
}

/* view_on_heartbeat(): oh_i hears oh_j, whose heartbeat carries its view */
inline on_heartbeat(oh_i, oh_j)
{
    if
    :: vep[oh_j] > vep[oh_i] && HAS(vmem[oh_j], oh_j) ->
        if
        :: HAS(vmem[oh_j], oh_i) ->
            /* a view with oh_i in it: the commit to oh_i was lost. The
             * heartbeat has no parent: use what oh_i knows (a lower bound,
             * so at worst the witness refuses) */
            if
            :: vep[oh_j] == prom[oh_i] -> install(oh_i, vep[oh_j], vmem[oh_j], PAST(oh_i))
            :: else -> skip
            fi
        :: else ->
            if
            :: HAS(vmem[oh_i], oh_j) -> vmem[oh_i] = 0; vq[oh_i] = false; vpar[oh_i] = 0;
                printf("EV node %d left out (heartbeat of node %d)\n", oh_i, oh_j)
            :: else -> skip     /* left out */
            fi
        fi
    :: else -> skip
    fi
}

/* A tie: ask the witness (POST /v1/arbitrate). */
inline ask_witness(aw_i)
{
#if WITNESS_GRANTED
    /* The fix: the witness records the epoch of the view it granted (and
     * its members); it grants that view again to its members, and grants
     * a newer view only if its parent is no older than the one granted. */
    if
    :: w_members != 0 && vep[aw_i] == w_epoch ->
        if
        :: HAS(w_members, aw_i) -> vq[aw_i] = true; SET_LASTQ(aw_i)
        :: else -> skip
        fi
    :: else ->
        if
        :: vep[aw_i] > w_epoch && (w_members == 0 || vpar[aw_i] >= w_epoch) ->
            w_epoch = vep[aw_i]; w_members = vmem[aw_i];
            vq[aw_i] = true; SET_LASTQ(aw_i);
            printf("EV witness grants epoch %d to node %d (parent %d)\n", vep[aw_i], aw_i, vpar[aw_i])
        :: else -> printf("EV witness refuses node %d (epoch %d parent %d)\n", aw_i, vep[aw_i], vpar[aw_i])
        fi
    fi
#elif defined(AS_BUILT_BEFORE)
    /* What vigild did before the fix: ask about the asking node's own last
     * quorate epoch (not the view's parent), for the members of its view;
     * the witness: an epoch newer than any arbitrated goes to the first
     * asker, the same epoch only to a member of that side. */
    if
    :: w_members == 0 || lastq[aw_i] > w_epoch ->
        w_epoch = lastq[aw_i]; w_members = vmem[aw_i];
        vq[aw_i] = true; SET_LASTQ(aw_i);
        printf("EV witness grants key %d to node %d (view %d members %d)\n", w_epoch, aw_i, vep[aw_i], vmem[aw_i])
    :: w_members != 0 && lastq[aw_i] == w_epoch && HAS(w_members, aw_i) ->
        vq[aw_i] = true; SET_LASTQ(aw_i);
        printf("EV witness grants key %d again to node %d\n", w_epoch, aw_i)
    :: else -> printf("EV witness refuses node %d (key %d)\n", aw_i, lastq[aw_i])
    fi
#else
    /* As designed: epoch = parent; docs/witness-api.md: an epoch newer
     * than any arbitrated goes to the first asker, the same epoch only to a
     * member of that side, an older one to nobody. */
    if
    :: w_members == 0 || vpar[aw_i] > w_epoch ->
        w_epoch = vpar[aw_i]; w_members = vmem[aw_i];
        vq[aw_i] = true; SET_LASTQ(aw_i);
        printf("EV witness grants parent %d to node %d (view %d members %d)\n", vpar[aw_i], aw_i, vep[aw_i], vmem[aw_i])
    :: w_members != 0 && vpar[aw_i] == w_epoch && HAS(w_members, aw_i) ->
        vq[aw_i] = true; SET_LASTQ(aw_i);
        printf("EV witness grants parent %d again to node %d\n", vpar[aw_i], aw_i)
    :: else -> printf("EV witness refuses node %d (parent %d)\n", aw_i, vpar[aw_i])
    fi
#endif
}

/* (2) and (3), after every step */
/* member s has left the view node j holds: its promise is not that epoch
 * any more (it accepted a newer one, or crashed and lost it) */
#define SUP(j, s) (HAS(vmem[j], s) && prom[s] != vep[j])
inline invariants()
{
    d_step {
        t_j = 0;
        do
        :: t_j < N ->
            assert(vmem[t_j] == 0 || HAS(vmem[t_j], t_j));
            t_k = t_j + 1;
            do
            :: t_k < N ->
#ifdef NOGHOST
                /* (1) without the ghost: views installed now */
                assert(vmem[t_j] == 0 || vmem[t_k] == 0 || vep[t_j] != vep[t_k] ||
                       vmem[t_j] == vmem[t_k]);
#endif
                if
                :: up[t_j] && up[t_k] && vq[t_j] && vq[t_k] && (vmem[t_j] & vmem[t_k]) == 0 ->
                    /* disjoint and both quorate: one must be superseded */
                    t_ok = false;
                    t_s = 0;
                    do
                    :: t_s < N ->
                        if
                        :: SUP(t_j, t_s) || SUP(t_k, t_s) -> t_ok = true
                        :: else -> skip
                        fi;
                        t_s++
                    :: else -> break
                    od;
                    assert(t_ok)
                :: else -> skip
                fi;
                t_k++
            :: else -> break
            od;
            t_j++
        :: else -> break
        od;
        t_j = 0; t_k = 0; t_s = 0; t_ok = false
    }
}


/* take any message of the bag into m_* (the others stay) */
inline take_any()
{
    t_n = 0;
    do
    :: t_n + 1 < len(net) -> t_n++
    :: break
    od;
    t_k = 0;
    do
    :: t_k < t_n -> net?q_t[t_k], q_f[t_k], q_d[t_k], q_e[t_k], q_m[t_k], q_a[t_k]; t_k++
    :: else -> break
    od;
    net?m_t, m_f, m_d, m_e, m_m, m_a;
    do
    :: t_k > 0 ->
        t_k--;
        net!!q_t[t_k], q_f[t_k], q_d[t_k], q_e[t_k], q_m[t_k], q_a[t_k];
        q_t[t_k] = 0; q_f[t_k] = 0; q_d[t_k] = 0; q_e[t_k] = 0; q_m[t_k] = 0; q_a[t_k] = 0
    :: else -> break
    od;
    t_n = 0
}

/* Retransmissions of node i to peer j: PROPOSE while j has not acked;
 * the COMMIT of the view i coordinates while j has not installed it (C:
 * c_pending); not while the same message is still in the bag (a second
 * identical copy changes nothing a later retransmission could not). */
#define RT_PROPOSE(i, j) (proposing[i] && HAS(pmem[i] & ~packed[i], j) && LINK(i, j) && \
        nfull(net) && !net??[PROPOSE, eval(i), j, eval(pep[i]), eval(pmem[i]), 0])
#define RT_COMMIT(i, j) (i != j && vmem[i] != 0 && LOWEST(vmem[i]) == i && HAS(vmem[i], j) && \
        vep[j] != vep[i] && LINK(i, j) && \
        nfull(net) && !net??[COMMIT, eval(i), j, eval(vep[i]), eval(vmem[i]), eval(vpar[i])])
/* A heartbeat of j that node i hears and that changes something: it shows
 * a newer view holding i that i accepted (the commit was lost), or a newer
 * view without i that j, a member of i's view, moved to (left out). */
#define HB_DOES(i, j) (i != j && up[j] && LINK(j, i) && vep[j] > vep[i] && HAS(vmem[j], j) && \
        (HAS(vmem[j], i) -> vep[j] == prom[i] : HAS(vmem[i], j)))
#define HB_STEP(j) \
    :: atomic { up[i] && HB_DOES(i, j) -> on_heartbeat(i, j); invariants() }
#define PEER_STEPS(j) \
    :: atomic { up[i] && RT_PROPOSE(i, j) -> send(PROPOSE, i, j, pep[i], pmem[i], 0) } \
    :: atomic { up[i] && RT_COMMIT(i, j) -> send(COMMIT, i, j, vep[i], vmem[i], vpar[i]) } \
    HB_STEP(j)

/* the witness would grant node i's request (asking and being refused
 * changes nothing, so only granted requests are steps) */
#if WITNESS_GRANTED
#define GRANTS(i) ((w_members != 0 && vep[i] == w_epoch && HAS(w_members, i)) || \
        (vep[i] > w_epoch && (w_members == 0 || vpar[i] >= w_epoch)))
#elif defined(AS_BUILT_BEFORE)
#define GRANTS(i) (w_members == 0 || lastq[i] > w_epoch || \
        (lastq[i] == w_epoch && HAS(w_members, i)))
#else
#define GRANTS(i) (w_members == 0 || vpar[i] > w_epoch || \
        (vpar[i] == w_epoch && HAS(w_members, i)))
#endif

/* Without timers, the liveness check must not let a coordinator abandon a
 * proposal that can still succeed (the attempt timer is longer than a
 * round trip); the safety checks let it abandon at any step. */
#ifdef LIVENESS
#define NOT_PENDING(i, c) (!proposing[i] || pmem[i] != (c))
#else
#define NOT_PENDING(i, c) true
#endif

proctype node(byte i)
{
    do
    /* view_tick(): the coordinator of its candidate proposes it */
    :: atomic {
        up[i] && MAX(CNT(prom[i]), issued[i]) < MAXC ->
        own_candidate(i, t_cand);
        if
        :: LOWEST(t_cand) == i && (t_cand != vmem[i] || vep[i] == 0) && NOT_PENDING(i, t_cand) ->
            start_proposal(i, t_cand)
        :: else -> skip
        fi;
        t_cand = 0;
        invariants()
       }
    /* view_tick(): retransmit, and heartbeats: one option per peer j, each
     * enabled only when it would change something (see the macros) */
#ifndef LIVENESS
    PEER_STEPS(0)
    PEER_STEPS(1)
#if N > 2
    PEER_STEPS(2)
#endif
#if N > 3
    PEER_STEPS(3)
#endif
#if N > 4
    PEER_STEPS(4)
#endif
#else
    HB_STEP(0)
    HB_STEP(1)
#if N > 2
    HB_STEP(2)
#endif
#if N > 3
    HB_STEP(3)
#endif
#if N > 4
    HB_STEP(4)
#endif
#endif
    /* an installed tie: ask the witness */
    :: atomic {
        TIES && up[i] && vmem[i] != 0 && !vq[i] && 2 * POP(vmem[i]) == N && GRANTS(i) ->
        ask_witness(i);
        invariants()
       }
    /* crash: all volatile state is lost; restart is view_init() */
    :: atomic {
        up[i] && crashes < MAXCRASH ->
        crashes++;
        up[i] = false;
        /* the counter floor of the restart: above every epoch it issued
         * (they are all <= its promise). C: the wall clock, which is also
         * above them. */
        issued[i] = MAX(issued[i], CNT(prom[i]));
        printf("EV node %d crashes\n", i);
        vep[i] = 0; vmem[i] = 0; vpar[i] = 0;
        prom[i] = (PERSIST_PROMISE -> prom[i] : 0);
        vq[i] = false; lastq[i] = 0;
        clear_proposal(i);
        invariants()
       }
    :: atomic { !up[i] -> up[i] = true }
    od
}

/* The network: delivers any message in the bag (PROPOSE and COMMIT may
 * stay for a later retransmission), or drops it. */
proctype network()
{
    do
    :: atomic {
        nempty(net) ->
        take_any();
        if
        :: up[m_d] ->
            if
            :: m_t == PROPOSE -> candidate_is(m_d, m_m); on_propose(m_d, m_f, m_e, m_m)
            :: m_t == ACK -> on_ack(m_d, m_f, m_e, m_a)
            :: m_t == NACK -> on_nack(m_d, m_e, m_a)
            :: m_t == COMMIT -> on_commit(m_d, m_f, m_e, m_m, m_a)
            fi
        :: else -> skip         /* to a crashed node: lost */
        fi;
        m_t = 0; m_f = 0; m_d = 0; m_e = 0; m_m = 0; m_a = 0; t_ok = false;
        invariants()
       }
#ifndef LIVENESS
    :: atomic {                 /* lost */
        nempty(net) ->
        take_any();
        printf("EV lost: type %e from %d to %d epoch %d\n", m_t, m_f, m_d, m_e);
        m_t = 0; m_f = 0; m_d = 0; m_e = 0; m_m = 0; m_a = 0
       }
#endif
    od
}

#if defined(MATRIX) && !defined(LIVENESS)
/* The environment: cuts or heals one direction of one link, at any step. */
proctype env()
{
    byte a, b;
    do
    :: atomic {
        a = 0;
        do
        :: a + 1 < N -> a++
        :: break
        od;
        b = 0;
        do
        :: b + 1 < N -> b++
        :: break
        od;
        if
        :: a != b -> hears[a] = hears[a] ^ BIT(b)
        :: else -> skip
        fi;
        a = 0; b = 0
       }
    od
}
#endif

#ifdef LIVENESS
#define FULL(i) (i >= N || vmem[i % N] == ALL)
ltl all_in_one_view { <> [] (FULL(0) && FULL(1) && FULL(2) && FULL(3)) }
#endif

init
{
    byte i, b;
    atomic {
        i = 0;
        do
        :: i < TAB ->
            popc[i] = 0;
            lowest[i] = 5;
            b = 5;
            do
            :: b > 0 ->
                b--;
                if
                :: HAS(i, b) -> popc[i]++; lowest[i] = b
                :: else -> skip
                fi
            :: else -> break
            od;
            i++
        :: else -> break
        od;
        i = 0;
        do
        :: i < N ->
            up[i] = true;
#ifdef MATRIX
            hears[i] = ALL & ~BIT(i);
#endif
            i++
        :: else -> break
        od;
        i = 0;
        do
        :: i < N -> run node(i); i++
        :: else -> break
        od;
        run network();
#if defined(MATRIX) && !defined(LIVENESS)
        run env();
#endif
        i = 0; b = 0
    }
}
