/* Unit tests of src/common/spawn*.c: real children (/bin/sh) under a real
 * sd-event loop — exit codes, capture, stdin, truncation, timeouts with
 * SIGTERM then SIGKILL to the whole process group, spawn errors, the exact
 * environment, cancel, many children at once, a loop that keeps turning —
 * and the pure helpers. SIGCHLD is blocked in main(), as vigild does. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../../src/common/spawn.h"

#define MS VG_USEC_PER_MSEC
#define SH "/bin/sh"

/* What one completion callback saw, copied out of the result. */
struct rec {
    int calls;
    struct spawn *s;
    enum spawn_outcome outcome;
    int exit_code, sig, error;
    bool core_dumped, still_running, cwd_failed;
    pid_t pid;
    vg_usec_t duration;
    char *out, *err;
    size_t out_len, err_len;
    uint64_t out_dropped, err_dropped;
    char text[512];
    bool cancel_in_callback;
};

static void on_done(struct spawn *s, const struct spawn_result *r, void *userdata)
{
    struct rec *rec = userdata;

    rec->calls++;
    rec->s = s;
    rec->outcome = r->outcome;
    rec->exit_code = r->exit_code;
    rec->sig = r->signal;
    rec->error = r->error;
    rec->core_dumped = r->core_dumped;
    rec->still_running = r->still_running;
    rec->cwd_failed = r->cwd_failed;
    rec->pid = r->pid;
    rec->duration = r->duration;
    rec->out = malloc(r->out.len + 1);
    rec->err = malloc(r->err.len + 1);
    assert_non_null(rec->out);
    assert_non_null(rec->err);
    memcpy(rec->out, r->out.data, r->out.len + 1);
    memcpy(rec->err, r->err.data, r->err.len + 1);
    rec->out_len = r->out.len;
    rec->err_len = r->err.len;
    rec->out_dropped = r->out.dropped;
    rec->err_dropped = r->err.dropped;
    assert_int_equal(spawn_status_text(r, rec->text, sizeof(rec->text)), 0);
    if (rec->cancel_in_callback)
        spawn_cancel(s); /* a no-op by contract */
}

static void rec_free(struct rec *rec)
{
    free(rec->out);
    free(rec->err);
    memset(rec, 0, sizeof(*rec));
}

static int setup(void **state)
{
    sd_event *ev = NULL;

    assert_int_equal(sd_event_new(&ev), 0);
    *state = ev;
    return 0;
}

/* Free the loop, then reap the orphans (killed grandchildren) the test
 * inherited as a subreaper, so that none is left a zombie. */
static int teardown(void **state)
{
    sd_event_unref(*state);
    while (waitpid(-1, NULL, WNOHANG) > 0)
        ;
    return 0;
}

/* Turn the loop until *count reaches want; fails the test after limit_ms. */
static void run_until(sd_event *ev, const int *count, int want, unsigned limit_ms)
{
    vg_usec_t deadline = clock_now() + limit_ms * MS;

    while (*count < want) {
        assert_true(clock_now() < deadline);
        assert_true(sd_event_run(ev, 10 * MS) >= 0);
    }
}

/* Turn the loop for ms milliseconds. */
static void run_for(sd_event *ev, unsigned ms)
{
    vg_usec_t end = clock_now() + ms * MS;

    while (clock_now() < end)
        assert_true(sd_event_run(ev, 5 * MS) >= 0);
}

/* Start `/bin/sh -c script` with the other options from o. */
static struct spawn *start_sh(sd_event *ev, const char *script, struct spawn_opts o,
                              struct rec *rec)
{
    char *argv[] = {SH, "-c", (char *)script, NULL};
    struct spawn *s = NULL;

    o.argv = argv;
    assert_int_equal(spawn_start(ev, &o, on_done, rec, &s), 0);
    assert_non_null(s);
    return s;
}

/* Run a script to completion. */
static void run_sh(sd_event *ev, const char *script, struct spawn_opts o, struct rec *rec)
{
    start_sh(ev, script, o, rec);
    assert_int_equal(rec->calls, 0); /* never from inside spawn_start */
    run_until(ev, &rec->calls, 1, 4000);
    assert_int_equal(rec->calls, 1);
}

/* Gone, or a zombie: either way not running. An orphaned grandchild comes to
 * us (main() makes the test a subreaper) and is reaped here when `reap`;
 * children the loop watches must be left to the loop. */
static bool pid_gone(pid_t pid, bool reap)
{
    char path[64], buf[512];
    const char *p;
    ssize_t n;
    int fd;

    if (reap && waitpid(pid, NULL, WNOHANG) == pid)
        return true;
    if (kill(pid, 0) < 0 && errno == ESRCH)
        return true;
    snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
    if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
        return true;
    n = read(fd, buf, sizeof(buf) - 1);
    close(fd);
    if (n <= 0)
        return true;
    buf[n] = '\0';
    p = strrchr(buf, ')');
    if (p && p[1] == ' ' && (p[2] == 'Z' || p[2] == 'X')) {
        if (reap)
            waitpid(pid, NULL, WNOHANG);
        return true;
    }
    return false;
}

