/* The child-process runner: posix_spawn plus sd-event sources for the exit
 * (a pidfd, through sd_event_add_child), the pipes and the timeout. See
 * spawn.h for the contract and docs/spawn.md for the reasons. */
#include "spawn.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <spawn.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define CAPTURE_INITIAL 4096
#define DRAIN_MAX_READS 64              /* bounds the final drain when a grandchild keeps writing */
#define TIMER_ACCURACY VG_USEC_PER_MSEC /* sd-event would take 0 as its default, 250 ms */

/* One captured stream: the read end of a pipe and the first `limit` bytes. */
struct capture {
    int fd;
    sd_event_source *src;
    char *buf;
    size_t len, cap, limit;
    uint64_t dropped;
};

enum kill_state { KILL_NONE, KILL_TERM_SENT, KILL_KILL_SENT };

struct spawn {
    sd_event *ev;
    spawn_done_fn done;
    void *userdata;
    int64_t priority;

    char *path;
    char *cwd;
    pid_t pid;
    vg_usec_t started, timeout, kill_grace;

    sd_event_source *child_src;
    sd_event_source *timer_src;
    sd_event_source *defer_src; /* reports SPAWN_FAILED from the loop */

    int stdin_fd;
    sd_event_source *stdin_src;
    unsigned char *stdin_buf;
    size_t stdin_len, stdin_off;

    struct capture out, err;
    bool separate_stderr;

    enum kill_state kill_state;
    bool timed_out;
    bool detached;    /* cancelled or reported: freed silently once reaped */
    bool in_callback; /* spawn_cancel from the callback is a no-op */
    int spawn_error;
    bool cwd_failed;
};

static void capture_close(struct capture *c)
{
    c->src = sd_event_source_disable_unref(c->src);
    if (c->fd >= 0)
        close(c->fd);
    c->fd = -1;
}

static void stdin_close(struct spawn *s)
{
    s->stdin_src = sd_event_source_disable_unref(s->stdin_src);
    if (s->stdin_fd >= 0)
        close(s->stdin_fd);
    s->stdin_fd = -1;
    free(s->stdin_buf);
    s->stdin_buf = NULL;
}

/* Everything but the child source: what a detached spawn no longer needs. */
static void spawn_release_io(struct spawn *s)
{
    capture_close(&s->out);
    capture_close(&s->err);
    stdin_close(s);
    s->timer_src = sd_event_source_disable_unref(s->timer_src);
    s->defer_src = sd_event_source_disable_unref(s->defer_src);
}

static void spawn_free_memory(struct spawn *s)
{
    free(s->out.buf);
    free(s->err.buf);
    free(s->path);
    free(s->cwd);
    free(s);
}

static void spawn_free(struct spawn *s)
{
    spawn_release_io(s);
    sd_event_source_disable_unref(s->child_src);
    spawn_free_memory(s);
}

/* Destroy callback of a detached spawn's child source: the source is owned
 * by the loop (floating) and frees the spawn with itself, when the child is
 * reaped or when the loop goes away. */
static void spawn_destroy_detached(void *userdata)
{
    spawn_free_memory(userdata);
}

/* Hand the spawn over to the loop: no callback any more, the child source
 * alone keeps it until the child is reaped. */
static void spawn_detach(struct spawn *s)
{
    spawn_release_io(s);
    s->done = NULL;
    s->detached = true;
    if (!s->child_src) {
        spawn_free_memory(s);
        return;
    }
    sd_event_source_set_destroy_callback(s->child_src, spawn_destroy_detached);
    if (sd_event_source_set_floating(s->child_src, true) >= 0)
        s->child_src = sd_event_source_unref(s->child_src);
}

/* Read once from a capture: into the buffer while it is below the limit,
 * otherwise into a scratch buffer that only counts. Returns bytes read, 0 at
 * end of file, -errno (-EAGAIN when nothing is there). */
