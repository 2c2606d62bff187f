/* nftb.c - the daemon's own nftables table: what each public call puts in
 * one batch, and what it reads back.
 *
 * The module is five files along nftables' own seam: this one, the
 * comparison of the kernel's table with the one built (nftcheck.c), the
 * ruleset as libnftnl objects (nftrules.c, and nftchains.c for the
 * chains' rules) and the netlink batches with their acknowledgements and
 * error naming (nftbatch.c); nftb_int.h holds what the first two share,
 * struct nftb with its invariants.  Each write call is one batch, applied
 * whole or not at all; a host or uid is removed by an add then a delete
 * in the same batch, so removing an absent one is no error.  The ruleset
 * event socket (n->ev) is apart from the batch socket, whose port id
 * marks the daemon's own changes.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/nfnetlink.h>
#include <sys/socket.h>

#include <libmnl/libmnl.h>
#include <libnftnl/chain.h>
#include <libnftnl/rule.h>
#include <libnftnl/set.h>
#include <libnftnl/table.h>

#include "nftb_int.h"
#include "nftbatch.h"
#include "nftrules.h"
#include "util.h"

/* Elements per NEWSETELEM message: the element list is one netlink
 * attribute, whose length is 16 bits. */
#define ELEM_CHUNK	256

const char *nftb_error(const struct nftb *n)
{
	return nftbatch_error(n->b);
}

void nftb_last_batch(const struct nftb *n, size_t *msgs, size_t *bytes)
{
	nftbatch_last(n->b, msgs, bytes);
}

struct nftb *nftb_new(const struct tq_conf *conf)
{
	struct nftb *n = xcalloc(1, sizeof(*n));

	n->conf = conf;
	n->b = nftbatch_new();
	if (!n->b) {
		free(n);
		return NULL;
	}
	return n;
}

void nftb_free(struct nftb *n)
{
	if (!n)
		return;
	nftbatch_free(n->b);
	free(n->xr);
	if (n->ev)
		mnl_socket_close(n->ev);
	free(n->evbuf);
	free(n->allowed);
	free(n->blocked);
	free(n);
}

void nftb_set_conf(struct nftb *n, const struct tq_conf *conf)
{
	n->conf = conf;
	n->xr_ready = false;
}

static void uids_merge(struct nftb *n, const unsigned *uids, size_t nu,
		       bool add);

/* ---- messages ---- */

static void add_table_msg(struct nftb *n, int type, uint16_t flags,
			  const char *verb)
{
	struct nftnl_table *t = nftr_table(n->conf);
	struct nftbatch_rec *r;
	struct nlmsghdr *nlh;

	r = nftbatch_rec(n->b, verb, "table inet", n->conf->table);
	nlh = nftbatch_msg(n->b, r, type, flags);
	nftnl_table_nlmsg_build_payload(nlh, t);
	nftbatch_commit(n->b, nlh);
	nftnl_table_free(t);
}

static void add_set(struct nftb *n, int which)
{
	struct nftnl_set *s = nftr_set(n->conf, which);
	struct nftbatch_rec *r;
	struct nlmsghdr *nlh;

	r = nftbatch_rec(n->b, "adding", "set", nftr_set_names[which]);
	nlh = nftbatch_msg(n->b, r, NFT_MSG_NEWSET,
			   NLM_F_CREATE | NLM_F_EXCL);
	nftnl_set_nlmsg_build_payload(nlh, s);
	nftbatch_commit(n->b, nlh);
	nftnl_set_free(s);
}

static void add_chain(struct nftb *n, int which)
{
	struct nftnl_chain *c = nftr_chain(n->conf, which);
	struct nftbatch_rec *r;
	struct nlmsghdr *nlh;

	r = nftbatch_rec(n->b, "adding", "chain", nftr_chain_names[which]);
	nlh = nftbatch_msg(n->b, r, NFT_MSG_NEWCHAIN,
			   NLM_F_CREATE | NLM_F_EXCL);
	nftnl_chain_nlmsg_build_payload(nlh, c);
	nftbatch_commit(n->b, nlh);
	nftnl_chain_free(c);
}

/* Remember rule r for nftb_intact(); its summary stays valid until the
 * next call. */
static const struct nftr_sum *want(struct nftb *n, struct nftnl_rule *r)
{
	xgrow(&n->xr, &n->capxr, n->nxr + 1, sizeof(*n->xr));
	nftr_summary(r, &n->xr[n->nxr]);
	return &n->xr[n->nxr++];
}

/* nftr_rule_cb: only remember rule r. */
void nftb_want_rule(struct nftnl_rule *r, void *arg)
{
	want(arg, r);
	nftnl_rule_free(r);
}

