/* The `ip` resource's kernel side: list, add, delete and check addresses and
 * read links over rtnetlink (libmnl). Every call opens its own socket, does
 * one request/answer exchange and closes it, so there is no state to share
 * between resources, and the kernel answers at once (it never waits on the
 * network), which keeps these calls safe inside the event loop. */
#include "internal.h"

#include <errno.h>
#include <libmnl/libmnl.h>
#include <linux/if_addr.h>
#include <linux/if_arp.h>
#include <linux/rtnetlink.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#ifndef IFF_LOWER_UP
#define IFF_LOWER_UP 0x10000 /* linux/if.h: carrier; glibc's net/if.h lacks it */
#endif

/* A dump of every address of a busy host comes in messages of up to 32 KiB. */
#define NL_BUF_SIZE 32768

struct nl {
    struct mnl_socket *sock;
    unsigned portid;
    unsigned seq;
};

static int nl_open(struct nl *nl)
{
    nl->sock = mnl_socket_open2(NETLINK_ROUTE, SOCK_CLOEXEC);
    if (!nl->sock)
        return -errno;
    if (mnl_socket_bind(nl->sock, 0, MNL_SOCKET_AUTOPID) < 0) {
        int rc = -errno;

        mnl_socket_close(nl->sock);
        return rc;
    }
    nl->portid = mnl_socket_get_portid(nl->sock);
    nl->seq = (unsigned)time(NULL);
    return 0;
}

/* Send req and run cb over every answer until the kernel's ack or the end of
 * the dump. Returns 0 or the kernel's -errno for the request. */
static int nl_talk(struct nl *nl, struct nlmsghdr *req, mnl_cb_t cb, void *data)
{
    char *buf = malloc(NL_BUF_SIZE);
    ssize_t n;
    int rc = MNL_CB_OK;

    if (!buf)
        return -ENOMEM;
    req->nlmsg_seq = ++nl->seq;
    if (mnl_socket_sendto(nl->sock, req, req->nlmsg_len) < 0) {
        rc = -errno;
        goto out;
    }
    while (rc > MNL_CB_STOP) {
        n = mnl_socket_recvfrom(nl->sock, buf, NL_BUF_SIZE);
        if (n < 0) {
            rc = -errno;
            goto out;
        }
        rc = mnl_cb_run(buf, (size_t)n, req->nlmsg_seq, nl->portid, cb, data);
    }
    rc = rc == MNL_CB_ERROR ? -errno : 0;
out:
    free(buf);
    return rc;
}

static void nl_close(struct nl *nl)
{
    mnl_socket_close(nl->sock);
}

/* Dump every object of a GET request (RTM_GETADDR, RTM_GETLINK) of family
 * through cb, on a socket of its own. hdrlen is the request's family header
 * (struct ifaddrmsg, struct ifinfomsg: both begin with the family byte). */
static int nl_dump(uint16_t type, size_t hdrlen, uint8_t family, mnl_cb_t cb, void *data)
{
    char buf[MNL_SOCKET_BUFFER_SIZE];
    struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
    uint8_t *hdr;
    struct nl nl;
    int rc;

    nlh->nlmsg_type = type;
    nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
    hdr = mnl_nlmsg_put_extra_header(nlh, hdrlen);
    hdr[0] = family;
    rc = nl_open(&nl);
    if (rc < 0)
        return rc;
    rc = nl_talk(&nl, nlh, cb, data);
    nl_close(&nl);
    return rc;
}

/* ---- addresses ---- */

struct addr_dump {
    int family;
    int ifindex; /* 0: every link */
    struct res_ip_ifaddr *list;
    size_t n, cap;
    int rc;
};

/* Attributes of one message by type, those above max left out. */
struct attr_table {
    const struct nlattr **tb;
    uint16_t max;
};

static int attr_cb(const struct nlattr *attr, void *data)
{
    const struct attr_table *t = data;

    if (mnl_attr_type_valid(attr, t->max) > 0)
        t->tb[mnl_attr_get_type(attr)] = attr;
    return MNL_CB_OK;
}

static void parse_attrs(const struct nlmsghdr *nlh, size_t hdrlen, const struct nlattr **tb,
                        uint16_t max)
{
    struct attr_table t = {tb, max};

    mnl_attr_parse(nlh, (unsigned)hdrlen, attr_cb, &t);
}

/* Keep one RTM_NEWADDR of the wanted family (and link); IPv4 takes IFA_LOCAL
 * (IFA_ADDRESS is the peer on point-to-point links). */
