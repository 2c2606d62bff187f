/* ct.c - connection tracking through ctnetlink (libmnl): dumps for the
 * scan, deletion of a closed host's entries.
 *
 * Every attribute from the kernel is validated before use; an entry we
 * cannot read is skipped, never trusted.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <endian.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/time.h>

#include <libmnl/libmnl.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/nfnetlink_conntrack.h>

#include "ct.h"
#include "util.h"

#define CT_SOCK_BUF (16 << 20)
/* The kernel builds a dump's messages in skbs of at most 32 KiB, so one
 * 64 KiB buffer takes any of them; batches of deletes are sent from it
 * and their ACKs read back into it. */
#define CT_BUF (64 << 10)
/* Events come one per skb, each well under a page. */
#define CT_EV_BUF 8192
#define CT_EV_SOCK_BUF (8 << 20)

struct ct {
	struct mnl_socket *nl;
	uint32_t portid;
	uint32_t seq;
	char buf[CT_BUF];
};

struct ct_events {
	struct mnl_socket *nl;
	char buf[CT_EV_BUF];
};

struct ct *ct_new(void)
{
	struct ct *c = xcalloc(1, sizeof(*c));
	int sz = CT_SOCK_BUF, one = 1;
	/* A lost answer must not hang the daemon's poll. */
	struct timeval tv = { .tv_sec = 5 };

	c->nl = mnl_socket_open(NETLINK_NETFILTER);
	if (!c->nl)
		goto err_free;
	if (mnl_socket_bind(c->nl, 0, MNL_SOCKET_AUTOPID) < 0)
		goto err_close;
	c->portid = mnl_socket_get_portid(c->nl);
	if (setsockopt(mnl_socket_get_fd(c->nl), SOL_SOCKET, SO_RCVBUFFORCE,
		       &sz, sizeof(sz)) < 0)
		setsockopt(mnl_socket_get_fd(c->nl), SOL_SOCKET, SO_RCVBUF,
			   &sz, sizeof(sz));
	mnl_socket_setsockopt(c->nl, NETLINK_NO_ENOBUFS, &one, sizeof(one));
	setsockopt(mnl_socket_get_fd(c->nl), SOL_SOCKET, SO_RCVTIMEO,
		   &tv, sizeof(tv));
	c->seq = (uint32_t)time(NULL);
	return c;

err_close:
	mnl_socket_close(c->nl);
err_free:
	free(c);
	return NULL;
}

void ct_free(struct ct *c)
{
	if (!c)
		return;
	mnl_socket_close(c->nl);
	free(c);
}

/* ---- parsing ------------------------------------------------------------ */

/*
 * An entry is walked once, top level and nests, acting only on what the
 * scan needs (the original tuple, both counters, TCP's state, the zone for
 * deletes);
 * everything else is stepped over.  This runs for every attribute of
 * every entry of a dump, so the walk is inline rather than libmnl's
 * out-of-line mnl_attr_* calls (a third of the parse time), with the
 * same checks: each attribute lies inside its message or nest
 * (attr_ok() is mnl_attr_ok()), and every attribute used has the length
 * of its type before it is read.
 */
static inline bool attr_ok(const struct nlattr *a, long left)
{
	return left >= (long)sizeof(*a) && a->nla_len >= sizeof(*a) &&
	       (long)a->nla_len <= left;
}

#define attr_for_each(a, left, start, len)				\
	for ((a) = (start), (left) = (long)(len); attr_ok((a), (left));	\
	     (left) -= MNL_ALIGN((a)->nla_len),				\
	     (a) = (const struct nlattr *)((const char *)(a) +		\
					    MNL_ALIGN((a)->nla_len)))

#define attr_for_each_nested(a, left, nest)				\
	attr_for_each(a, left, (const struct nlattr *)attr_data(nest),	\
		      attr_len(nest))

static inline uint16_t attr_type(const struct nlattr *a)
{
	return a->nla_type & NLA_TYPE_MASK;
}

static inline const void *attr_data(const struct nlattr *a)
{
	return (const char *)a + MNL_ATTR_HDRLEN;
}

static inline size_t attr_len(const struct nlattr *a)
{
	return a->nla_len - MNL_ATTR_HDRLEN;
}

static inline uint64_t attr_be64(const struct nlattr *a)
{
	uint64_t v;

	memcpy(&v, attr_data(a), sizeof(v));
	return be64toh(v);
}

static inline uint16_t attr_be16(const struct nlattr *a)
{
	uint16_t v;

	memcpy(&v, attr_data(a), sizeof(v));
	return ntohs(v);
}

