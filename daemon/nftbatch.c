/* nftbatch.c - netlink batches to nf_tables and their acknowledgements.
 *
 * Every change is one batch: begin, messages (each NLM_F_ACK with its own
 * sequence number, growing through the batch), end, sent with one
 * sendmsg(); an empty batch is not sent.  Then every ACK is read, late
 * answers to an older batch skipped, and the first error is mapped back
 * through its sequence number (and the extended-ACK attribute offset, for
 * a chunk of set elements) to the operation and the object it concerns.
 * The batch buffer always keeps MSG_ROOM free at its end, so a message is
 * built in place; a dump request is built in the same buffer.  A reply
 * never answered within 10 s is an error, not a hang.
 */
#include <assert.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/socket.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netlink.h>

#include <libmnl/libmnl.h>
#include <libnftnl/common.h>

#include "nftbatch.h"
#include "util.h"

/* Room always kept free at the end of the batch buffer: more than the
 * largest single message we build. */
#define MSG_ROOM	(64 * 1024)
#define RECV_SIZE	(256 * 1024)
#define SOCK_BUF	(8 * 1024 * 1024)

struct nftbatch {
	struct mnl_socket *nl;
	uint32_t portid;
	uint32_t seq;
	uint32_t begin_seq;		/* of the batch being sent */
	int sndbuf;

	char *buf;			/* batch being built */
	size_t len, cap;
	struct nftbatch_rec *recs;
	size_t nrec, caprec;
	unsigned nacks;

	size_t last_msgs, last_bytes;	/* of the last batch sent */

	char *rbuf;			/* receive buffer */
	char err[512];
};

int nftbatch_fail(struct nftbatch *b, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(b->err, sizeof(b->err), fmt, ap);
	va_end(ap);
	return -1;
}

const char *nftbatch_error(const struct nftbatch *b)
{
	return b->err;
}

uint32_t nftbatch_portid(const struct nftbatch *b)
{
	return b->portid;
}

void nftbatch_last(const struct nftbatch *b, size_t *msgs, size_t *bytes)
{
	*msgs = b->last_msgs;
	*bytes = b->last_bytes;
}

struct nftbatch *nftbatch_new(void)
{
	struct nftbatch *b;
	int one = 1, sz = SOCK_BUF;

	b = xcalloc(1, sizeof(*b));
	b->nl = mnl_socket_open(NETLINK_NETFILTER);
	if (!b->nl)
		goto err_free;
	if (mnl_socket_bind(b->nl, 0, MNL_SOCKET_AUTOPID) < 0)
		goto err_close;
	b->portid = mnl_socket_get_portid(b->nl);
	/* Short ACKs (no copy of our message), with the offset of the
	 * attribute the kernel rejected. */
	mnl_socket_setsockopt(b->nl, NETLINK_CAP_ACK, &one, sizeof(one));
	mnl_socket_setsockopt(b->nl, NETLINK_EXT_ACK, &one, sizeof(one));
	if (setsockopt(mnl_socket_get_fd(b->nl), SOL_SOCKET, SO_RCVBUFFORCE,
		       &sz, sizeof(sz)) < 0)
		setsockopt(mnl_socket_get_fd(b->nl), SOL_SOCKET, SO_RCVBUF,
			   &sz, sizeof(sz));
	{
		/* A kernel that never answers must not hang the daemon. */
		struct timeval tv = { .tv_sec = 10 };

		setsockopt(mnl_socket_get_fd(b->nl), SOL_SOCKET, SO_RCVTIMEO,
			   &tv, sizeof(tv));
	}
	b->seq = (uint32_t)time(NULL);
	b->rbuf = xmalloc(RECV_SIZE);
	return b;

err_close:
	mnl_socket_close(b->nl);
err_free:
	free(b);
	return NULL;
}

void nftbatch_free(struct nftbatch *b)
{
	if (!b)
		return;
	mnl_socket_close(b->nl);
	free(b->buf);
	free(b->recs);
	free(b->rbuf);
	free(b);
}

/* ---- batch buffer ---- */

static void batch_reset(struct nftbatch *b)
{
	b->len = 0;
	b->nrec = 0;
	b->nacks = 0;
}

static char *batch_tail(struct nftbatch *b)
{
	size_t old = b->cap;

	if (b->cap - b->len < MSG_ROOM) {
		b->cap = b->cap ? b->cap * 2 : 4 * MSG_ROOM;
		b->buf = xrealloc(b->buf, b->cap);
		memset(b->buf + old, 0, b->cap - old);
	}
	return b->buf + b->len;
}