static int addr_cb(const struct nlmsghdr *nlh, void *data)
{
    struct addr_dump *d = data;
    const struct ifaddrmsg *ifa = mnl_nlmsg_get_payload(nlh);
    const struct nlattr *tb[IFA_MAX + 1] = {0};
    const struct nlattr *a;
    size_t alen = d->family == AF_INET ? 4 : 16;
    struct res_ip_ifaddr *e;

    if (ifa->ifa_family != d->family || (d->ifindex && (int)ifa->ifa_index != d->ifindex))
        return MNL_CB_OK;
    parse_attrs(nlh, sizeof(*ifa), tb, IFA_MAX);
    a = tb[IFA_LOCAL] ? tb[IFA_LOCAL] : tb[IFA_ADDRESS];
    if (!a || mnl_attr_get_payload_len(a) != alen)
        return MNL_CB_OK;
    if (d->n == d->cap) {
        size_t cap = d->cap ? d->cap * 2 : 16;
        struct res_ip_ifaddr *l = realloc(d->list, cap * sizeof(*l));

        if (!l) {
            d->rc = -ENOMEM;
            return MNL_CB_STOP;
        }
        d->list = l;
        d->cap = cap;
    }
    e = &d->list[d->n++];
    memset(e, 0, sizeof(*e));
    e->ifindex = (int)ifa->ifa_index;
    e->family = d->family;
    e->prefix = ifa->ifa_prefixlen;
    e->flags = tb[IFA_FLAGS] ? mnl_attr_get_u32(tb[IFA_FLAGS]) : ifa->ifa_flags;
    memcpy(e->addr, mnl_attr_get_payload(a), alen);
    if (!if_indextoname(ifa->ifa_index, e->name))
        e->name[0] = '\0';
    return MNL_CB_OK;
}

/* Every address of family (on ifindex, or everywhere when 0). */
static int dump_addrs(int family, int ifindex, struct res_ip_ifaddr **list, size_t *n)
{
    struct addr_dump d = {.family = family, .ifindex = ifindex};
    int rc = nl_dump(RTM_GETADDR, sizeof(struct ifaddrmsg), (uint8_t)family, addr_cb, &d);

    if (rc == 0)
        rc = d.rc;
    if (rc < 0) {
        free(d.list);
        return rc;
    }
    *list = d.list;
    *n = d.n;
    return 0;
}

int res_ip_list_ifaddrs(int family, struct res_ip_ifaddr **list, size_t *n, char *err,
                        size_t errlen)
{
    int rc = dump_addrs(family, 0, list, n);

    if (rc < 0)
        return errbuf_fail(err, errlen, rc, "cannot list the %s addresses of this node: %s",
                           family == AF_INET ? "IPv4" : "IPv6", strerror(-rc));
    return 0;
}

/* ---- links ---- */

static int link_cb(const struct nlmsghdr *nlh, void *data)
{
    struct res_ip_link *out = data;
    const struct ifinfomsg *ifi = mnl_nlmsg_get_payload(nlh);
    const struct nlattr *tb[IFLA_MAX + 1] = {0};

    if (nlh->nlmsg_type != RTM_NEWLINK)
        return MNL_CB_OK;
    parse_attrs(nlh, sizeof(*ifi), tb, IFLA_MAX);
    memset(out, 0, sizeof(*out));
    out->ifindex = ifi->ifi_index;
    out->up = (ifi->ifi_flags & IFF_UP) && (ifi->ifi_flags & IFF_LOWER_UP);
    if (tb[IFLA_IFNAME])
        snprintf(out->name, sizeof(out->name), "%s", mnl_attr_get_str(tb[IFLA_IFNAME]));
    if (ifi->ifi_type == ARPHRD_ETHER && tb[IFLA_ADDRESS] &&
        mnl_attr_get_payload_len(tb[IFLA_ADDRESS]) == RES_IP_ETH_ALEN) {
        memcpy(out->mac, mnl_attr_get_payload(tb[IFLA_ADDRESS]), RES_IP_ETH_ALEN);
        out->ethernet = true;
    }
    return MNL_CB_OK;
}