/* Wait (turning the loop) up to ms for pid to be gone. */
static bool wait_gone(sd_event *ev, pid_t pid, bool reap, unsigned ms)
{
    vg_usec_t end = clock_now() + ms * MS;

    while (!pid_gone(pid, reap)) {
        if (clock_now() >= end)
            return false;
        sd_event_run(ev, 5 * MS);
    }
    return true;
}

/* The child itself was reaped by the loop: not our zombie any more. */
static void assert_reaped(pid_t pid)
{
    assert_int_equal(waitpid(pid, NULL, WNOHANG), -1);
    assert_int_equal(errno, ECHILD);
}

static void test_exit_codes(void **state)
{
    static const int codes[] = {0, 1, 7, 255};
    struct rec rec = {0};

    for (size_t i = 0; i < sizeof(codes) / sizeof(codes[0]); i++) {
        char script[32], want[32];

        snprintf(script, sizeof(script), "exit %d", codes[i]);
        run_sh(*state, script, (struct spawn_opts){0}, &rec);
        assert_int_equal(rec.outcome, SPAWN_EXITED);
        assert_int_equal(rec.exit_code, codes[i]);
        snprintf(want, sizeof(want), "exit %d", codes[i]);
        assert_string_equal(rec.text, want);
        assert_true(rec.pid > 0);
        assert_reaped(rec.pid);
        rec_free(&rec);
    }
}

static void test_killed_by_signal(void **state)
{
    struct rec rec = {0};

    run_sh(*state, "kill -KILL $$", (struct spawn_opts){0}, &rec);
    assert_int_equal(rec.outcome, SPAWN_SIGNALED);
    assert_int_equal(rec.sig, SIGKILL);
    assert_string_equal(rec.text, "killed by SIGKILL");
    rec_free(&rec);
}

static void test_duration(void **state)
{
    struct rec rec = {0};

    run_sh(*state, "sleep 0.2", (struct spawn_opts){0}, &rec);
    assert_int_equal(rec.outcome, SPAWN_EXITED);
    assert_true(rec.duration >= 200 * MS);
    assert_true(rec.duration < 2000 * MS);
    rec_free(&rec);
}

static void test_capture_merged(void **state)
{
    struct rec rec = {0};

    run_sh(*state, "echo out; echo err >&2; echo out2", (struct spawn_opts){0}, &rec);
    assert_int_equal(rec.exit_code, 0);
    assert_string_equal(rec.out, "out\nerr\nout2\n");
    assert_int_equal(rec.err_len, 0);
    assert_int_equal(rec.out_dropped, 0);
    rec_free(&rec);
}

static void test_capture_separate(void **state)
{
    struct rec rec = {0};

    run_sh(*state, "echo out; echo err >&2; exit 3", (struct spawn_opts){.separate_stderr = true},
           &rec);
    assert_int_equal(rec.exit_code, 3);
    assert_string_equal(rec.out, "out\n");
    assert_string_equal(rec.err, "err\n");
    rec_free(&rec);
}

/* Fence agents read key=value lines on stdin. */
static void test_stdin_cat(void **state)
{
    static const char in[] = "action=off\nplug=alpha\nipaddr=192.0.2.9\n";
    char *argv[] = {"/bin/cat", NULL};
    struct spawn_opts o = {.argv = argv, .stdin_data = in, .stdin_len = sizeof(in) - 1};
    struct rec rec = {0};

    assert_int_equal(spawn_start(*state, &o, on_done, &rec, NULL), 0);
    run_until(*state, &rec.calls, 1, 4000);
    assert_int_equal(rec.exit_code, 0);
    assert_string_equal(rec.out, in);
    rec_free(&rec);
}

/* More than a pipe holds: written in pieces as the child reads. */
static void test_stdin_large(void **state)
{
    size_t len = 300000;
    char *in = malloc(len);
    struct rec rec = {0};

    assert_non_null(in);
    memset(in, 'k', len);
    run_sh(*state, "wc -c", (struct spawn_opts){.stdin_data = in, .stdin_len = len}, &rec);
    free(in);
    assert_int_equal(rec.exit_code, 0);
    assert_int_equal(atol(rec.out), 300000);
    rec_free(&rec);
}