static ssize_t capture_read(struct capture *c)
{
    char scratch[16 * 1024];
    ssize_t n;

    if (c->len < c->limit) {
        if (c->len + 1 >= c->cap) {
            size_t cap = c->cap ? c->cap * 2 : CAPTURE_INITIAL;
            char *b;

            if (cap > c->limit + 1)
                cap = c->limit + 1;
            if (!(b = realloc(c->buf, cap)))
                return -ENOMEM;
            c->buf = b;
            c->cap = cap;
        }
        n = read(c->fd, c->buf + c->len, c->cap - 1 - c->len);
        if (n > 0)
            c->len += (size_t)n;
    } else {
        n = read(c->fd, scratch, sizeof(scratch));
        if (n > 0)
            c->dropped += (uint64_t)n;
    }
    if (n < 0)
        return errno == EINTR ? -EAGAIN : -errno;
    return n;
}

/* One read per dispatch, so that a chatty child cannot hog the loop. */
static int on_output(sd_event_source *src, int fd, uint32_t revents, void *userdata)
{
    struct capture *c = userdata;
    ssize_t n = capture_read(c);

    if (n == 0 || (n < 0 && n != -EAGAIN))
        capture_close(c);
    return 0;
}

/* Take what is left in a pipe once the child has exited. The child's own
 * output is all there by now; a grandchild that still holds the pipe (a
 * daemon a start action left running) must not hold up the report. */
static void capture_drain(struct capture *c)
{
    for (int i = 0; c->fd >= 0 && i < DRAIN_MAX_READS; i++)
        if (capture_read(c) <= 0)
            break;
    capture_close(c);
}

/* write() with SIGPIPE held back: a child that exits without reading its
 * stdin must give us EPIPE, not kill the daemon, whatever the process's
 * SIGPIPE disposition. */
static ssize_t write_nosigpipe(int fd, const void *p, size_t n)
{
    sigset_t pipe_set, old;
    ssize_t w;
    int e;

    sigemptyset(&pipe_set);
    sigaddset(&pipe_set, SIGPIPE);
    pthread_sigmask(SIG_BLOCK, &pipe_set, &old);
    w = write(fd, p, n);
    e = errno;
    if (w < 0 && e == EPIPE && !sigismember(&old, SIGPIPE)) {
        struct timespec zero = {0, 0};

        sigtimedwait(&pipe_set, NULL, &zero);
    }
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    errno = e;
    return w;
}

static int on_stdin(sd_event_source *src, int fd, uint32_t revents, void *userdata)
{
    struct spawn *s = userdata;
    ssize_t w = write_nosigpipe(fd, s->stdin_buf + s->stdin_off, s->stdin_len - s->stdin_off);

    if (w < 0 && (errno == EAGAIN || errno == EINTR))
        return 0;
    if (w > 0)
        s->stdin_off += (size_t)w;
    if (w < 0 || s->stdin_off == s->stdin_len)
        stdin_close(s);
    return 0;
}

/* Signal the child's whole process group. Only called while the leader is
 * not yet reaped (sd-event reaps after our child callback returns), so the
 * id cannot have been reused. */
static void spawn_kill(struct spawn *s, int sig)
{
    if (s->pid > 0)
        kill(-s->pid, sig);
}

static void output_view(const struct capture *c, struct spawn_output *o)
{
    o->data = c->buf ? c->buf : "";
    o->len = c->len;
    o->dropped = c->dropped;
    if (c->buf)
        c->buf[c->len] = '\0';
}

/* Fill the parts of a result every outcome shares. */
static void result_init(const struct spawn *s, struct spawn_result *r, enum spawn_outcome outcome)
{
    memset(r, 0, sizeof(*r));
    r->outcome = outcome;
    r->path = s->path;
    r->cwd = s->cwd;
    r->pid = s->pid;
    r->timeout = s->timeout;
    r->duration = clock_now() - s->started;
    output_view(&s->out, &r->out);
    output_view(&s->err, &r->err);
}

/* Call the user back once; a spawn_cancel from inside is ignored. */
static void spawn_report(struct spawn *s, const struct spawn_result *r)
{
    spawn_done_fn done = s->done;

    s->done = NULL;
    s->in_callback = true;
    if (done)
        done(s, r, s->userdata);
    s->in_callback = false;
}

