/* nftb_int.h - what nftb.c and nftcheck.c share; the daemon uses nftb.h.
 *
 * nftb.c       the public calls: one batch each, and the reading back
 * nftcheck.c   nftb_intact(): the kernel's table against the one built
 *
 * n->xr, the rules as nftb_create() built them (each as its full text),
 * is what nftb_intact() compares the kernel's table with; it is rebuilt
 * from n->conf whenever xr_ready is false (after nftb_set_conf()).
 * n->blocked and n->allowed are the uids this process put in
 * blocked_uids and allowed_uids, sorted, changed only once a batch was
 * accepted.  The configuration is the caller's and must outlive its use
 * here.
 */
#ifndef TQ_NFTB_INT_H
#define TQ_NFTB_INT_H

#include <stdbool.h>
#include <stddef.h>

#include "nftb.h"
#include "nftrules.h"

struct mnl_socket;
struct nftbatch;

struct nftb {
	const struct tq_conf *conf;
	struct nftbatch *b;
	struct nftr_sum *xr;		/* the rules conf calls for */
	size_t nxr, capxr;
	bool xr_ready;
	unsigned *allowed;		/* allowed_uids as last set, sorted */
	size_t nallowed, capallowed;
	unsigned *blocked;		/* blocked_uids as last set, sorted */
	size_t nblocked, capblocked;
	bool elems_known;		/* the uid sets are ours to compare */
	char diff[512];			/* nftb_intact_diff() */
	struct mnl_socket *ev;		/* ruleset events, or NULL */
	char *evbuf;
};

/* The elements of one set, as a dump reads them into malloc'ed arrays
 * (the caller frees hosts, uids and ucnt). */
struct nftb_elems {
	struct nftb *n;
	int which;
	struct nftb_host *hosts;
	unsigned *uids;
	struct nftb_uid *ucnt;		/* with counters (allowed_uids) */
	size_t count, cap;
};

/* Dump set x->which into x.  0 / -1 (the error said in n). */
int nftb_dump_elems(struct nftb *n, struct nftb_elems *x);
/* nftr_rule_cb: remember rule r in n->xr (arg is n) and free it. */
void nftb_want_rule(struct nftnl_rule *r, void *arg);

#endif