/* A child that never reads its stdin: EPIPE for us, no SIGPIPE for the test. */
static void test_stdin_not_read(void **state)
{
    size_t len = 1 << 20;
    char *in = calloc(1, len);
    struct rec rec = {0};

    assert_non_null(in);
    run_sh(*state, "exec 0<&-; exit 3", (struct spawn_opts){.stdin_data = in, .stdin_len = len},
           &rec);
    free(in);
    assert_int_equal(rec.outcome, SPAWN_EXITED);
    assert_int_equal(rec.exit_code, 3);
    rec_free(&rec);
}

/* No stdin data: /dev/null, so a reader sees end of file at once. */
static void test_stdin_null(void **state)
{
    struct rec rec = {0};

    run_sh(*state, "cat; echo done", (struct spawn_opts){0}, &rec);
    assert_string_equal(rec.out, "done\n");
    rec_free(&rec);
}

static void test_output_truncated(void **state)
{
    struct rec rec = {0};

    run_sh(*state, "head -c 200000 /dev/zero | tr '\\0' x; echo tail >&2", (struct spawn_opts){0},
           &rec);
    assert_int_equal(rec.exit_code, 0);
    assert_int_equal(rec.out_len, SPAWN_OUTPUT_LIMIT_DEFAULT);
    assert_int_equal(rec.out_dropped, 200000 + 5 - SPAWN_OUTPUT_LIMIT_DEFAULT);
    for (size_t i = 0; i < rec.out_len; i++)
        if (rec.out[i] != 'x')
            fail_msg("byte %zu is %d", i, rec.out[i]);
    rec_free(&rec);

    run_sh(*state, "head -c 5000 /dev/zero | tr '\\0' y",
           (struct spawn_opts){.output_limit = 1000, .separate_stderr = true}, &rec);
    assert_int_equal(rec.out_len, 1000);
    assert_int_equal(rec.out_dropped, 4000);
    assert_int_equal(rec.err_len, 0);
    rec_free(&rec);
}

/* A child that dies on SIGTERM: reported as timed out, not as a signal. */
static void test_timeout_term(void **state)
{
    struct rec rec = {0};

    run_sh(*state, "exec sleep 30", (struct spawn_opts){.timeout = 100 * MS}, &rec);
    assert_int_equal(rec.outcome, SPAWN_TIMED_OUT);
    assert_int_equal(rec.sig, SIGTERM);
    assert_true(rec.duration >= 100 * MS);
    assert_true(rec.duration < 2000 * MS); /* not the 5 s grace */
    assert_string_equal(rec.text, "timed out after 100ms");
    assert_reaped(rec.pid);
    rec_free(&rec);
}

/* A child that ignores SIGTERM gets SIGKILL after the grace. */
static void test_timeout_kill(void **state)
{
    struct spawn_opts o = {.timeout = 100 * MS, .kill_grace = 200 * MS};
    struct rec rec = {0};

    run_sh(*state, "trap '' TERM; sleep 30", o, &rec);
    assert_int_equal(rec.outcome, SPAWN_TIMED_OUT);
    assert_int_equal(rec.sig, SIGKILL);
    assert_true(rec.duration >= 300 * MS);
    assert_true(rec.duration < 2000 * MS);
    assert_string_equal(rec.text,
                        "timed out after 100ms, killed by SIGKILL (SIGTERM was not enough)");
    rec_free(&rec);

    /* and SIGTERM did come first */
    run_sh(*state, "trap 'echo got-term' TERM; while :; do sleep 0.05; done", o, &rec);
    assert_int_equal(rec.outcome, SPAWN_TIMED_OUT);
    assert_int_equal(rec.sig, SIGKILL);
    assert_non_null(strstr(rec.out, "got-term"));
    rec_free(&rec);
}

/* The whole group goes at a timeout: a grandchild that dies on SIGTERM, and
 * one that ignores it (killed when the leader exits, without waiting for the
 * grace). */
static void test_timeout_kills_group(void **state)
{
    struct rec rec = {0};
    pid_t g1, g2;

    run_sh(*state, "sleep 30 & echo $!; (trap '' TERM; exec sleep 30) & echo $!; wait",
           (struct spawn_opts){.timeout = 150 * MS}, &rec);
    assert_int_equal(rec.outcome, SPAWN_TIMED_OUT);
    assert_int_equal(rec.sig, SIGTERM);
    assert_true(rec.duration < 2000 * MS);
    assert_int_equal(sscanf(rec.out, "%d %d", &g1, &g2), 2);
    assert_true(wait_gone(*state, g1, true, 1000));
    assert_true(wait_gone(*state, g2, true, 1000));
    rec_free(&rec);
}

/* A normal exit kills nothing: what a start action leaves running (holding
 * our pipe open) stays, and the report does not wait for it. */