void nftbatch_commit(struct nftbatch *b, struct nlmsghdr *nlh)
{
	size_t pad = MNL_ALIGN(nlh->nlmsg_len) - nlh->nlmsg_len;

	assert(nlh->nlmsg_len < MSG_ROOM);
	/* The alignment padding goes to the kernel too: no stale bytes. */
	memset((char *)nlh + nlh->nlmsg_len, 0, pad);
	b->len += MNL_ALIGN(nlh->nlmsg_len);
}

struct nftbatch_rec *nftbatch_rec(struct nftbatch *b, const char *verb,
				  const char *what, const char *name)
{
	struct nftbatch_rec *r;

	xgrow(&b->recs, &b->caprec, b->nrec + 1, sizeof(*b->recs));
	r = &b->recs[b->nrec++];
	memset(r, 0, sizeof(*r));
	r->seq = b->seq++;
	r->off = b->len;
	r->verb = verb;
	r->what = what;
	r->name = name;
	b->nacks++;
	return r;
}

void nftbatch_begin(struct nftbatch *b)
{
	batch_reset(b);
	batch_tail(b);
	b->begin_seq = b->seq;
	nftbatch_commit(b, nftnl_batch_begin(b->buf, b->seq++));
}

static void batch_end(struct nftbatch *b)
{
	batch_tail(b);
	nftbatch_commit(b, nftnl_batch_end(b->buf + b->len, b->seq++));
}

struct nlmsghdr *nftbatch_msg(struct nftbatch *b, struct nftbatch_rec *r,
			      int type, uint16_t flags)
{
	return nftnl_nlmsg_build_hdr(batch_tail(b), type, NFPROTO_INET,
				     flags | NLM_F_ACK, r->seq);
}

/* ---- naming objects in errors ---- */

static void elem_text(const struct nftbatch_rec *r, size_t i, char *buf,
		      size_t len)
{
	char a[TQ_ADDRSTRLEN];
	const uint8_t *m;

	if (r->uids) {
		snprintf(buf, len, "uid %u", r->uids[i]);
		return;
	}
	addr_format(&r->hosts[i].addr, a, sizeof(a));
	m = r->hosts[i].mac;
	if (r->hosts[i].has_mac && r->mac)
		snprintf(buf, len, "%s . %02x:%02x:%02x:%02x:%02x:%02x", a,
			 m[0], m[1], m[2], m[3], m[4], m[5]);
	else
		snprintf(buf, len, "%s", a);
}

/* Which element of message r starts at byte offset off of the message?
 * -1 if none (the error concerns the message as a whole). */
static long elem_at(const struct nftbatch *b, const struct nftbatch_rec *r,
		    uint32_t off)
{
	const struct nlmsghdr *nlh = (const void *)(b->buf + r->off);
	const struct nlattr *a, *e;
	long i;

	if (!r->n || off == 0)
		return -1;
	mnl_attr_for_each(a, nlh, sizeof(struct nfgenmsg)) {
		if (mnl_attr_get_type(a) != NFTA_SET_ELEM_LIST_ELEMENTS)
			continue;
		i = 0;
		mnl_attr_for_each_nested(e, a) {
			if ((const char *)e - (const char *)nlh == (long)off)
				return i < (long)r->n ? i : -1;
			i++;
		}
	}
	return -1;
}

static void name_error(struct nftbatch *b, const struct nftbatch_rec *r,
		       int err, uint32_t off)
{
	char el[96];
	long i;

	if (!r->n) {
		nftbatch_fail(b, "%s %s %s: %s", r->verb, r->what, r->name,
			      strerror(err));
		return;
	}
	i = r->n == 1 ? 0 : elem_at(b, r, off);
	if (i >= 0) {
		elem_text(r, (size_t)i, el, sizeof(el));
		nftbatch_fail(b, "%s element %s %s set %s: %s", r->verb, el,
			      strcmp(r->verb, "adding") ? "from" : "to",
			      r->name, strerror(err));
		return;
	}
	elem_text(r, 0, el, sizeof(el));
	nftbatch_fail(b, "%s %zu elements (first %s) %s set %s: %s", r->verb,
		      r->n, el, strcmp(r->verb, "adding") ? "from" : "to",
		      r->name, strerror(err));
}

static struct nftbatch_rec *rec_by_seq(struct nftbatch *b, uint32_t seq)
{
	size_t lo = 0, hi = b->nrec;

	/* Sequence numbers grow through the batch (modulo wrap-around,
	 * hence the subtraction from the first one). */
	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		uint32_t d = b->recs[mid].seq - b->recs[0].seq;