int res_ip_get_link(int ifindex, const char *name, struct res_ip_link *out, char *err,
                    size_t errlen)
{
    char buf[MNL_SOCKET_BUFFER_SIZE], which[IF_NAMESIZE + 16];
    struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
    struct ifinfomsg *ifi;
    struct nl nl;
    int rc;

    if (name)
        snprintf(which, sizeof(which), "%s", name);
    else
        snprintf(which, sizeof(which), "with index %d", ifindex);
    nlh->nlmsg_type = RTM_GETLINK;
    nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK; /* the ack ends the exchange */
    ifi = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifi));
    ifi->ifi_family = AF_UNSPEC;
    if (name)
        mnl_attr_put_strz(nlh, IFLA_IFNAME, name);
    else
        ifi->ifi_index = ifindex;
    memset(out, 0, sizeof(*out));
    rc = nl_open(&nl);
    if (rc == 0) {
        rc = nl_talk(&nl, nlh, link_cb, out);
        nl_close(&nl);
    }
    if (rc == -ENODEV)
        return errbuf_fail(err, errlen, rc,
                           "interface %s does not exist on this node: check 'interface' in the "
                           "resource (ip link shows the names)",
                           which);
    if (rc == 0 && out->ifindex == 0)
        rc = -EIO;
    if (rc < 0)
        return errbuf_fail(err, errlen, rc, "cannot read interface %s: %s", which, strerror(-rc));
    return 0;
}

struct mac_dump {
    uint8_t (*macs)[RES_IP_ETH_ALEN];
    size_t max, n;
};

/* Keep the MAC of one RTM_NEWLINK of an Ethernet-like link, once. */
static int mac_cb(const struct nlmsghdr *nlh, void *data)
{
    struct mac_dump *d = data;
    struct res_ip_link link;

    if (link_cb(nlh, &link) != MNL_CB_OK || !link.ethernet)
        return MNL_CB_OK;
    for (size_t i = 0; i < d->n; i++)
        if (memcmp(d->macs[i], link.mac, RES_IP_ETH_ALEN) == 0)
            return MNL_CB_OK;
    if (d->n < d->max)
        memcpy(d->macs[d->n++], link.mac, RES_IP_ETH_ALEN);
    return MNL_CB_OK;
}

int res_ip_list_macs(uint8_t (*macs)[RES_IP_ETH_ALEN], size_t max, size_t *n, char *err,
                     size_t errlen)
{
    struct mac_dump d = {.macs = macs, .max = max};
    int rc = nl_dump(RTM_GETLINK, sizeof(struct ifinfomsg), AF_UNSPEC, mac_cb, &d);

    if (rc < 0)
        return errbuf_fail(err, errlen, rc, "cannot list the interfaces of this node: %s",
                           strerror(-rc));
    *n = d.n;
    return 0;
}

int res_ip_resolve(const struct res_ip *ip, struct res_ip_link *out, char *err, size_t errlen)
{
    struct res_ip_ifaddr *list = NULL;
    size_t n = 0, i;
    int rc;

    if (ip->interface[0])
        return res_ip_get_link(0, ip->interface, out, err, errlen);
    rc = res_ip_list_ifaddrs(ip->addr.family, &list, &n, err, errlen);
    if (rc < 0)
        return rc;
    rc = res_ip_match_interface(&ip->addr, list, n, &i, err, errlen);
    if (rc == 0)
        rc = res_ip_get_link(list[i].ifindex, NULL, out, err, errlen);
    free(list);
    return rc;
}

/* ---- add, delete, check ---- */

/* RTM_NEWADDR or RTM_DELADDR for addr/prefix on ifindex. Both IFA_LOCAL and
 * IFA_ADDRESS, as `ip address add` sends them for a non-peer address. */
static int addr_request(uint16_t type, uint16_t flags, const struct res_ip_addr *addr,
                        uint8_t prefix, int ifindex)
{
    char buf[MNL_SOCKET_BUFFER_SIZE];
    struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
    struct ifaddrmsg *ifa;
    size_t alen = addr->family == AF_INET ? 4 : 16;
    uint32_t ifa_flags = addr->family == AF_INET6 ? IFA_F_NODAD : 0;
    struct nl nl;
    int rc;

    nlh->nlmsg_type = type;
    nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK | flags;
    ifa = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifa));
    ifa->ifa_family = (uint8_t)addr->family;
    ifa->ifa_prefixlen = prefix;
    ifa->ifa_flags = (uint8_t)ifa_flags;
    ifa->ifa_scope = RT_SCOPE_UNIVERSE;
    ifa->ifa_index = (uint32_t)ifindex;
    mnl_attr_put(nlh, IFA_LOCAL, alen, addr->bytes);
    mnl_attr_put(nlh, IFA_ADDRESS, alen, addr->bytes);
    if (type == RTM_NEWADDR)
        mnl_attr_put_u32(nlh, IFA_FLAGS, ifa_flags);
    rc = nl_open(&nl);
    if (rc < 0)
        return rc;
    rc = nl_talk(&nl, nlh, NULL, NULL);
    nl_close(&nl);
    return rc;
}