static void test_exit_leaves_background(void **state)
{
    struct rec rec = {0};
    pid_t g;

    run_sh(*state, "sleep 30 & echo $!", (struct spawn_opts){0}, &rec);
    assert_int_equal(rec.outcome, SPAWN_EXITED);
    assert_true(rec.duration < 2000 * MS);
    g = atoi(rec.out);
    assert_true(g > 0);
    run_for(*state, 50);
    assert_false(pid_gone(g, true));
    kill(g, SIGKILL);
    assert_true(wait_gone(*state, g, true, 1000));
    rec_free(&rec);
}

/* A descriptor someone opened without O_CLOEXEC does not reach the child. */
static void test_fds_closed(void **state)
{
    int fd = open("/dev/null", O_RDONLY);
    char script[128];
    struct rec rec = {0};

    assert_true(fd >= 3);
    snprintf(script, sizeof(script),
             "[ -e /proc/$$/fd/%d ] && echo leaked || echo closed; [ -e /proc/$$/fd/2 ] && echo ok",
             fd);
    run_sh(*state, script, (struct spawn_opts){0}, &rec);
    close(fd);
    assert_string_equal(rec.out, "closed\nok\n");
    rec_free(&rec);
}

/* vigild runs SCHED_FIFO; its agents must not. */
static void test_normal_scheduling(void **state)
{
    struct sched_param rt = {.sched_priority = 1}, normal = {.sched_priority = 0};
    struct rec rec = {0};
    bool other;

    if (sched_setscheduler(0, SCHED_FIFO, &rt) < 0)
        skip(); /* not allowed here: nothing to test */
    start_sh(*state, "exec chrt -p $$", (struct spawn_opts){0}, &rec);
    sched_setscheduler(0, SCHED_OTHER, &normal);
    run_until(*state, &rec.calls, 1, 4000);
    other = strstr(rec.out, "SCHED_OTHER") != NULL;
    if (!other)
        fail_msg("child scheduling: %s", rec.out);
    rec_free(&rec);
}

static void test_enoent(void **state)
{
    char *argv[] = {"/nonexistent/vigil-agent", "start", NULL};
    struct spawn_opts o = {.argv = argv};
    struct rec rec = {0};
    struct spawn *s = NULL;

    assert_int_equal(spawn_start(*state, &o, on_done, &rec, &s), 0);
    assert_int_equal(spawn_pid(s), 0);
    assert_int_equal(rec.calls, 0);
    run_until(*state, &rec.calls, 1, 1000);
    assert_int_equal(rec.outcome, SPAWN_FAILED);
    assert_int_equal(rec.error, ENOENT);
    assert_false(rec.cwd_failed);
    assert_int_equal(rec.pid, 0);
    assert_string_equal(rec.text,
                        "cannot run /nonexistent/vigil-agent: No such file or directory (ENOENT)");
    rec_free(&rec);

    /* not executable */
    argv[0] = "/etc/passwd";
    assert_int_equal(spawn_start(*state, &o, on_done, &rec, NULL), 0);
    run_until(*state, &rec.calls, 1, 1000);
    assert_int_equal(rec.outcome, SPAWN_FAILED);
    assert_int_equal(rec.error, EACCES);
    rec_free(&rec);
}

static void test_cwd(void **state)
{
    struct rec rec = {0};

    run_sh(*state, "pwd", (struct spawn_opts){0}, &rec);
    assert_string_equal(rec.out, "/\n");
    rec_free(&rec);
    run_sh(*state, "pwd", (struct spawn_opts){.cwd = "/tmp"}, &rec);
    assert_string_equal(rec.out, "/tmp\n");
    rec_free(&rec);

    run_sh(*state, "pwd", (struct spawn_opts){.cwd = "/nonexistent-vigil-dir"}, &rec);
    assert_int_equal(rec.outcome, SPAWN_FAILED);
    assert_int_equal(rec.error, ENOENT);
    assert_true(rec.cwd_failed);
    assert_non_null(strstr(rec.text, "working directory /nonexistent-vigil-dir"));
    rec_free(&rec);
}

/* The child gets exactly the environment given, nothing of ours. */
static void test_env_exact(void **state)
{
    static const char want[] = "A=1\0B=two words\0C=line\nbreak\0EMPTY=\0OCF_RESKEY_ip=192.0.2.1";
    char *argv[] = {"/usr/bin/env", "-0", NULL};
    struct spawn_env env = {0};
    struct spawn_opts o = {.argv = argv};
    struct rec rec = {0};

    assert_int_equal(spawn_env_set_str(&env, "A", "0", NULL, 0), 0);
    assert_int_equal(spawn_env_set_str(&env, "B", "two words", NULL, 0), 0);
    assert_int_equal(spawn_env_set_str(&env, "C", "line\nbreak", NULL, 0), 0);
    assert_int_equal(spawn_env_set_str(&env, "EMPTY", "", NULL, 0), 0);
    assert_int_equal(spawn_env_set_str(&env, "OCF_RESKEY_ip", "192.0.2.1", NULL, 0), 0);
    assert_int_equal(spawn_env_set_str(&env, "A", "1", NULL, 0), 0); /* replaces */
    assert_int_equal(env.n, 5);
    o.envp = env.vars;
    assert_int_equal(spawn_start(*state, &o, on_done, &rec, NULL), 0);
    spawn_env_free(&env); /* copied by the spawn */
    run_until(*state, &rec.calls, 1, 4000);
    assert_int_equal(rec.exit_code, 0);
    assert_int_equal(rec.out_len, sizeof(want)); /* env -0 ends every entry with NUL */
    assert_memory_equal(rec.out, want, sizeof(want));
    rec_free(&rec);

    /* NULL: empty */
    o.envp = NULL;
    assert_int_equal(spawn_start(*state, &o, on_done, &rec, NULL), 0);
    run_until(*state, &rec.calls, 1, 4000);
    assert_int_equal(rec.exit_code, 0);
    assert_int_equal(rec.out_len, 0);
    rec_free(&rec);
}