static int on_child(sd_event_source *src, const siginfo_t *si, void *userdata)
{
    struct spawn *s = userdata;
    struct spawn_result r;

    /* After a timeout the group is ours to finish: what ignored SIGTERM
     * goes now, before the leader is reaped. */
    if (s->timed_out || s->detached)
        spawn_kill(s, SIGKILL);
    if (s->detached) {
        sd_event_source_unref(src); /* the loop's reference; frees s */
        return 0;
    }

    stdin_close(s);
    capture_drain(&s->out);
    capture_drain(&s->err);
    if (s->timed_out) {
        result_init(s, &r, SPAWN_TIMED_OUT);
        r.signal = s->kill_state == KILL_KILL_SENT ? SIGKILL : SIGTERM;
    } else if (si->si_code == CLD_EXITED) {
        result_init(s, &r, SPAWN_EXITED);
        r.exit_code = si->si_status;
    } else {
        result_init(s, &r, SPAWN_SIGNALED);
        r.signal = si->si_status;
        r.core_dumped = si->si_code == CLD_DUMPED;
    }
    spawn_report(s, &r);
    spawn_free(s);
    return 0;
}

/* The timeout, then each step of the escalation: SIGTERM to the group;
 * after kill_grace SIGKILL; after kill_grace again, report the child as
 * still running and let the loop reap it whenever it goes. */
static int on_timer(sd_event_source *src, uint64_t usec, void *userdata)
{
    struct spawn *s = userdata;
    struct spawn_result r;

    switch (s->kill_state) {
    case KILL_NONE:
        s->timed_out = true;
        s->kill_state = KILL_TERM_SENT;
        spawn_kill(s, SIGTERM);
        break;
    case KILL_TERM_SENT:
        s->kill_state = KILL_KILL_SENT;
        spawn_kill(s, SIGKILL);
        break;
    case KILL_KILL_SENT:
        capture_drain(&s->out);
        capture_drain(&s->err);
        result_init(s, &r, SPAWN_TIMED_OUT);
        r.signal = SIGKILL;
        r.still_running = true;
        spawn_report(s, &r);
        spawn_detach(s);
        return 0;
    }
    if (sd_event_source_set_time_relative(src, s->kill_grace) < 0 ||
        sd_event_source_set_enabled(src, SD_EVENT_ONESHOT) < 0)
        spawn_kill(s, SIGKILL); /* cannot wait for the grace: do not wait at all */
    return 0;
}

static int on_failed(sd_event_source *src, void *userdata)
{
    struct spawn *s = userdata;
    struct spawn_result r;

    result_init(s, &r, SPAWN_FAILED);
    r.error = s->spawn_error;
    r.cwd_failed = s->cwd_failed;
    r.duration = 0;
    spawn_report(s, &r);
    spawn_free(s);
    return 0;
}

/* sd-event refuses to watch children unless SIGCHLD is blocked; say so
 * before anything is started rather than after. */
static bool sigchld_blocked(void)
{
    sigset_t cur;

    return pthread_sigmask(SIG_BLOCK, NULL, &cur) == 0 && sigismember(&cur, SIGCHLD) == 1;
}

/* A pipe whose ends are never 0-2 (so that dup2 onto 0-2 in the child always
 * clears close-on-exec), close-on-exec, with our end (`ours`: 0 read, 1
 * write) non-blocking. */
static int make_pipe(int fds[2], int ours)
{
    int p[2];

    if (pipe2(p, O_CLOEXEC) < 0)
        return -errno;
    for (int i = 0; i < 2; i++) {
        if (p[i] < 3) {
            int fd = fcntl(p[i], F_DUPFD_CLOEXEC, 3);

            if (fd < 0) {
                int e = errno;

                close(p[0]);
                close(p[1]);
                return -e;
            }
            close(p[i]);
            p[i] = fd;
        }
    }
    if (fcntl(p[ours], F_SETFL, O_NONBLOCK) < 0) {
        int e = errno;

        close(p[0]);
        close(p[1]);
        return -e;
    }
    fds[0] = p[0];
    fds[1] = p[1];
    return 0;
}

static void close_pair(int fds[2])
{
    for (int i = 0; i < 2; i++)
        if (fds[i] >= 0)
            close(fds[i]);
    fds[0] = fds[1] = -1;
}

