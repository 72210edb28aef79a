/* A deadline for device I/O. A read from a dead SAN path or a stopped FUSE
 * daemon may never return, and no timeout can be put on the system call
 * itself: so the I/O runs in a thread of its own and the caller waits for
 * it with a deadline, free to give up and leave the thread behind. */
#include "disk.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <time.h>

struct job {
    int (*fn)(void *arg);
    void *arg;
    int result;
    bool done;
    bool abandoned; /* the waiter gave up: the thread frees the job */
    pthread_mutex_t lock;
    pthread_cond_t cond;
};

static void job_free(struct job *j)
{
    pthread_cond_destroy(&j->cond);
    pthread_mutex_destroy(&j->lock);
    free(j);
}

static void *job_thread(void *arg)
{
    struct job *j = arg;
    int r = j->fn(j->arg);
    bool abandoned;

    pthread_mutex_lock(&j->lock);
    j->result = r;
    j->done = true;
    abandoned = j->abandoned;
    pthread_cond_signal(&j->cond);
    pthread_mutex_unlock(&j->lock);
    if (abandoned)
        job_free(j);
    return NULL;
}

static struct timespec deadline_after(vg_usec_t timeout)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    if (timeout > (vg_usec_t)365 * 86400 * VG_USEC_PER_SEC)
        timeout = (vg_usec_t)365 * 86400 * VG_USEC_PER_SEC;
    uint64_t ns = (uint64_t)ts.tv_nsec + (timeout % VG_USEC_PER_SEC) * 1000;
    ts.tv_sec += (time_t)(timeout / VG_USEC_PER_SEC + ns / 1000000000);
    ts.tv_nsec = (long)(ns % 1000000000);
    return ts;
}

int ctl_disk_bounded(int (*fn)(void *arg), void *arg, vg_usec_t timeout, int *result)
{
    struct timespec deadline = deadline_after(timeout);
    pthread_condattr_t ca;
    pthread_attr_t ta;
    pthread_t thread;
    struct job *j = calloc(1, sizeof(*j));
    int r;

    if (!j)
        return -ENOMEM;
    j->fn = fn;
    j->arg = arg;
    pthread_mutex_init(&j->lock, NULL);
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&j->cond, &ca);
    pthread_condattr_destroy(&ca);

    pthread_attr_init(&ta);
    pthread_attr_setdetachstate(&ta, PTHREAD_CREATE_DETACHED);
    r = pthread_create(&thread, &ta, job_thread, j);
    pthread_attr_destroy(&ta);
    if (r != 0) {
        job_free(j);
        return -r;
    }

    pthread_mutex_lock(&j->lock);
    r = 0;
    while (!j->done && r != ETIMEDOUT)
        r = pthread_cond_timedwait(&j->cond, &j->lock, &deadline);
    if (!j->done) {
        j->abandoned = true;
        pthread_mutex_unlock(&j->lock);
        return -ETIMEDOUT;
    }
    *result = j->result;
    pthread_mutex_unlock(&j->lock);
    job_free(j);
    return 0;
}