/*
 * Messages in a receive buffer.  mnl_nlmsg_ok() compares nlmsg_len with
 * the bytes left as an int, so a header claiming 2 GiB or more passes it
 * and mnl_nlmsg_next() then jumps outside the buffer (found by
 * tests/fuzz/fuzz_ct.c).  These compare unsigned.
 */
static inline bool msg_ok(const struct nlmsghdr *h, long left)
{
	return left >= (long)sizeof(*h) && h->nlmsg_len >= sizeof(*h) &&
	       h->nlmsg_len <= (unsigned long)left;
}

#define msg_for_each(h, left, buf, len)				\
	for ((h) = (const struct nlmsghdr *)(buf), (left) = (long)(len); \
	     msg_ok((h), (left));					\
	     (left) -= MNL_ALIGN((h)->nlmsg_len),			\
	     (h) = (const struct nlmsghdr *)((const char *)(h) +	\
					     MNL_ALIGN((h)->nlmsg_len)))

/* Would mnl_cb_run() walk buf[0, len) inside it?  Only a header libmnl
 * accepts but msg_ok() does not can take it outside. */
static bool msgs_fit(const void *buf, size_t len)
{
	const struct nlmsghdr *h;
	long left;

	msg_for_each(h, left, buf, len)
		;
	return left < (long)sizeof(*h) || h->nlmsg_len <= INT_MAX;
}

/* The original tuple's addresses, protocol and ports into e.  0, or -1 if
 * an address or the protocol is missing or malformed. */
static int parse_tuple(const struct nlattr *nest, uint8_t family,
		       struct scan_ct *e)
{
	const uint16_t asrc = family == AF_INET ? CTA_IP_V4_SRC : CTA_IP_V6_SRC;
	const uint16_t adst = family == AF_INET ? CTA_IP_V4_DST : CTA_IP_V6_DST;
	const size_t alen = family == AF_INET ? 4 : 16;
	const struct nlattr *a, *b;
	long la, lb;
	unsigned got = 0;
	uint16_t type;

	attr_for_each_nested(a, la, nest) {
		type = attr_type(a);
		if (type == CTA_TUPLE_IP) {
			attr_for_each_nested(b, lb, a) {
				type = attr_type(b);
				if (type != asrc && type != adst)
					continue;
				if (attr_len(b) != alen)
					return -1;
				memcpy(type == asrc ? e->src.a : e->dst.a,
				       attr_data(b), alen);
				got |= type == asrc ? 1 : 2;
			}
		} else if (type == CTA_TUPLE_PROTO) {
			attr_for_each_nested(b, lb, a) {
				switch (attr_type(b)) {
				case CTA_PROTO_NUM:
					if (attr_len(b) < 1)
						return -1;
					e->proto = *(const uint8_t *)attr_data(b);
					got |= 4;
					break;
				case CTA_PROTO_SRC_PORT:
					if (attr_len(b) >= 2)
						e->sport = attr_be16(b);
					break;
				case CTA_PROTO_DST_PORT:
					if (attr_len(b) >= 2)
						e->dport = attr_be16(b);
					break;
				}
			}
		}
	}
	if (got != 7)
		return -1;
	e->src.family = e->dst.family = family;
	return 0;
}

/* Add one direction's counters to e; false if they are not both there. */
static bool add_counters(const struct nlattr *nest, struct scan_ct *e)
{
	const struct nlattr *a;
	unsigned got = 0;
	long left;

	if (!nest)
		return false;
	attr_for_each_nested(a, left, nest) {
		switch (attr_type(a)) {
		case CTA_COUNTERS_PACKETS:
			if (attr_len(a) < 8)
				break;
			e->packets += attr_be64(a);
			got |= 1;
			break;
		case CTA_COUNTERS_BYTES:
			if (attr_len(a) < 8)
				break;
			e->bytes += attr_be64(a);
			got |= 2;
			break;
		}
	}
	return got == 3;
}

/* The TCP state in CTA_PROTOINFO (nest) > CTA_PROTOINFO_TCP (nest) >
 * CTA_PROTOINFO_TCP_STATE (u8) into e; other protocols' nests are
 * stepped over.  A number beyond the states we know is SCAN_CT_NONE (a
 * newer kernel's state counts as live).  0, or -1 if the state attribute
 * is too short to hold its u8. */