/* nftr_rule_cb: remember rule r and append it to its chain. */
static void add_rule(struct nftnl_rule *r, void *arg)
{
	struct nftb *n = arg;
	const struct nftr_sum *s = want(n, r);
	struct nftbatch_rec *rec;
	struct nlmsghdr *nlh;

	rec = nftbatch_rec(n->b, "adding", "rule to chain",
			   nftr_chain_names[s->chain]);
	nlh = nftbatch_msg(n->b, rec, NFT_MSG_NEWRULE,
			   NLM_F_CREATE | NLM_F_EXCL | NLM_F_APPEND);
	nftnl_rule_nlmsg_build_payload(nlh, r);
	nftbatch_commit(n->b, nlh);
	nftnl_rule_free(r);
}

/* One or more NEWSETELEM/DELSETELEM messages for the elements of one set
 * among hosts[] (or uids[]), ELEM_CHUNK per message. */
static void add_elems(struct nftb *n, int which, int type, uint16_t flags,
		      const struct nftb_host *hosts, const unsigned *uids,
		      size_t count)
{
	const char *verb = type == NFT_MSG_NEWSETELEM ? "adding" : "deleting";
	size_t i = 0;

	while (i < count) {
		struct nftnl_set *s = nftr_set_ref(n->conf, which);
		struct nlmsghdr *nlh;
		struct nftbatch_rec *r;
		size_t k = 0, first;

		/* Skip to this set's elements; hosts[] mixes families, so a
		 * chunk is a run of same-set hosts. */
		while (i < count && hosts &&
		       nftr_host_set(n->conf, &hosts[i]) != which)
			i++;
		first = i;
		while (i < count && k < ELEM_CHUNK) {
			if (hosts && nftr_host_set(n->conf, &hosts[i]) != which)
				break;
			nftnl_set_elem_add(s, hosts ?
					   nftr_host_elem(n->conf, &hosts[i]) :
					   nftr_uid_elem(uids[i]));
			i++;
			k++;
		}
		if (k > 0) {
			r = nftbatch_rec(n->b, verb, "element",
					 nftr_set_names[which]);
			r->n = k;
			r->mac = nftr_set_bound(n->conf, which);
			if (hosts)
				r->hosts = &hosts[first];
			else
				r->uids = &uids[first];
			nlh = nftbatch_msg(n->b, r, type, flags);
			nftnl_set_elems_nlmsg_build_payload(nlh, s);
			nftbatch_commit(n->b, nlh);
		}
		nftnl_set_free(s);
	}
}

static void add_hosts(struct nftb *n, int type, uint16_t flags,
		      const struct nftb_host *hosts, size_t nh)
{
	int k;

	for (k = 0; k < nftr_nhost_sets(n->conf); k++)
		add_elems(n, nftr_host_sets[k], type, flags, hosts, NULL, nh);
}

/* ---- public operations ---- */

int nftb_create(struct nftb *n, const struct nftb_host *hosts, size_t nh,
		const unsigned *uids, size_t nu)
{
	int i;

	nftbatch_begin(n->b);
	/* Add (a no-op if it exists), delete, add: the table is replaced
	 * in one transaction, and a missing one is no error. */
	add_table_msg(n, NFT_MSG_NEWTABLE, NLM_F_CREATE, "adding");
	add_table_msg(n, NFT_MSG_DELTABLE, 0, "replacing");
	add_table_msg(n, NFT_MSG_NEWTABLE, NLM_F_CREATE | NLM_F_EXCL,
		      "adding");
	for (i = 0; i < nftr_nsets(n->conf); i++)
		add_set(n, i);
	for (i = 0; i < NFTR_NCHAINS; i++)
		add_chain(n, i);
	n->nxr = 0;
	nftr_rules(n->conf, add_rule, n);
	add_hosts(n, NFT_MSG_NEWSETELEM, NLM_F_CREATE, hosts, nh);
	add_elems(n, NFTR_UIDS, NFT_MSG_NEWSETELEM, NLM_F_CREATE, NULL, uids,
		  nu);
	add_elems(n, NFTR_ALLOWED, NFT_MSG_NEWSETELEM, NLM_F_CREATE, NULL,
		  n->allowed, n->nallowed);
	n->xr_ready = true;
	if (nftbatch_send(n->b) < 0)
		return -1;
	n->nblocked = 0;
	uids_merge(n, uids, nu, true);
	n->elems_known = true;
	return 0;
}