static void test_env_validation(void **state)
{
    static const char *const bad[] = {"", "1A", "A-B", "A=B", "A B", "é", NULL};
    struct spawn_env env = {0};
    char err[256];

    assert_true(spawn_env_name_valid("_"));
    assert_true(spawn_env_name_valid("OCF_RESKEY_cidr_netmask"));
    assert_true(spawn_env_name_valid("a1"));
    for (int i = 0; bad[i]; i++) {
        err[0] = '\0';
        assert_false(spawn_env_name_valid(bad[i]));
        assert_int_equal(spawn_env_set_str(&env, bad[i], "v", err, sizeof(err)), -EINVAL);
        assert_non_null(strstr(err, "is not valid"));
    }
    assert_false(spawn_env_name_valid(NULL));
    assert_int_equal(spawn_env_set(&env, "X", "a\0b", 3, err, sizeof(err)), -EINVAL);
    assert_string_equal(err, "environment variable X: the value holds a NUL byte");
    assert_int_equal(env.n, 0);
    assert_null(env.vars);

    /* a value given by length need not be NUL-terminated */
    assert_int_equal(spawn_env_set(&env, "X", "abcdef", 3, err, sizeof(err)), 0);
    assert_string_equal(env.vars[0], "X=abc");
    assert_null(env.vars[1]);
    for (int i = 0; i < 40; i++) {
        char name[16];

        snprintf(name, sizeof(name), "V%d", i);
        assert_int_equal(spawn_env_set_str(&env, name, name, NULL, 0), 0);
    }
    assert_int_equal(env.n, 41);
    assert_string_equal(env.vars[40], "V39=V39");
    assert_null(env.vars[41]);
    spawn_env_free(&env);
    assert_int_equal(env.n, 0);
}

static void test_bad_options(void **state)
{
    char *argv[] = {"/bin/true", NULL};
    char *rel[] = {"true", NULL};
    char *none[] = {NULL};
    struct rec rec = {0};
    struct spawn_opts o = {.argv = argv};
    sigset_t chld, old;

    assert_int_equal(spawn_start(NULL, &o, on_done, &rec, NULL), -EINVAL);
    assert_int_equal(spawn_start(*state, &o, NULL, &rec, NULL), -EINVAL);
    o.argv = none;
    assert_int_equal(spawn_start(*state, &o, on_done, &rec, NULL), -EINVAL);
    o.argv = rel; /* no PATH search */
    assert_int_equal(spawn_start(*state, &o, on_done, &rec, NULL), -EINVAL);
    o.argv = argv;
    o.cwd = "tmp";
    assert_int_equal(spawn_start(*state, &o, on_done, &rec, NULL), -EINVAL);
    o.cwd = NULL;
    o.output_limit = SPAWN_OUTPUT_LIMIT_MAX + 1;
    assert_int_equal(spawn_start(*state, &o, on_done, &rec, NULL), -EINVAL);
    o.output_limit = 0;

    /* sd-event cannot watch children unless SIGCHLD is blocked */
    sigemptyset(&chld);
    sigaddset(&chld, SIGCHLD);
    sigprocmask(SIG_UNBLOCK, &chld, &old);
    assert_int_equal(spawn_start(*state, &o, on_done, &rec, NULL), -EBUSY);
    sigprocmask(SIG_SETMASK, &old, NULL);
    assert_int_equal(rec.calls, 0);
}