/* Run posix_spawn: stdin, stdout and stderr wired, the working directory
 * entered, every other descriptor closed, a new session (hence its own
 * process group), default signal dispositions, an empty signal mask and
 * normal scheduling (an agent never inherits vigild's real-time priority).
 * Returns 0 or a positive errno from the spawn itself. */
static int do_spawn(struct spawn *s, char *const *argv, char *const *envp, int in_r, int out_w,
                    int err_w)
{
    static char *const empty_env[] = {NULL};
    posix_spawn_file_actions_t fa;
    posix_spawnattr_t attr;
    struct sched_param normal = {.sched_priority = 0};
    sigset_t none, all;
    int r;

    if ((r = posix_spawn_file_actions_init(&fa)) != 0)
        return r;
    if ((r = posix_spawnattr_init(&attr)) != 0) {
        posix_spawn_file_actions_destroy(&fa);
        return r;
    }
    sigemptyset(&none);
    sigfillset(&all);
    if (in_r >= 0)
        r = posix_spawn_file_actions_adddup2(&fa, in_r, STDIN_FILENO);
    else
        r = posix_spawn_file_actions_addopen(&fa, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
    if (!r)
        r = posix_spawn_file_actions_adddup2(&fa, out_w, STDOUT_FILENO);
    if (!r)
        r = posix_spawn_file_actions_adddup2(&fa, err_w >= 0 ? err_w : out_w, STDERR_FILENO);
    if (!r)
        r = posix_spawn_file_actions_addchdir_np(&fa, s->cwd);
    if (!r)
        r = posix_spawn_file_actions_addclosefrom_np(&fa, 3);
    if (!r)
        r = posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSID | POSIX_SPAWN_SETSIGMASK |
                                                POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSCHEDULER);
    if (!r)
        r = posix_spawnattr_setschedpolicy(&attr, SCHED_OTHER);
    if (!r)
        r = posix_spawnattr_setschedparam(&attr, &normal);
    if (!r)
        r = posix_spawnattr_setsigmask(&attr, &none);
    if (!r)
        r = posix_spawnattr_setsigdefault(&attr, &all);
    if (!r)
        r = posix_spawn(&s->pid, s->path, &fa, &attr, argv, envp ? envp : empty_env);
    posix_spawnattr_destroy(&attr);
    posix_spawn_file_actions_destroy(&fa);
    if (r)
        s->pid = 0;
    return r;
}

/* After a failed spawn: was it the working directory rather than the
 * program? posix_spawn gives the same errno for both. */
static bool cwd_is_bad(const char *cwd)
{
    struct stat st;

    return stat(cwd, &st) < 0 || !S_ISDIR(st.st_mode) || access(cwd, X_OK) < 0;
}

static int validate_opts(sd_event *ev, const struct spawn_opts *o, spawn_done_fn done)
{
    const char *path;

    if (!ev || !o || !done || !o->argv || !o->argv[0])
        return -EINVAL;
    path = o->path ? o->path : o->argv[0];
    if (path[0] != '/' || (o->cwd && o->cwd[0] != '/'))
        return -EINVAL;
    if (o->output_limit > SPAWN_OUTPUT_LIMIT_MAX || (o->stdin_len && !o->stdin_data))
        return -EINVAL;
    return 0;
}

/* Add the sources that watch a running child. On failure the caller kills
 * and reaps it. */
static int watch_child(struct spawn *s)
{
    int r;

    if ((r = sd_event_add_child(s->ev, &s->child_src, s->pid, WEXITED, on_child, s)) < 0)
        return r;
    sd_event_source_set_priority(s->child_src, s->priority);
    if (s->out.fd >= 0) {
        if ((r = sd_event_add_io(s->ev, &s->out.src, s->out.fd, EPOLLIN, on_output, &s->out)) < 0)
            return r;
        sd_event_source_set_priority(s->out.src, s->priority);
    }
    if (s->err.fd >= 0) {
        if ((r = sd_event_add_io(s->ev, &s->err.src, s->err.fd, EPOLLIN, on_output, &s->err)) < 0)
            return r;
        sd_event_source_set_priority(s->err.src, s->priority);
    }
    if (s->stdin_fd >= 0) {
        if ((r = sd_event_add_io(s->ev, &s->stdin_src, s->stdin_fd, EPOLLOUT, on_stdin, s)) < 0)
            return r;
        sd_event_source_set_priority(s->stdin_src, s->priority);
    }
    if (s->timeout > 0) {
        r = sd_event_add_time_relative(s->ev, &s->timer_src, CLOCK_MONOTONIC, s->timeout,
                                       TIMER_ACCURACY, on_timer, s);
        if (r < 0)
            return r;
        sd_event_source_set_priority(s->timer_src, s->priority);
    }
    return 0;
}