int nftb_delete(struct nftb *n)
{
	nftbatch_begin(n->b);
	add_table_msg(n, NFT_MSG_NEWTABLE, NLM_F_CREATE, "adding");
	add_table_msg(n, NFT_MSG_DELTABLE, 0, "deleting");
	return nftbatch_send(n->b);
}

int nftb_open(struct nftb *n, const struct nftb_host *hosts, size_t nh)
{
	if (nh == 0)
		return 0;
	nftbatch_begin(n->b);
	add_hosts(n, NFT_MSG_NEWSETELEM, NLM_F_CREATE, hosts, nh);
	return nftbatch_send(n->b);
}

/* With bind_mac, a host is closed whatever MAC it was bound to: find its
 * elements in the sets.  *out is malloc'ed. */
static int bound_hosts(struct nftb *n, const struct nftb_host *hosts,
		       size_t nh, struct nftb_host **out, size_t *nout)
{
	struct nftb_host *all, *v;
	size_t na, i, j, k = 0;

	if (nftb_list(n, &all, &na) < 0)
		return -1;
	/* Only the bound elements (unbound ones are the host itself). */
	for (i = 0, j = 0; i < na; i++)
		if (all[i].has_mac)
			all[j++] = all[i];
	na = j;
	qsort(all, na, sizeof(*all), addr_cmp);	/* addr is the first field */
	v = xcalloc(nh + na + 1, sizeof(*v));
	for (i = 0; i < nh; i++) {
		struct nftb_host *f;

		/* The host itself: with a MAC its bound element, without
		 * one its element in the unbound set. */
		v[k++] = hosts[i];
		if (hosts[i].has_mac)
			continue;
		f = bsearch(&hosts[i], all, na, sizeof(*all), addr_cmp);
		if (!f)
			continue;
		while (f > all && addr_equal(&f[-1].addr, &hosts[i].addr))
			f--;
		for (j = (size_t)(f - all);
		     j < na && addr_equal(&all[j].addr, &hosts[i].addr); j++)
			v[k++] = all[j];
	}
	free(all);
	*out = v;
	*nout = k;
	return 0;
}

int nftb_close(struct nftb *n, const struct nftb_host *hosts, size_t nh)
{
	struct nftb_host *v = NULL;
	int rc;

	if (nh == 0)
		return 0;
	if (n->conf->bind_mac) {
		if (bound_hosts(n, hosts, nh, &v, &nh) < 0)
			return -1;
		hosts = v;
	}
	nftbatch_begin(n->b);
	/* Add first (a no-op if present), then delete: removing a host
	 * that is absent is no error, at no extra cost. */
	add_hosts(n, NFT_MSG_NEWSETELEM, NLM_F_CREATE, hosts, nh);
	add_hosts(n, NFT_MSG_DELSETELEM, 0, hosts, nh);
	rc = nftbatch_send(n->b);
	free(v);
	return rc;
}

/* Add uids to (add) or take them from the blocked uids remembered. */
static void uids_merge(struct nftb *n, const unsigned *uids, size_t nu,
		       bool add)
{
	size_t i, j, k;

	for (i = 0; i < nu; i++) {
		for (j = 0; j < n->nblocked && n->blocked[j] != uids[i]; j++)
			;
		if (add && j == n->nblocked) {
			xgrow(&n->blocked, &n->capblocked, n->nblocked + 1,
			      sizeof(*n->blocked));
			n->blocked[n->nblocked++] = uids[i];
		} else if (!add && j < n->nblocked) {
			for (k = j + 1; k < n->nblocked; k++)
				n->blocked[k - 1] = n->blocked[k];
			n->nblocked--;
		}
	}
	if (n->nblocked > 1)
		qsort(n->blocked, n->nblocked, sizeof(*n->blocked),
		      tq_uint_cmp);
}

int nftb_block(struct nftb *n, const unsigned *uids, size_t nu)
{
	nftbatch_begin(n->b);
	add_elems(n, NFTR_UIDS, NFT_MSG_NEWSETELEM, NLM_F_CREATE, NULL, uids,
		  nu);
	if (nftbatch_send(n->b) < 0)
		return -1;
	uids_merge(n, uids, nu, true);
	return 0;
}

int nftb_unblock(struct nftb *n, const unsigned *uids, size_t nu)
{
	nftbatch_begin(n->b);
	add_elems(n, NFTR_UIDS, NFT_MSG_NEWSETELEM, NLM_F_CREATE, NULL, uids,
		  nu);
	add_elems(n, NFTR_UIDS, NFT_MSG_DELSETELEM, 0, NULL, uids, nu);
	if (nftbatch_send(n->b) < 0)
		return -1;
	uids_merge(n, uids, nu, false);
	return 0;
}

