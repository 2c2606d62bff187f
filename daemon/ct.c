/* ct.c - connection tracking through ctnetlink (libmnl): dumps for the
 * scan, deletion of a closed host's entries.
 *
 * Every attribute from the kernel is validated before use; an entry we
 * cannot read is skipped, never trusted.
 */
#include <errno.h>
#include <fcntl.h>
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
#define CT_BUF (256 << 10)	/* one recv of a dump, or a send of deletes */

struct ct {
	struct mnl_socket *nl;
	uint32_t portid;
	uint32_t seq;
	char buf[CT_BUF];
	char rbuf[CT_BUF];
};

struct ct *ct_new(void)
{
	struct ct *c = xcalloc(1, sizeof(*c));
	int sz = CT_SOCK_BUF, one = 1;

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
	{
		/* A lost answer must not hang the daemon's poll. */
		struct timeval tv = { .tv_sec = 5 };

		setsockopt(mnl_socket_get_fd(c->nl), SOL_SOCKET, SO_RCVTIMEO,
			   &tv, sizeof(tv));
	}
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

struct attrs {
	const struct nlattr *tb[CTA_MAX + 1];
};

static int top_cb(const struct nlattr *a, void *data)
{
	const struct nlattr **tb = data;
	int type = mnl_attr_get_type(a);

	if (mnl_attr_type_valid(a, CTA_MAX) < 0)
		return MNL_CB_OK;
	switch (type) {
	case CTA_TUPLE_ORIG:
	case CTA_COUNTERS_ORIG:
	case CTA_COUNTERS_REPLY:
		if (mnl_attr_validate(a, MNL_TYPE_NESTED) < 0)
			return MNL_CB_OK;
		break;
	case CTA_ZONE:
		if (mnl_attr_validate(a, MNL_TYPE_U16) < 0)
			return MNL_CB_OK;
		break;
	default:
		return MNL_CB_OK;
	}
	tb[type] = a;
	return MNL_CB_OK;
}

static int tuple_cb(const struct nlattr *a, void *data)
{
	const struct nlattr **tb = data;
	int type = mnl_attr_get_type(a);

	if (mnl_attr_type_valid(a, CTA_TUPLE_MAX) < 0)
		return MNL_CB_OK;
	if ((type == CTA_TUPLE_IP || type == CTA_TUPLE_PROTO) &&
	    mnl_attr_validate(a, MNL_TYPE_NESTED) == 0)
		tb[type] = a;
	return MNL_CB_OK;
}

static int ip_cb(const struct nlattr *a, void *data)
{
	const struct nlattr **tb = data;
	int type = mnl_attr_get_type(a);

	if (mnl_attr_type_valid(a, CTA_IP_MAX) < 0)
		return MNL_CB_OK;
	switch (type) {
	case CTA_IP_V4_SRC:
	case CTA_IP_V4_DST:
		if (mnl_attr_validate(a, MNL_TYPE_U32) < 0)
			return MNL_CB_OK;
		break;
	case CTA_IP_V6_SRC:
	case CTA_IP_V6_DST:
		if (mnl_attr_validate2(a, MNL_TYPE_BINARY, 16) < 0)
			return MNL_CB_OK;
		break;
	default:
		return MNL_CB_OK;
	}
	tb[type] = a;
	return MNL_CB_OK;
}

static int proto_cb(const struct nlattr *a, void *data)
{
	const struct nlattr **tb = data;
	int type = mnl_attr_get_type(a);

	if (mnl_attr_type_valid(a, CTA_PROTO_MAX) < 0)
		return MNL_CB_OK;
	switch (type) {
	case CTA_PROTO_NUM:
		if (mnl_attr_validate(a, MNL_TYPE_U8) < 0)
			return MNL_CB_OK;
		break;
	case CTA_PROTO_SRC_PORT:
	case CTA_PROTO_DST_PORT:
		if (mnl_attr_validate(a, MNL_TYPE_U16) < 0)
			return MNL_CB_OK;
		break;
	default:
		return MNL_CB_OK;
	}
	tb[type] = a;
	return MNL_CB_OK;
}

static int counters_cb(const struct nlattr *a, void *data)
{
	const struct nlattr **tb = data;
	int type = mnl_attr_get_type(a);

	if (mnl_attr_type_valid(a, CTA_COUNTERS_MAX) < 0)
		return MNL_CB_OK;
	if ((type == CTA_COUNTERS_PACKETS || type == CTA_COUNTERS_BYTES) &&
	    mnl_attr_validate(a, MNL_TYPE_U64) == 0)
		tb[type] = a;
	return MNL_CB_OK;
}

static bool add_counters(const struct nlattr *nest, struct scan_ct *e)
{
	const struct nlattr *tb[CTA_COUNTERS_MAX + 1] = { 0 };

	if (!nest || mnl_attr_parse_nested(nest, counters_cb, tb) < 0)
		return false;
	if (!tb[CTA_COUNTERS_PACKETS] || !tb[CTA_COUNTERS_BYTES])
		return false;
	e->packets += be64toh(mnl_attr_get_u64(tb[CTA_COUNTERS_PACKETS]));
	e->bytes += be64toh(mnl_attr_get_u64(tb[CTA_COUNTERS_BYTES]));
	return true;
}

/* Fill e from the original tuple.  0, or -1 if it is unreadable. */
static int parse_tuple(const struct nlattr *nest, uint8_t family,
		       struct scan_ct *e)
{
	const struct nlattr *tt[CTA_TUPLE_MAX + 1] = { 0 };
	const struct nlattr *ti[CTA_IP_MAX + 1] = { 0 };
	const struct nlattr *tp[CTA_PROTO_MAX + 1] = { 0 };