int spawn_start(sd_event *ev, const struct spawn_opts *o, spawn_done_fn done, void *userdata,
                struct spawn **ret)
{
    int in[2] = {-1, -1}, out[2] = {-1, -1}, err[2] = {-1, -1};
    struct spawn *s;
    int r;

    if ((r = validate_opts(ev, o, done)) < 0)
        return r;
    if (!sigchld_blocked())
        return -EBUSY;
    if (!(s = calloc(1, sizeof(*s))))
        return -ENOMEM;
    s->ev = ev;
    s->done = done;
    s->userdata = userdata;
    s->priority = o->priority;
    s->timeout = o->timeout;
    s->kill_grace = o->kill_grace ? o->kill_grace : SPAWN_KILL_GRACE_DEFAULT;
    s->separate_stderr = o->separate_stderr;
    s->stdin_fd = s->out.fd = s->err.fd = -1;
    s->out.limit = s->err.limit = o->output_limit ? o->output_limit : SPAWN_OUTPUT_LIMIT_DEFAULT;
    s->path = strdup(o->path ? o->path : o->argv[0]);
    s->cwd = strdup(o->cwd ? o->cwd : "/");
    if (!s->path || !s->cwd) {
        r = -ENOMEM;
        goto fail;
    }
    if (o->stdin_data) {
        if (!(s->stdin_buf = malloc(o->stdin_len ? o->stdin_len : 1))) {
            r = -ENOMEM;
            goto fail;
        }
        memcpy(s->stdin_buf, o->stdin_data, o->stdin_len);
        s->stdin_len = o->stdin_len;
        if ((r = make_pipe(in, 1)) < 0)
            goto fail;
    }
    if ((r = make_pipe(out, 0)) < 0 || (o->separate_stderr && (r = make_pipe(err, 0)) < 0))
        goto fail;

    s->started = clock_now();
    s->spawn_error = do_spawn(s, o->argv, o->envp, in[0], out[1], err[1]);
    if (s->spawn_error) {
        close_pair(in);
        close_pair(out);
        close_pair(err);
        s->cwd_failed = s->spawn_error != ENOMEM && s->spawn_error != EAGAIN && cwd_is_bad(s->cwd);
        if ((r = sd_event_add_defer(ev, &s->defer_src, on_failed, s)) < 0)
            goto fail;
        sd_event_source_set_priority(s->defer_src, s->priority);
        if (ret)
            *ret = s;
        return 0;
    }

    /* the child holds its ends now */
    if (in[0] >= 0)
        close(in[0]);
    close(out[1]);
    if (err[1] >= 0)
        close(err[1]);
    s->stdin_fd = in[1];
    s->out.fd = out[0];
    s->err.fd = err[0];
    in[0] = in[1] = out[0] = out[1] = err[0] = err[1] = -1;
    if (s->stdin_fd >= 0 && s->stdin_len == 0)
        stdin_close(s);

    if ((r = watch_child(s)) < 0) {
        /* Cannot watch it (out of memory or descriptors), so it must not
         * run. Reaped if already gone; otherwise a zombie is the price of
         * never blocking the loop. */
        spawn_kill(s, SIGKILL);
        waitpid(s->pid, NULL, WNOHANG);
        goto fail;
    }
    if (ret)
        *ret = s;
    return 0;

fail:
    close_pair(in);
    close_pair(out);
    close_pair(err);
    spawn_free(s);
    return r;
}

void spawn_cancel(struct spawn *s)
{
    if (!s || s->in_callback || s->detached)
        return;
    spawn_kill(s, SIGKILL);
    spawn_detach(s);
}

pid_t spawn_pid(const struct spawn *s)
{
    return s ? s->pid : 0;
}