/* The uids of a[] (sorted) that b[] (sorted) lacks, into out[]. */
static size_t uids_minus(const unsigned *a, size_t na, const unsigned *b,
			 size_t nb, unsigned *out)
{
	size_t i, j = 0, k = 0;

	for (i = 0; i < na; i++) {
		while (j < nb && b[j] < a[i])
			j++;
		if (j == nb || b[j] != a[i])
			out[k++] = a[i];
	}
	return k;
}

int nftb_allow(struct nftb *n, const unsigned *uids, size_t nu,
	       size_t *added, size_t *removed)
{
	unsigned *want, *add, *del;
	size_t nw = 0, na, nd, i;
	int rc = 0;

	want = xcalloc(nu + 1, sizeof(*want));
	if (nu > 0)
		memcpy(want, uids, nu * sizeof(*want));
	qsort(want, nu, sizeof(*want), tq_uint_cmp);
	for (i = 0; i < nu; i++)
		if (nw == 0 || want[nw - 1] != want[i])
			want[nw++] = want[i];
	add = xcalloc(nw + 1, sizeof(*add));
	del = xcalloc(n->nallowed + 1, sizeof(*del));
	na = uids_minus(want, nw, n->allowed, n->nallowed, add);
	nd = uids_minus(n->allowed, n->nallowed, want, nw, del);
	if (na + nd > 0) {
		nftbatch_begin(n->b);
		add_elems(n, NFTR_ALLOWED, NFT_MSG_NEWSETELEM, NLM_F_CREATE,
			  NULL, add, na);
		add_elems(n, NFTR_ALLOWED, NFT_MSG_NEWSETELEM, NLM_F_CREATE,
			  NULL, del, nd);
		add_elems(n, NFTR_ALLOWED, NFT_MSG_DELSETELEM, 0, NULL, del,
			  nd);
		rc = nftbatch_send(n->b);
	}
	if (rc == 0) {
		xgrow(&n->allowed, &n->capallowed, nw + 1,
		      sizeof(*n->allowed));
		if (nw > 0)
			memcpy(n->allowed, want, nw * sizeof(*want));
		n->nallowed = nw;
	}
	*added = rc == 0 ? na : 0;
	*removed = rc == 0 ? nd : 0;
	free(del);
	free(add);
	free(want);
	return rc;
}

/* ---- reading back ---- */

static int elem_cb(const struct nlmsghdr *nlh, void *arg)
{
	struct nftb_elems *x = arg;
	struct nftnl_set *s = xcheck(nftnl_set_alloc());
	struct nftnl_set_elems_iter *it;
	struct nftnl_set_elem *e;
	struct nftb_host h;
	unsigned u;

	if (nftnl_set_elems_nlmsg_parse(nlh, s) < 0) {
		nftnl_set_free(s);
		return MNL_CB_ERROR;
	}
	it = xcheck(nftnl_set_elems_iter_create(s));
	while ((e = nftnl_set_elems_iter_next(it))) {
		if (nftr_elem_parse(x->n->conf, x->which, e, &h, &u) < 0)
			continue;
		if (x->which == NFTR_UIDS) {
			xgrow(&x->uids, &x->cap, x->count + 1,
			      sizeof(*x->uids));
			x->uids[x->count++] = u;
		} else if (x->which == NFTR_ALLOWED) {
			xgrow(&x->ucnt, &x->cap, x->count + 1,
			      sizeof(*x->ucnt));
			x->ucnt[x->count].uid = u;
			x->ucnt[x->count].packets = h.packets;
			x->ucnt[x->count++].bytes = h.bytes;
		} else {
			xgrow(&x->hosts, &x->cap, x->count + 1,
			      sizeof(*x->hosts));
			x->hosts[x->count++] = h;
		}
	}
	nftnl_set_elems_iter_destroy(it);
	nftnl_set_free(s);
	return MNL_CB_OK;
}

int nftb_dump_elems(struct nftb *n, struct nftb_elems *x)
{
	struct nftnl_set *s = nftr_set_ref(n->conf, x->which);
	struct nlmsghdr *nlh;

	nlh = nftbatch_dump_hdr(n->b, NFT_MSG_GETSETELEM);
	nftnl_set_elems_nlmsg_build_payload(nlh, s);
	nftnl_set_free(s);
	if (nftbatch_dump(n->b, nlh, elem_cb, x) < 0)
		return nftbatch_fail(n->b, "listing set %s: %s",
				     nftr_set_names[x->which],
				     strerror(errno));
	return 0;
}