	if (mnl_attr_parse_nested(nest, tuple_cb, tt) < 0 ||
	    !tt[CTA_TUPLE_IP] || !tt[CTA_TUPLE_PROTO])
		return -1;
	if (mnl_attr_parse_nested(tt[CTA_TUPLE_IP], ip_cb, ti) < 0 ||
	    mnl_attr_parse_nested(tt[CTA_TUPLE_PROTO], proto_cb, tp) < 0)
		return -1;
	if (family == AF_INET) {
		if (!ti[CTA_IP_V4_SRC] || !ti[CTA_IP_V4_DST])
			return -1;
		e->src.family = e->dst.family = AF_INET;
		memcpy(e->src.a, mnl_attr_get_payload(ti[CTA_IP_V4_SRC]), 4);
		memcpy(e->dst.a, mnl_attr_get_payload(ti[CTA_IP_V4_DST]), 4);
	} else {
		if (!ti[CTA_IP_V6_SRC] || !ti[CTA_IP_V6_DST])
			return -1;
		e->src.family = e->dst.family = AF_INET6;
		memcpy(e->src.a, mnl_attr_get_payload(ti[CTA_IP_V6_SRC]), 16);
		memcpy(e->dst.a, mnl_attr_get_payload(ti[CTA_IP_V6_DST]), 16);
	}
	if (!tp[CTA_PROTO_NUM])
		return -1;
	e->proto = mnl_attr_get_u8(tp[CTA_PROTO_NUM]);
	if (tp[CTA_PROTO_SRC_PORT])
		e->sport = ntohs(mnl_attr_get_u16(tp[CTA_PROTO_SRC_PORT]));
	if (tp[CTA_PROTO_DST_PORT])
		e->dport = ntohs(mnl_attr_get_u16(tp[CTA_PROTO_DST_PORT]));
	return 0;
}

/* One entry: the parsed record plus, for deletion, its raw tuple. */
typedef void (*entry_fn)(const struct scan_ct *e, const struct nlattr *tuple,
			 const struct nlattr *zone, void *arg);

struct dump_ctx {
	entry_fn fn;
	void *arg;
};

static int entry_cb(const struct nlmsghdr *nlh, void *data)
{
	struct dump_ctx *x = data;
	const struct nlattr *tb[CTA_MAX + 1] = { 0 };
	const struct nfgenmsg *g;
	struct scan_ct e;

	if (nlh->nlmsg_len < MNL_NLMSG_HDRLEN + sizeof(*g))
		return MNL_CB_OK;
	g = mnl_nlmsg_get_payload(nlh);
	if (g->nfgen_family != AF_INET && g->nfgen_family != AF_INET6)
		return MNL_CB_OK;
	if (mnl_attr_parse(nlh, sizeof(*g), top_cb, tb) < 0 ||
	    !tb[CTA_TUPLE_ORIG])
		return MNL_CB_OK;
	memset(&e, 0, sizeof(e));
	if (parse_tuple(tb[CTA_TUPLE_ORIG], g->nfgen_family, &e) < 0)
		return MNL_CB_OK;
	e.has_counters = add_counters(tb[CTA_COUNTERS_ORIG], &e);
	e.has_counters = add_counters(tb[CTA_COUNTERS_REPLY], &e) &&
			 e.has_counters;
	x->fn(&e, tb[CTA_TUPLE_ORIG], tb[CTA_ZONE], x->arg);
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

static int dump_family(struct ct *c, uint8_t family, entry_fn fn, void *arg)
{
	char *buf = c->buf;
	struct dump_ctx x = { fn, arg };
	struct nlmsghdr *nlh;
	uint32_t seq;
	ssize_t r;
	int rc;

	nlh = ct_msg(c, buf, IPCTNL_MSG_CT_GET, NLM_F_DUMP, family);
	seq = nlh->nlmsg_seq;
	if (mnl_socket_sendto(c->nl, nlh, nlh->nlmsg_len) < 0)
		return -1;
	for (;;) {
		r = mnl_socket_recvfrom(c->nl, buf, CT_BUF);
		if (r < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		rc = mnl_cb_run(buf, (size_t)r, seq, c->portid, entry_cb, &x);
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

static void call_scan_cb(const struct scan_ct *e, const struct nlattr *tuple,
			 const struct nlattr *zone, void *arg)
{
	struct cb_wrap *w = arg;

	w->cb(e, w->arg);
}

int ct_dump(struct ct *c, scan_ct_cb cb, void *arg)
{
	struct cb_wrap w = { cb, arg };

	if (dump_family(c, AF_INET, call_scan_cb, &w) < 0)
		return -1;
	return dump_family(c, AF_INET6, call_scan_cb, &w);
}

/* ---- deletion ----------------------------------------------------------- */

struct victim {
	size_t len;		/* of the tuple attribute's payload */
	uint16_t zone;
	bool has_zone;
	char tuple[];		/* CTA_TUPLE_ORIG payload, as dumped */
};

struct del_ctx {
	const struct tq_addr *hosts;	/* sorted */
	size_t n;
	struct victim **v;
	size_t nv, cap;
};

static void collect(const struct scan_ct *e, const struct nlattr *tuple,
		    const struct nlattr *zone, void *arg)
{
	struct del_ctx *x = arg;
	struct victim *v;
	size_t len;

	if (!bsearch(&e->src, x->hosts, x->n, sizeof(*x->hosts), addr_cmp))
		return;
	len = mnl_attr_get_payload_len(tuple);
	if (len > 1024)
		return;
	v = xmalloc(sizeof(*v) + len);
	v->len = len;
	memcpy(v->tuple, mnl_attr_get_payload(tuple), len);
	v->has_zone = zone != NULL;
	v->zone = zone ? mnl_attr_get_u16(zone) : 0;
	xgrow(&x->v, &x->cap, x->nv + 1, sizeof(*x->v));
	x->v[x->nv++] = v;
}

/* Send the deletes in batches of messages per sendmsg(); count the ones
 * the kernel acknowledged (an entry gone meanwhile is fine). */
static long send_deletes(struct ct *c, struct del_ctx *x, uint8_t family)
{
	char *buf = c->buf, *rbuf = c->rbuf;
	long done = 0;
	size_t i = 0;

	while (i < x->nv) {
		size_t len = 0, sent = 0;

		while (i < x->nv && len + 2048 < CT_BUF) {
			struct nlmsghdr *nlh;
			struct nlattr *nest;

			nlh = ct_msg(c, buf + len, IPCTNL_MSG_CT_DELETE,
				     NLM_F_ACK, family);
			nest = mnl_attr_nest_start(nlh, CTA_TUPLE_ORIG);
			memcpy(mnl_nlmsg_get_payload_tail(nlh),
			       x->v[i]->tuple, x->v[i]->len);
			nlh->nlmsg_len += MNL_ALIGN(x->v[i]->len);
			mnl_attr_nest_end(nlh, nest);
			if (x->v[i]->has_zone)
				mnl_attr_put_u16(nlh, CTA_ZONE,
						 x->v[i]->zone);
			len += MNL_ALIGN(nlh->nlmsg_len);
			i++;
			sent++;
		}
		if (mnl_socket_sendto(c->nl, buf, len) < 0)
			return -1;
		while (sent) {
			ssize_t r = mnl_socket_recvfrom(c->nl, rbuf, CT_BUF);
			struct nlmsghdr *h;
			int rl;

			if (r < 0) {
				if (errno == EINTR)
					continue;
				return -1;
			}
			rl = (int)r;
			for (h = (struct nlmsghdr *)rbuf;
			     mnl_nlmsg_ok(h, rl) && sent;
			     h = mnl_nlmsg_next(h, &rl)) {
				const struct nlmsgerr *e;

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

static void victims_free(struct del_ctx *x)
{
	size_t i;

	for (i = 0; i < x->nv; i++)
		free(x->v[i]);
	x->nv = 0;
}

long ct_delete_hosts(struct ct *c, const struct tq_addr *hosts, size_t n)
{
	struct del_ctx x = { 0 };
	struct tq_addr *sorted;
	long total = 0, r = 0;
	int fam;

	if (!n)
		return 0;
	sorted = xmalloc(n * sizeof(*sorted));
	memcpy(sorted, hosts, n * sizeof(*sorted));
	qsort(sorted, n, sizeof(*sorted), addr_cmp);
	x.hosts = sorted;
	x.n = n;
	for (fam = 0; fam < 2 && r >= 0; fam++) {
		uint8_t family = fam ? AF_INET6 : AF_INET;

		if (dump_family(c, family, collect, &x) < 0) {
			r = -1;
			break;
		}
		r = send_deletes(c, &x, family);
		victims_free(&x);
		if (r > 0)
			total += r;
	}
	victims_free(&x);
	free(x.v);
	free(sorted);
	return r < 0 ? -1 : total;
}

int ct_enable_acct(void)
{
	int fd = open("/proc/sys/net/netfilter/nf_conntrack_acct",
		      O_WRONLY | O_CLOEXEC);
	int rc;

	if (fd < 0)
		return -1;
	rc = tq_write_all(fd, "1\n", 2);
	close(fd);
	return rc;
}