/* The entry of addr on ifindex (with the prefix it really has, which may
 * differ from the configured one after a configuration change). 0 and
 * *found, or -errno. */
static int find_on_link(const struct res_ip_addr *addr, int ifindex, struct res_ip_ifaddr *out,
                        bool *found)
{
    struct res_ip_ifaddr *list = NULL;
    size_t n = 0;
    int rc = dump_addrs(addr->family, ifindex, &list, &n);

    *found = false;
    if (rc < 0)
        return rc;
    for (size_t i = 0; i < n && !*found; i++)
        if (memcmp(list[i].addr, addr->bytes, addr->family == AF_INET ? 4 : 16) == 0) {
            *out = list[i];
            *found = true;
        }
    free(list);
    return 0;
}

/* The one message for a failed add or del, naming address and link. */
static int change_failed(int rc, bool add, const struct res_ip *ip, const struct res_ip_link *link,
                         char *err, size_t errlen)
{
    char text[RES_IP_TEXT_MAX];

    res_ip_format(&ip->addr, text, sizeof(text));
    return errbuf_fail(
        err, errlen, rc, add ? "cannot add %s to %s: %s" : "cannot remove %s from %s: %s", text,
        link->name,
        rc == -EPERM ? "not permitted (vigild needs root or CAP_NET_ADMIN)" : strerror(-rc));
}

int res_ip_add(const struct res_ip *ip, const struct res_ip_link *link, char *err, size_t errlen)
{
    int rc = addr_request(RTM_NEWADDR, NLM_F_CREATE | NLM_F_EXCL, &ip->addr, ip->addr.prefix,
                          link->ifindex);

    if (rc == 0 || rc == -EEXIST)
        return 0;
    return change_failed(rc, true, ip, link, err, errlen);
}

int res_ip_del(const struct res_ip *ip, const struct res_ip_link *link, char *err, size_t errlen)
{
    struct res_ip_ifaddr cur;
    bool found;
    int rc = find_on_link(&ip->addr, link->ifindex, &cur, &found);

    if (rc == 0 && !found)
        return 0;
    if (rc == 0)
        rc = addr_request(RTM_DELADDR, 0, &ip->addr, cur.prefix, link->ifindex);
    if (rc == 0 || rc == -EADDRNOTAVAIL)
        return 0;
    return change_failed(rc, false, ip, link, err, errlen);
}

const char *res_ip_status_name(enum res_ip_status s)
{
    switch (s) {
    case RES_IP_ABSENT:
        return "absent";
    case RES_IP_PRESENT:
        return "present";
    case RES_IP_LINK_DOWN:
        return "link-down";
    case RES_IP_DADFAILED:
        return "duplicate";
    }
    return "?";
}

int res_ip_check(const struct res_ip *ip, int ifindex, enum res_ip_status *status, char *err,
                 size_t errlen)
{
    char text[RES_IP_TEXT_MAX];
    struct res_ip_link link;
    struct res_ip_ifaddr cur;
    bool found;
    int rc = res_ip_get_link(ifindex, NULL, &link, err, errlen);

    if (rc < 0)
        return rc;
    res_ip_format(&ip->addr, text, sizeof(text));
    rc = find_on_link(&ip->addr, ifindex, &cur, &found);
    if (rc < 0)
        return errbuf_fail(err, errlen, rc, "cannot list the addresses of %s to look for %s: %s",
                           link.name, text, strerror(-rc));
    if (!found) {
        *status = RES_IP_ABSENT;
        return errbuf_fail(err, errlen, 0, "%s is not on %s", text, link.name);
    }
    if (cur.flags & IFA_F_DADFAILED) {
        *status = RES_IP_DADFAILED;
        return errbuf_fail(err, errlen, 0,
                           "%s on %s: the kernel found another machine with this address "
                           "(duplicate address detection failed); find and stop the other holder",
                           text, link.name);
    }
    if (!link.up) {
        *status = RES_IP_LINK_DOWN;
        return errbuf_fail(err, errlen, 0, "%s is on %s, but %s is down or has no carrier", text,
                           link.name, link.name);
    }
    *status = RES_IP_PRESENT;
    if (err && errlen)
        err[0] = '\0';
    return 0;
}