static int parse_protoinfo(const struct nlattr *nest, struct scan_ct *e)
{
	const struct nlattr *a, *b;
	long la, lb;
	uint8_t st;

	attr_for_each_nested(a, la, nest) {
		if (attr_type(a) != CTA_PROTOINFO_TCP)
			continue;
		attr_for_each_nested(b, lb, a) {
			if (attr_type(b) != CTA_PROTOINFO_TCP_STATE)
				continue;
			if (attr_len(b) < 1)
				return -1;
			st = *(const uint8_t *)attr_data(b);
			e->state = st < SCAN_CT_NSTATES ? st : SCAN_CT_NONE;
		}
	}
	return 0;
}

/* One entry (a dump's message or an event): the parsed record plus, for
 * deletion, its raw tuple and zone. */
struct entry {
	struct scan_ct e;
	const struct nlattr *tuple;
	const struct nlattr *zone;
};

/* 0, or -1 for a message that is not a readable entry. */
static int parse_entry(const struct nlmsghdr *nlh, struct entry *x)
{
	const struct nlattr *a, *co = NULL, *cr = NULL, *pi = NULL;
	const struct nfgenmsg *g;
	long left;

	if (nlh->nlmsg_len < MNL_NLMSG_HDRLEN + MNL_ALIGN(sizeof(*g)))
		return -1;
	g = mnl_nlmsg_get_payload(nlh);
	if (g->nfgen_family != AF_INET && g->nfgen_family != AF_INET6)
		return -1;
	x->tuple = x->zone = NULL;
	attr_for_each(a, left, (const struct nlattr *)((const char *)g +
						     MNL_ALIGN(sizeof(*g))),
		      nlh->nlmsg_len - MNL_NLMSG_HDRLEN -
		      MNL_ALIGN(sizeof(*g))) {
		switch (attr_type(a)) {
		case CTA_TUPLE_ORIG:
			x->tuple = a;
			break;
		case CTA_COUNTERS_ORIG:
			co = a;
			break;
		case CTA_COUNTERS_REPLY:
			cr = a;
			break;
		case CTA_PROTOINFO:
			pi = a;
			break;
		case CTA_ZONE:
			if (attr_len(a) >= 2)
				x->zone = a;
			break;
		}
	}
	if (!x->tuple)
		return -1;
	memset(&x->e, 0, sizeof(x->e));
	if (parse_tuple(x->tuple, g->nfgen_family, &x->e) < 0)
		return -1;
	/* Only TCP's state is read: the nest is the protocol's own, and a
	 * TCP nest on another protocol is not the kernel's. */
	if (pi && x->e.proto == IPPROTO_TCP && parse_protoinfo(pi, &x->e) < 0)
		return -1;
	x->e.has_counters = add_counters(co, &x->e);
	x->e.has_counters = add_counters(cr, &x->e) && x->e.has_counters;
	/* Half a set of counters is no count (scan.h: 0 without them), as
	 * the procfs parser has it. */
	if (!x->e.has_counters)
		x->e.packets = x->e.bytes = 0;
	return 0;
}

int ct_parse_msg(const void *buf, size_t len, struct scan_ct *out)
{
	const struct nlmsghdr *nlh = buf;
	struct entry x;

	if (len > LONG_MAX || !msg_ok(nlh, (long)len) ||
	    NFNL_SUBSYS_ID(nlh->nlmsg_type) != NFNL_SUBSYS_CTNETLINK ||
	    parse_entry(nlh, &x) < 0)
		return -1;
	*out = x.e;
	return 0;
}

typedef void (*entry_fn)(const struct entry *x, void *arg);

struct dump_ctx {
	entry_fn fn;
	void *arg;
};

static int entry_cb(const struct nlmsghdr *nlh, void *data)
{
	struct dump_ctx *d = data;
	struct entry x;

	if (parse_entry(nlh, &x) == 0)
		d->fn(&x, d->arg);
	return MNL_CB_OK;
}

static struct nlmsghdr *ct_msg(struct ct *c, char *buf, uint16_t type,
			       uint16_t flags, uint8_t family)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	struct nfgenmsg *g;

	nlh->nlmsg_type = (NFNL_SUBSYS_CTNETLINK << 8) | type;
	nlh->nlmsg_flags = NLM_F_REQUEST | flags;
	nlh->nlmsg_seq = c->seq++;
	g = mnl_nlmsg_put_extra_header(nlh, sizeof(*g));
	g->nfgen_family = family;
	g->version = NFNETLINK_V0;
	g->res_id = 0;
	return nlh;
}

/* One dump of the whole table: AF_UNSPEC gives IPv4 and IPv6 entries in
 * one walk of the kernel's hash (a dump per family walks it twice), each
 * message still carrying its own family. */