/* Cancel: the group is killed, no callback comes, the loop still reaps. */
static void test_cancel(void **state)
{
    char path[] = "/tmp/vigil-test-spawn.XXXXXX";
    char script[256], buf[32] = "";
    struct rec rec = {0};
    struct spawn *s;
    pid_t leader, g = 0;
    int fd = mkstemp(path);

    assert_true(fd >= 0);
    snprintf(script, sizeof(script), "sleep 30 & echo $! > %s; exec sleep 30", path);
    s = start_sh(*state, script, (struct spawn_opts){.timeout = 10000 * MS}, &rec);
    leader = spawn_pid(s);
    assert_true(leader > 0);
    for (int i = 0; i < 400 && g <= 0; i++) {
        ssize_t n;

        run_for(*state, 5);
        n = pread(fd, buf, sizeof(buf) - 1, 0);
        if (n > 0 && buf[n - 1] == '\n') {
            buf[n] = '\0';
            g = atoi(buf);
        }
    }
    close(fd);
    unlink(path);
    assert_true(g > 0);
    spawn_cancel(s);
    assert_true(wait_gone(*state, leader, false, 1000));
    assert_true(wait_gone(*state, g, true, 1000));
    run_for(*state, 50);
    assert_reaped(leader);
    assert_int_equal(rec.calls, 0);

    /* cancel before a spawn error is reported */
    {
        char *argv[] = {"/nonexistent/x", NULL};
        struct spawn_opts o = {.argv = argv};

        assert_int_equal(spawn_start(*state, &o, on_done, &rec, &s), 0);
        spawn_cancel(s);
        run_for(*state, 20);
        assert_int_equal(rec.calls, 0);
    }

    /* cancel from inside the callback is harmless */
    rec.cancel_in_callback = true;
    run_sh(*state, "exit 4", (struct spawn_opts){0}, &rec);
    assert_int_equal(rec.exit_code, 4);
    rec_free(&rec);

    spawn_cancel(NULL);
}

/* Cancelled children still running when the loop is freed: no leak (the
 * sanitizer build checks), no crash. */
static void test_cancel_then_free_loop(void **state)
{
    sd_event *ev = NULL;
    struct rec rec = {0};
    struct spawn *s;
    pid_t pid;

    assert_int_equal(sd_event_new(&ev), 0);
    s = start_sh(ev, "exec sleep 30", (struct spawn_opts){0}, &rec);
    pid = spawn_pid(s);
    spawn_cancel(s);
    sd_event_unref(ev);
    /* nothing reaps it now: this test reaps its own zombie */
    assert_int_equal(waitpid(pid, NULL, 0), pid);
    assert_int_equal(rec.calls, 0);
}

static void test_many_children(void **state)
{
    enum { N = 50 };
    struct rec *recs = calloc(N, sizeof(*recs));
    int done = 0;

    assert_non_null(recs);
    for (int i = 0; i < N; i++) {
        char num[16];
        char *argv[] = {SH, "-c", "sleep 0.1; echo \"$1\"; exit $(($1 % 7))", "sh", num, NULL};
        struct spawn_opts o = {.argv = argv, .timeout = 4000 * MS};

        snprintf(num, sizeof(num), "%d", i);
        assert_int_equal(spawn_start(*state, &o, on_done, &recs[i], NULL), 0);
    }
    for (vg_usec_t end = clock_now() + 4000 * MS; done < N;) {
        assert_true(clock_now() < end);
        assert_true(sd_event_run(*state, 10 * MS) >= 0);
        done = 0;
        for (int i = 0; i < N; i++)
            done += recs[i].calls;
    }
    for (int i = 0; i < N; i++) {
        assert_int_equal(recs[i].calls, 1);
        assert_int_equal(recs[i].outcome, SPAWN_EXITED);
        assert_int_equal(recs[i].exit_code, i % 7);
        assert_int_equal(atoi(recs[i].out), i);
        rec_free(&recs[i]);
    }
    free(recs);
}

struct ticker {
    int ticks;
    vg_usec_t last, max_gap;
};

static int on_tick(sd_event_source *src, uint64_t usec, void *userdata)
{
    struct ticker *t = userdata;
    vg_usec_t now = clock_now();

    if (t->last && now - t->last > t->max_gap)
        t->max_gap = now - t->last;
    t->last = now;
    t->ticks++;
    sd_event_source_set_time_relative(src, 10 * MS);
    return 0;
}

/* A 10 ms timer keeps firing while children flood their pipes, read big
 * stdins and time out. */