int nftb_list(struct nftb *n, struct nftb_host **out, size_t *nh)
{
	struct nftb_elems x = { .n = n };
	int k;

	for (k = 0; k < nftr_nhost_sets(n->conf); k++) {
		x.which = nftr_host_sets[k];
		if (nftb_dump_elems(n, &x) < 0)
			goto err;
	}
	if (!x.hosts)
		x.hosts = xcalloc(1, sizeof(*x.hosts));
	*out = x.hosts;
	*nh = x.count;
	return 0;
err:
	free(x.hosts);
	return -1;
}

int nftb_list_uids(struct nftb *n, unsigned **out, size_t *nu)
{
	struct nftb_elems x = { .n = n, .which = NFTR_UIDS };

	if (nftb_dump_elems(n, &x) < 0) {
		free(x.uids);
		return -1;
	}
	if (!x.uids)
		x.uids = xcalloc(1, sizeof(*x.uids));
	*out = x.uids;
	*nu = x.count;
	return 0;
}

int nftb_list_allowed(struct nftb *n, struct nftb_uid **out, size_t *nu)
{
	struct nftb_elems x = { .n = n, .which = NFTR_ALLOWED };

	if (nftb_dump_elems(n, &x) < 0) {
		free(x.ucnt);
		return -1;
	}
	if (!x.ucnt)
		x.ucnt = xcalloc(1, sizeof(*x.ucnt));
	*out = x.ucnt;
	*nu = x.count;
	return 0;
}

/* ---- ruleset events ---- */

#define EV_BUF		(64 * 1024)
#define EV_SOCK_BUF	(4 * 1024 * 1024)

int nftb_events_fd(struct nftb *n)
{
	int grp = NFNLGRP_NFTABLES, sz = EV_SOCK_BUF, fd;

	if (n->ev)
		return mnl_socket_get_fd(n->ev);
	n->ev = mnl_socket_open2(NETLINK_NETFILTER, SOCK_NONBLOCK |
				 SOCK_CLOEXEC);
	if (!n->ev)
		return -1;
	fd = mnl_socket_get_fd(n->ev);
	if (mnl_socket_bind(n->ev, 0, MNL_SOCKET_AUTOPID) < 0 ||
	    mnl_socket_setsockopt(n->ev, NETLINK_ADD_MEMBERSHIP, &grp,
				  sizeof(grp)) < 0) {
		mnl_socket_close(n->ev);
		n->ev = NULL;
		return -1;
	}
	/* A flush of a large ruleset is a burst; a lost one is a change. */
	if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &sz, sizeof(sz)) < 0)
		setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &sz, sizeof(sz));
	n->evbuf = xmalloc(EV_BUF);
	return fd;
}

/* Does event nlh concern this table, changed by another socket? */
static bool event_ours(const struct nftb *n, const struct nlmsghdr *nlh)
{
	const struct nfgenmsg *g;
	const struct nlattr *a;

	if (NFNL_SUBSYS_ID(nlh->nlmsg_type) != NFNL_SUBSYS_NFTABLES ||
	    NFNL_MSG_TYPE(nlh->nlmsg_type) == NFT_MSG_NEWGEN ||
	    nlh->nlmsg_pid == nftbatch_portid(n->b) ||
	    mnl_nlmsg_get_payload_len(nlh) < sizeof(*g))
		return false;
	g = mnl_nlmsg_get_payload(nlh);
	if (g->nfgen_family != NFPROTO_INET)
		return false;
	/* Attribute 1 is the table (NFTA_TABLE_NAME, NFTA_CHAIN_TABLE,
	 * NFTA_RULE_TABLE, NFTA_SET_TABLE, NFTA_SET_ELEM_LIST_TABLE, ...). */
	mnl_attr_for_each(a, nlh, sizeof(*g)) {
		if (mnl_attr_get_type(a) == 1 &&
		    mnl_attr_validate(a, MNL_TYPE_NUL_STRING) == 0)
			return strcmp(mnl_attr_get_str(a), n->conf->table) == 0;
	}
	return false;
}

int nftb_events_changed(struct nftb *n)
{
	int changed = 0;

	if (!n->ev)
		return 0;
	for (;;) {
		const struct nlmsghdr *nlh;
		ssize_t len;
		int rest;

		len = recv(mnl_socket_get_fd(n->ev), n->evbuf, EV_BUF, 0);
		if (len < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				return changed;
			if (errno == ENOBUFS) {
				changed = 1;	/* events lost */
				continue;
			}
			return -1;
		}
		rest = (int)len;
		for (nlh = (const void *)n->evbuf; mnl_nlmsg_ok(nlh, rest);
		     nlh = mnl_nlmsg_next(nlh, &rest))
			if (event_ours(n, nlh))
				changed = 1;
	}
}