static int dump_all(struct ct *c, entry_fn fn, void *arg)
{
	struct dump_ctx d = { fn, arg };
	struct nlmsghdr *nlh;
	uint32_t seq;
	ssize_t r;
	int rc;

	nlh = ct_msg(c, c->buf, IPCTNL_MSG_CT_GET, NLM_F_DUMP, AF_UNSPEC);
	seq = nlh->nlmsg_seq;
	if (mnl_socket_sendto(c->nl, nlh, nlh->nlmsg_len) < 0)
		return -1;
	for (;;) {
		r = mnl_socket_recvfrom(c->nl, c->buf, CT_BUF);
		if (r < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		if (!msgs_fit(c->buf, (size_t)r)) {
			errno = EPROTO;
			return -1;
		}
		rc = mnl_cb_run(c->buf, (size_t)r, seq, c->portid, entry_cb,
				&d);
		if (rc < 0)
			return -1;
		if (rc == MNL_CB_STOP)
			return 0;
	}
}

struct cb_wrap {
	scan_ct_cb cb;
	void *arg;
};

static void call_scan_cb(const struct entry *x, void *arg)
{
	struct cb_wrap *w = arg;

	w->cb(&x->e, w->arg);
}

int ct_dump(struct ct *c, scan_ct_cb cb, void *arg)
{
	struct cb_wrap w = { cb, arg };

	return dump_all(c, call_scan_cb, &w);
}

/* ---- deletion ----------------------------------------------------------- */

struct victim {
	size_t len;		/* of the tuple attribute's payload */
	uint8_t family;
	bool has_zone;
	uint16_t zone;
	char tuple[];		/* CTA_TUPLE_ORIG payload, as dumped */
};

struct del_ctx {
	const struct tq_addr *hosts;	/* sorted */
	size_t n;
	struct victim **v;
	size_t nv, cap;
};

static void collect(const struct entry *x, void *arg)
{
	struct del_ctx *d = arg;
	struct victim *v;
	size_t len;

	if (!bsearch(&x->e.src, d->hosts, d->n, sizeof(*d->hosts), addr_cmp))
		return;
	len = attr_len(x->tuple);
	if (len > 1024)
		return;
	v = xmalloc(sizeof(*v) + len);
	v->len = len;
	v->family = x->e.src.family;
	memcpy(v->tuple, attr_data(x->tuple), len);
	v->has_zone = x->zone != NULL;
	v->zone = 0;
	if (x->zone)	/* kept as the kernel sent it (big-endian) */
		memcpy(&v->zone, attr_data(x->zone), sizeof(v->zone));
	xgrow(&d->v, &d->cap, d->nv + 1, sizeof(*d->v));
	d->v[d->nv++] = v;
}

/* Send the deletes in batches of messages per sendmsg(); count the ones
 * the kernel acknowledged (an entry gone meanwhile is fine).  The kernel
 * has handled a whole batch when sendmsg() returns, so its ACKs are read
 * back into the same buffer. */
static long send_deletes(struct ct *c, struct del_ctx *d)
{
	char *buf = c->buf;
	long done = 0;
	size_t i = 0;

	while (i < d->nv) {
		size_t len = 0, sent = 0;

		while (i < d->nv && len + 2048 < CT_BUF) {
			const struct victim *v = d->v[i];
			struct nlmsghdr *nlh;
			struct nlattr *nest;

			nlh = ct_msg(c, buf + len, IPCTNL_MSG_CT_DELETE,
				     NLM_F_ACK, v->family);
			nest = mnl_attr_nest_start(nlh, CTA_TUPLE_ORIG);
			memcpy(mnl_nlmsg_get_payload_tail(nlh), v->tuple,
			       v->len);
			nlh->nlmsg_len += MNL_ALIGN(v->len);
			mnl_attr_nest_end(nlh, nest);
			if (v->has_zone)
				mnl_attr_put_u16(nlh, CTA_ZONE, v->zone);
			len += MNL_ALIGN(nlh->nlmsg_len);
			i++;
			sent++;
		}
		if (mnl_socket_sendto(c->nl, buf, len) < 0)
			return -1;
		while (sent) {
			ssize_t r = mnl_socket_recvfrom(c->nl, buf, CT_BUF);
			const struct nlmsghdr *h;
			long rl;

			if (r < 0) {
				if (errno == EINTR)
					continue;
				return -1;
			}
			msg_for_each(h, rl, buf, r) {
				const struct nlmsgerr *e;

				if (!sent)
					break;
				if (h->nlmsg_type != NLMSG_ERROR ||
				    h->nlmsg_len < NLMSG_HDRLEN + sizeof(*e))
					continue;
				e = mnl_nlmsg_get_payload(h);
				sent--;
				if (e->error == 0)
					done++;
			}
		}
	}
	return done;
}

long ct_delete_hosts(struct ct *c, const struct tq_addr *hosts, size_t n)
{
	struct del_ctx d = { 0 };
	struct tq_addr *sorted;
	long r;
	size_t i;

	if (!n)
		return 0;
	sorted = xmalloc(n * sizeof(*sorted));
	memcpy(sorted, hosts, n * sizeof(*sorted));
	qsort(sorted, n, sizeof(*sorted), addr_cmp);
	d.hosts = sorted;
	d.n = n;
	r = dump_all(c, collect, &d) < 0 ? -1 : send_deletes(c, &d);
	for (i = 0; i < d.nv; i++)
		free(d.v[i]);
	free(d.v);
	free(sorted);
	return r;
}

/* ---- events ------------------------------------------------------------- */

/* net.netfilter.nf_conntrack_events: 0 means the kernel sends none. */
static bool events_off(void)
{
	char v[8] = "";
	int fd = open("/proc/sys/net/netfilter/nf_conntrack_events",
		      O_RDONLY | O_CLOEXEC);
	ssize_t r;

	if (fd < 0)
		return false;	/* no such knob: events always on */
	r = read(fd, v, sizeof(v) - 1);
	close(fd);
	return r > 0 && v[0] == '0';
}

struct ct_events *ct_events_new(void)
{
	struct ct_events *ev;
	int sz = CT_EV_SOCK_BUF;

	if (events_off()) {
		errno = EOPNOTSUPP;
		return NULL;
	}
	ev = xcalloc(1, sizeof(*ev));
	ev->nl = mnl_socket_open2(NETLINK_NETFILTER, SOCK_NONBLOCK);
	if (!ev->nl)
		goto err_free;
	/* No NETLINK_NO_ENOBUFS: a lost event must be reported. */
	if (mnl_socket_bind(ev->nl, NF_NETLINK_CONNTRACK_NEW |
			    NF_NETLINK_CONNTRACK_DESTROY,
			    MNL_SOCKET_AUTOPID) < 0)
		goto err_close;
	if (setsockopt(mnl_socket_get_fd(ev->nl), SOL_SOCKET, SO_RCVBUFFORCE,
		       &sz, sizeof(sz)) < 0)
		setsockopt(mnl_socket_get_fd(ev->nl), SOL_SOCKET, SO_RCVBUF,
			   &sz, sizeof(sz));
	return ev;

err_close:
	mnl_socket_close(ev->nl);
err_free:
	free(ev);
	return NULL;
}

void ct_events_free(struct ct_events *ev)
{
	if (!ev)
		return;
	mnl_socket_close(ev->nl);
	free(ev);
}

int ct_events_fd(const struct ct_events *ev)
{
	return mnl_socket_get_fd(ev->nl);
}

long ct_events_read(struct ct_events *ev, scan_ct_cb new_cb,
		    scan_ct_cb gone_cb, void *arg)
{
	const struct nlmsghdr *h;
	struct entry x;
	long n = 0, len;
	ssize_t r;

	for (;;) {
		r = mnl_socket_recvfrom(ev->nl, ev->buf, sizeof(ev->buf));
		if (r < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				return n;
			return -1;	/* ENOBUFS: events were lost */
		}
		msg_for_each(h, len, ev->buf, r) {
			/* nlmsg_pid is the requester's for an entry created
			 * or deleted through ctnetlink: not a filter here. */
			if (NFNL_SUBSYS_ID(h->nlmsg_type) !=
			    NFNL_SUBSYS_CTNETLINK || parse_entry(h, &x) < 0)
				continue;
			switch (NFNL_MSG_TYPE(h->nlmsg_type)) {
			case IPCTNL_MSG_CT_NEW:
				new_cb(&x.e, arg);
				n++;
				break;
			case IPCTNL_MSG_CT_DELETE:
				gone_cb(&x.e, arg);
				n++;
				break;
			}
		}
	}
}

int ct_enable_acct(void)
{
	static const char path[] = "/proc/sys/net/netfilter/nf_conntrack_acct";
	char c = 0;
	int fd, rc;

	/* Already on (set by the administrator, or /proc/sys read-only in
	 * a container that turned it on): nothing to write. */
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;	/* no sysctl: nf_conntrack not loaded yet */
	rc = (int)read(fd, &c, 1);
	close(fd);
	if (rc == 1 && c == '1')
		return 0;
	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	rc = tq_write_all(fd, "1\n", 2);
	close(fd);
	return rc;
}