static void test_loop_responsive(void **state)
{
    enum { N = 8 };
    struct rec recs[N + 1] = {{0}};
    struct ticker t = {0};
    sd_event_source *tick = NULL;
    size_t in_len = 256 * 1024;
    char *in = calloc(1, in_len);
    vg_usec_t t0 = clock_now();
    int done = 0;

    assert_non_null(in);
    assert_int_equal(
        sd_event_add_time_relative(*state, &tick, CLOCK_MONOTONIC, 10 * MS, 1, on_tick, &t), 0);
    sd_event_source_set_enabled(tick, SD_EVENT_ON);
    for (int i = 0; i < N; i++)
        start_sh(*state, "head -c 4000000 /dev/zero; wc -c >/dev/null; sleep 0.3",
                 (struct spawn_opts){.stdin_data = in, .stdin_len = in_len}, &recs[i]);
    start_sh(*state, "trap '' TERM; sleep 30",
             (struct spawn_opts){.timeout = 100 * MS, .kill_grace = 100 * MS}, &recs[N]);
    free(in);
    for (vg_usec_t end = clock_now() + 4000 * MS; done < N + 1;) {
        assert_true(clock_now() < end);
        assert_true(sd_event_run(*state, 50 * MS) >= 0);
        done = 0;
        for (int i = 0; i <= N; i++)
            done += recs[i].calls;
    }
    sd_event_source_disable_unref(tick);
    for (int i = 0; i < N; i++) {
        assert_int_equal(recs[i].exit_code, 0);
        assert_int_equal(recs[i].out_len + recs[i].out_dropped, 4000000);
        rec_free(&recs[i]);
    }
    assert_int_equal(recs[N].outcome, SPAWN_TIMED_OUT);
    rec_free(&recs[N]);
    if (t.ticks < 15)
        fail_msg("%d ticks in %llu ms", t.ticks, (unsigned long long)(t.last - t0) / MS);
    if (t.max_gap > 150 * MS)
        fail_msg("the loop stalled for %llu ms", (unsigned long long)(t.max_gap / MS));
}

static void test_split_lines(void **state)
{
    static const char text[] = "one\r\ntwo\n\nfour";
    struct spawn_line l[8];
    size_t n, total;

    assert_int_equal(spawn_split_lines(text, sizeof(text) - 1, l, 8, &n, &total), 0);
    assert_int_equal(n, 4);
    assert_int_equal(total, 4);
    assert_int_equal(l[0].len, 3);
    assert_memory_equal(l[0].text, "one", 3);
    assert_memory_equal(l[1].text, "two", 3);
    assert_int_equal(l[2].len, 0);
    assert_int_equal(l[3].len, 4);
    assert_memory_equal(l[3].text, "four", 4);

    assert_int_equal(spawn_split_lines("a\nb\nc\n", 6, l, 2, &n, &total), 0);
    assert_int_equal(n, 2);
    assert_int_equal(total, 3);

    assert_int_equal(spawn_split_lines("", 0, l, 8, &n, &total), 0);
    assert_int_equal(n, 0);
    assert_int_equal(total, 0);
    assert_int_equal(spawn_split_lines(NULL, 0, NULL, 0, &n, &total), 0);
    assert_int_equal(spawn_split_lines("\n", 1, l, 8, &n, &total), 0);
    assert_int_equal(total, 1);
    assert_int_equal(l[0].len, 0);
    assert_int_equal(spawn_split_lines("x", 1, NULL, 3, &n, &total), -EINVAL);
}

static void test_line_escape(void **state)
{
    char buf[16];

    assert_int_equal(spawn_line_escape("a\tb\x1b[31mc\x7f", 10, buf, sizeof(buf)), 0);
    assert_string_equal(buf, "a\tb\\x1b[31mc...");
    assert_int_equal(spawn_line_escape("hello", 5, buf, sizeof(buf)), 0);
    assert_string_equal(buf, "hello");
    assert_int_equal(spawn_line_escape("0123456789abcdef", 16, buf, sizeof(buf)), 0);
    assert_string_equal(buf, "0123456789ab...");
    assert_int_equal(spawn_line_escape("0123456789abcde", 15, buf, sizeof(buf)), 0);
    assert_string_equal(buf, "0123456789abcde");
    assert_int_equal(spawn_line_escape("x\ny", 3, buf, sizeof(buf)), 0);
    assert_string_equal(buf, "x\\x0ay");
    assert_int_equal(spawn_line_escape("abcdef", 6, buf, 3), 0);
    assert_string_equal(buf, "..");
    assert_int_equal(spawn_line_escape("", 0, buf, 1), 0);
    assert_string_equal(buf, "");
    assert_int_equal(spawn_line_escape("a", 1, buf, 0), -EINVAL);
}

