/* The watchdog device (watchdog.h). */
#include "watchdog.h"

#include "../common/errbuf.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/watchdog.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

int watchdog_nowayout(const char *path, bool *nowayout)
{
    struct stat st;
    char sys[PATH_MAX], buf[16] = "";
    FILE *f;

    if (stat(path, &st) < 0 || !S_ISCHR(st.st_mode))
        return -ENOENT;
    /* /sys/dev/char/MAJ:MIN is the device's sysfs directory */
    snprintf(sys, sizeof(sys), "/sys/dev/char/%u:%u/nowayout", major(st.st_rdev),
             minor(st.st_rdev));
    if (!(f = fopen(sys, "re")))
        return -ENOENT;
    if (!fgets(buf, sizeof(buf), f)) {
        fclose(f);
        return -ENOENT;
    }
    fclose(f);
    *nowayout = buf[0] == '1';
    return 0;
}

int watchdog_open(struct watchdog *w, const char *path, unsigned timeout_s, char *err,
                  size_t errlen)
{
    struct watchdog_info info;
    int t = (int)timeout_s;

    memset(w, 0, sizeof(*w));
    w->fd = -1;
    if (!path || strlen(path) >= sizeof(w->path))
        return errbuf_fail(err, errlen, -EINVAL, "watchdog device path missing or too long");
    snprintf(w->path, sizeof(w->path), "%s", path);
    w->fd = open(path, O_WRONLY | O_CLOEXEC);
    if (w->fd < 0) {
        int e = errno;
        return errbuf_fail(err, errlen, -e,
                           "cannot open watchdog %s: %s (load a driver, e.g. modprobe softdog, "
                           "or fix [watchdog] device)",
                           path, strerror(e));
    }
    if (ioctl(w->fd, WDIOC_GETSUPPORT, &info) == 0) {
        w->support_known = true;
        w->magic_close = (info.options & WDIOF_MAGICCLOSE) != 0;
        snprintf(w->identity, sizeof(w->identity), "%.32s", (const char *)info.identity);
    }
    w->timeout_s = timeout_s;
    if (timeout_s && ioctl(w->fd, WDIOC_SETTIMEOUT, &t) == 0) {
        w->timeout_set = true;
        w->timeout_s = (unsigned)t; /* the driver may round it */
    } else if (ioctl(w->fd, WDIOC_GETTIMEOUT, &t) == 0 && t > 0) {
        w->timeout_s = (unsigned)t; /* it keeps its own */
    }
    return 0;
}

int watchdog_kick(struct watchdog *w, char *err, size_t errlen)
{
    if (w->fd < 0)
        return errbuf_fail(err, errlen, -EBADF, "watchdog %s is not open", w->path);
    /* a write kicks every driver; WDIOC_KEEPALIVE is not in all of them */
    if (write(w->fd, "k", 1) != 1) {
        int e = errno ? errno : EIO;
        return errbuf_fail(err, errlen, -e, "cannot kick watchdog %s: %s", w->path, strerror(e));
    }
    return 0;
}

int watchdog_close(struct watchdog *w, bool disarm, char *err, size_t errlen)
{
    int rc = 0;

    if (w->fd < 0)
        return 0;
    if (disarm && write(w->fd, "V", 1) != 1) {
        int e = errno ? errno : EIO;
        rc = errbuf_fail(err, errlen, -e,
                         "cannot disarm watchdog %s (magic close): %s; the node may reset", w->path,
                         strerror(e));
    }
    if (close(w->fd) < 0 && rc == 0) {
        int e = errno;
        rc = errbuf_fail(err, errlen, -e, "closing watchdog %s: %s", w->path, strerror(e));
    }
    w->fd = -1;
    return rc;
}