		if (d == seq - b->recs[0].seq)
			return &b->recs[mid];
		if (d < seq - b->recs[0].seq)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

/* ---- send and read the ACKs ---- */

static int ack_offset(const struct nlmsghdr *nlh, uint32_t *off)
{
	const struct nlmsgerr *e = mnl_nlmsg_get_payload(nlh);
	const struct nlattr *a;
	size_t hlen = sizeof(*e);

	*off = 0;
	if (!(nlh->nlmsg_flags & NLM_F_ACK_TLVS))
		return 0;
	if (!(nlh->nlmsg_flags & NLM_F_CAPPED))
		hlen += e->msg.nlmsg_len - sizeof(e->msg);
	if (MNL_ALIGN(hlen) > mnl_nlmsg_get_payload_len(nlh))
		return 0;
	mnl_attr_for_each(a, nlh, MNL_ALIGN(hlen)) {
		if (mnl_attr_get_type(a) == NLMSGERR_ATTR_OFFS &&
		    mnl_attr_validate(a, MNL_TYPE_U32) == 0)
			*off = mnl_attr_get_u32(a);
	}
	return 0;
}

int nftbatch_send(struct nftbatch *b)
{
	int fd = mnl_socket_get_fd(b->nl);
	bool failed = false;
	unsigned acked = 0;

	b->last_msgs = 0;
	b->last_bytes = 0;
	if (b->nacks == 0)
		return 0;	/* an empty batch is not sent */
	batch_end(b);
	b->last_msgs = b->nacks;
	b->last_bytes = b->len;
	if ((int)b->len + 4096 > b->sndbuf) {
		int sz = (int)b->len + 4096;

		if (setsockopt(fd, SOL_SOCKET, SO_SNDBUFFORCE, &sz,
			       sizeof(sz)) < 0 &&
		    setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &sz, sizeof(sz)) < 0)
			return nftbatch_fail(b, "netlink send buffer: %s",
					     strerror(errno));
		b->sndbuf = sz;
	}
	if (mnl_socket_sendto(b->nl, b->buf, b->len) < 0)
		return nftbatch_fail(b, "sending netlink batch (%zu bytes): "
				     "%s", b->len, strerror(errno));

	while (acked < b->nacks) {
		ssize_t len = mnl_socket_recvfrom(b->nl, b->rbuf, RECV_SIZE);
		const struct nlmsghdr *nlh;
		int rest;

		if (len < 0) {
			if (errno == EINTR)
				continue;
			return nftbatch_fail(b, "reading netlink "
					     "acknowledgements: %s",
					     strerror(errno));
		}
		rest = (int)len;
		for (nlh = (const void *)b->rbuf; mnl_nlmsg_ok(nlh, rest);
		     nlh = mnl_nlmsg_next(nlh, &rest)) {
			const struct nlmsgerr *e;
			struct nftbatch_rec *r;
			uint32_t off;

			if (nlh->nlmsg_type != NLMSG_ERROR)
				continue;
			if (mnl_nlmsg_get_payload_len(nlh) < sizeof(*e))
				continue;
			e = mnl_nlmsg_get_payload(nlh);
			r = rec_by_seq(b, nlh->nlmsg_seq);
			if (!r && nlh->nlmsg_seq == b->begin_seq) {
				/* The batch as a whole was refused. */
				if (!failed)
					nftbatch_fail(b, "netlink batch: %s",
						      strerror(-e->error));
				return -1;
			}
			if (!r)		/* a late answer to an old batch */
				continue;
			acked++;
			if (e->error == 0 || failed)
				continue;
			failed = true;
			ack_offset(nlh, &off);
			name_error(b, r, -e->error, off);
		}
	}
	return failed ? -1 : 0;
}

/* ---- dumps ---- */

int nftbatch_dump(struct nftbatch *b, struct nlmsghdr *nlh, mnl_cb_t cb,
		  void *arg)
{
	uint32_t seq = nlh->nlmsg_seq;
	ssize_t len;
	int rc;

	if (mnl_socket_sendto(b->nl, nlh, nlh->nlmsg_len) < 0)
		return -1;
	for (;;) {
		len = mnl_socket_recvfrom(b->nl, b->rbuf, RECV_SIZE);
		if (len < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		rc = mnl_cb_run(b->rbuf, (size_t)len, seq, b->portid, cb,
				arg);
		if (rc < 0)
			return -1;
		if (rc == MNL_CB_STOP)
			return 0;
	}
}

struct nlmsghdr *nftbatch_dump_hdr(struct nftbatch *b, int type)
{
	batch_reset(b);
	return nftnl_nlmsg_build_hdr(batch_tail(b), type, NFPROTO_INET,
				     NLM_F_DUMP, b->seq++);
}
