/* What the agent tests share (test_agent_*.c): a record of one agent
 * callback, turning an sd-event loop until it comes, a temporary directory
 * with scripts in it, and the process setup spawn needs (SIGCHLD blocked,
 * a subreaper for orphans). Everything is static inline: each test program
 * uses a different part. Include after cmocka.h. */
#ifndef VIGIL_TEST_AGENT_UTIL_H
#define VIGIL_TEST_AGENT_UTIL_H

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../../src/resources/agent.h"

#define MS VG_USEC_PER_MSEC

/* A request of resource web/app on node alpha, 4 s to run, 200 ms between
 * SIGTERM and SIGKILL. */
static inline struct agent_request agent_req(enum agent_action a)
{
    return (struct agent_request){
        .action = a,
        .group = "web",
        .resource = "app",
        .node = "alpha",
        .timeout = 4000 * MS,
        .kill_grace = 200 * MS,
    };
}

/* What one agent callback saw, copied out of the result. */
struct arec {
    int calls;
    struct agent_op *op;
    enum agent_outcome outcome;
    enum agent_kind kind;
    enum agent_action action;
    int exit_code, sig, error;
    bool still_running;
    char reason[AGENT_REASON_MAX];
    char *out, *err;
    size_t out_len, err_len;
    uint64_t out_dropped;
    vg_usec_t duration;
    bool cancel_in_callback;
};

static inline void arec_done(struct agent_op *op, const struct agent_result *r, void *userdata)
{
    struct arec *a = userdata;

    a->calls++;
    a->op = op;
    a->outcome = r->outcome;
    a->kind = r->kind;
    a->action = r->action;
    a->exit_code = r->exit_code;
    a->sig = r->signal;
    a->error = r->error;
    a->still_running = r->still_running;
    a->duration = r->duration;
    assert_non_null(r->reason);
    snprintf(a->reason, sizeof(a->reason), "%s", r->reason);
    free(a->out);
    free(a->err);
    a->out = strndup(r->out.data, r->out.len);
    a->err = strndup(r->err.data, r->err.len);
    assert_non_null(a->out);
    assert_non_null(a->err);
    a->out_len = r->out.len;
    a->err_len = r->err.len;
    a->out_dropped = r->out.dropped;
    if (a->cancel_in_callback)
        agent_op_cancel(op); /* a no-op by contract */
}

static inline void arec_free(struct arec *a)
{
    free(a->out);
    free(a->err);
    memset(a, 0, sizeof(*a));
}

/* Turn the loop until *count reaches want; fails the test after limit_ms. */
static inline void agent_run_until(sd_event *ev, const int *count, int want, unsigned limit_ms)
{
    vg_usec_t deadline = clock_now() + limit_ms * MS;

    while (*count < want) {
        assert_true(clock_now() < deadline);
        assert_true(sd_event_run(ev, 10 * MS) >= 0);
    }
}

/* Turn the loop for ms milliseconds. */
static inline void agent_run_for(sd_event *ev, unsigned ms)
{
    vg_usec_t end = clock_now() + ms * MS;

    while (clock_now() < end)
        assert_true(sd_event_run(ev, 5 * MS) >= 0);
}

static inline int agent_loop_setup(void **state)
{
    sd_event *ev = NULL;

    assert_int_equal(sd_event_new(&ev), 0);
    *state = ev;
    return 0;
}

/* Free the loop, then reap orphans the test inherited as a subreaper. */
static inline int agent_loop_teardown(void **state)
{
    sd_event_unref(*state);
    while (waitpid(-1, NULL, WNOHANG) > 0)
        ;
    return 0;
}

/* A fresh directory under $TMPDIR (or /tmp); the caller frees the string. */
static inline char *tmpdir_make(const char *tag)
{
    const char *base = getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp";
    char *path = NULL;

    assert_true(asprintf(&path, "%s/vigil-%s-XXXXXX", base, tag) > 0);
    assert_non_null(mkdtemp(path));
    return path;
}

static inline int rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    return remove(path);
}

/* Remove a directory tree the test made, and free its name. */
static inline void tmpdir_remove(char *path)
{
    if (!path)
        return;
    nftw(path, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
    free(path);
}

/* Write a file, creating its directories first (like mkdir -p). */
static inline void write_file(const char *path, const char *text, mode_t mode)
{
    char dir[4096];
    int fd;

    snprintf(dir, sizeof(dir), "%s", path);
    for (char *p = dir + 1; *p; p++) {
        if (*p != '/')
            continue;
        *p = '\0';
        assert_true(mkdir(dir, 0755) == 0 || errno == EEXIST);
        *p = '/';
    }
    fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
    assert_int_equal(fchmod(fd, mode), 0);
    assert_int_equal(close(fd), 0);
}

/* As vigild does: SIGCHLD blocked before any spawn, and orphaned
 * grandchildren come back to the test to be reaped. */
static inline void agent_test_process_setup(void)
{
    sigset_t chld;

    sigemptyset(&chld);
    sigaddset(&chld, SIGCHLD);
    sigprocmask(SIG_BLOCK, &chld, NULL);
    prctl(PR_SET_CHILD_SUBREAPER, 1);
}

#endif