static void test_status_text(void **state)
{
    struct spawn_result r = {.path = "/usr/sbin/fence_x", .cwd = "/var/lib/x"};
    char buf[160];

    r.outcome = SPAWN_EXITED;
    r.exit_code = 7;
    assert_int_equal(spawn_status_text(&r, buf, sizeof(buf)), 0);
    assert_string_equal(buf, "exit 7");
    r.outcome = SPAWN_SIGNALED;
    r.signal = SIGSEGV;
    r.core_dumped = true;
    spawn_status_text(&r, buf, sizeof(buf));
    assert_string_equal(buf, "killed by SIGSEGV (core dumped)");
    r.outcome = SPAWN_TIMED_OUT;
    r.signal = SIGTERM;
    r.timeout = 5 * VG_USEC_PER_SEC;
    spawn_status_text(&r, buf, sizeof(buf));
    assert_string_equal(buf, "timed out after 5s");
    r.timeout = 2 * 60 * VG_USEC_PER_SEC;
    spawn_status_text(&r, buf, sizeof(buf));
    assert_string_equal(buf, "timed out after 2m");
    r.timeout = 1500 * MS;
    r.signal = SIGKILL;
    r.still_running = true;
    spawn_status_text(&r, buf, sizeof(buf));
    assert_string_equal(buf, "timed out after 1500ms, still running after SIGKILL");
    r.outcome = SPAWN_FAILED;
    r.error = EACCES;
    spawn_status_text(&r, buf, sizeof(buf));
    assert_string_equal(buf, "cannot run /usr/sbin/fence_x: Permission denied (EACCES)");
    r.error = ENOENT;
    r.cwd_failed = true;
    spawn_status_text(&r, buf, sizeof(buf));
    assert_string_equal(buf, "cannot run /usr/sbin/fence_x: working directory /var/lib/x: No "
                             "such file or directory (ENOENT)");
    /* a small buffer truncates, still terminated */
    assert_int_equal(spawn_status_text(&r, buf, 8), 0);
    assert_string_equal(buf, "cannot ");
    assert_int_equal(spawn_status_text(&r, buf, 0), -EINVAL);
}

/* Logging never crashes on odd output; stderr logging is on in tests. */
static void test_log_output(void **state)
{
    struct spawn_output o = {.data = "l1\nl2\x01\nl3\n", .len = 10, .dropped = 12};
    struct spawn_output empty = {.data = "", .len = 0};

    log_open("test_spawn", NULL, true);
    log_set_level(LOG_LVL_ERR);
    spawn_log_output(LOG_LVL_ERR, "exec web/app start", &o, 2);
    spawn_log_output(LOG_LVL_ERR, "exec web/app start", &empty, 10);
    spawn_log_output(LOG_LVL_ERR, "exec web/app start", &o, 1000);
    spawn_log_output(LOG_LVL_ERR, "exec web/app start", NULL, 10);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_exit_codes, setup, teardown),
        cmocka_unit_test_setup_teardown(test_killed_by_signal, setup, teardown),
        cmocka_unit_test_setup_teardown(test_duration, setup, teardown),
        cmocka_unit_test_setup_teardown(test_capture_merged, setup, teardown),
        cmocka_unit_test_setup_teardown(test_capture_separate, setup, teardown),
        cmocka_unit_test_setup_teardown(test_stdin_cat, setup, teardown),
        cmocka_unit_test_setup_teardown(test_stdin_large, setup, teardown),
        cmocka_unit_test_setup_teardown(test_stdin_not_read, setup, teardown),
        cmocka_unit_test_setup_teardown(test_stdin_null, setup, teardown),
        cmocka_unit_test_setup_teardown(test_output_truncated, setup, teardown),
        cmocka_unit_test_setup_teardown(test_timeout_term, setup, teardown),
        cmocka_unit_test_setup_teardown(test_timeout_kill, setup, teardown),
        cmocka_unit_test_setup_teardown(test_timeout_kills_group, setup, teardown),
        cmocka_unit_test_setup_teardown(test_exit_leaves_background, setup, teardown),
        cmocka_unit_test_setup_teardown(test_fds_closed, setup, teardown),
        cmocka_unit_test_setup_teardown(test_normal_scheduling, setup, teardown),
        cmocka_unit_test_setup_teardown(test_enoent, setup, teardown),
        cmocka_unit_test_setup_teardown(test_cwd, setup, teardown),
        cmocka_unit_test_setup_teardown(test_env_exact, setup, teardown),
        cmocka_unit_test(test_env_validation),
        cmocka_unit_test_setup_teardown(test_bad_options, setup, teardown),
        cmocka_unit_test_setup_teardown(test_cancel, setup, teardown),
        cmocka_unit_test(test_cancel_then_free_loop),
        cmocka_unit_test_setup_teardown(test_many_children, setup, teardown),
        cmocka_unit_test_setup_teardown(test_loop_responsive, setup, teardown),
        cmocka_unit_test(test_split_lines),
        cmocka_unit_test(test_line_escape),
        cmocka_unit_test(test_status_text),
        cmocka_unit_test(test_log_output),
    };
    sigset_t chld;

    /* as vigild does: sd-event watches children only with SIGCHLD blocked */
    sigemptyset(&chld);
    sigaddset(&chld, SIGCHLD);
    sigprocmask(SIG_BLOCK, &chld, NULL);
    /* orphaned grandchildren come back to us to be reaped, whatever init does */
    prctl(PR_SET_CHILD_SUBREAPER, 1);
    return cmocka_run_group_tests(tests, NULL, NULL);
}
