/* nftbatch.h - netlink batches to nf_tables, their acknowledgements and
 * dumps (internal to nftb; nftables' mnl.c and erec.c).
 *
 * A batch is nftbatch_begin(), then per message nftbatch_rec() (its
 * sequence number and what it does, to name it in an error),
 * nftbatch_msg(), the caller's payload and nftbatch_commit(); then
 * nftbatch_send().  The strings and elements a record points to must live
 * until nftbatch_send() returns.
 */
#ifndef TQ_NFTBATCH_H
#define TQ_NFTBATCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <libmnl/libmnl.h>

#include "nftb.h"

/* What one message of a batch does. */
struct nftbatch_rec {
	uint32_t seq;
	size_t off;			/* in the batch buffer */
	const char *verb;		/* "adding", "deleting", ... */
	const char *what;		/* "table", "chain", "element", ... */
	const char *name;		/* object or set name */
	const struct nftb_host *hosts;	/* elements of this message */
	const unsigned *uids;
	size_t n;
	bool mac;			/* the hosts' keys hold their MAC */
};

struct nftbatch;

/* A netlink socket to nf_tables.  NULL on error (errno). */
struct nftbatch *nftbatch_new(void);
void nftbatch_free(struct nftbatch *b);
/* The last error text; nftbatch_fail() sets it and returns -1. */
const char *nftbatch_error(const struct nftbatch *b);
int nftbatch_fail(struct nftbatch *b, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

void nftbatch_begin(struct nftbatch *b);
struct nftbatch_rec *nftbatch_rec(struct nftbatch *b, const char *verb,
				  const char *what, const char *name);
/* The header of r's message (NLM_F_ACK added) at the end of the batch. */
struct nlmsghdr *nftbatch_msg(struct nftbatch *b, struct nftbatch_rec *r,
			      int type, uint16_t flags);
void nftbatch_commit(struct nftbatch *b, struct nlmsghdr *nlh);
/* End the batch, send it (not if empty) and read every ACK; the first
 * error is named after its message (and element).  0 / -1. */
int nftbatch_send(struct nftbatch *b);
/* The socket's netlink port id: what the kernel's ruleset events name
 * as the sender of this socket's changes. */
uint32_t nftbatch_portid(const struct nftbatch *b);
/* Messages and bytes of the last batch sent (nftb_last_batch()). */
void nftbatch_last(const struct nftbatch *b, size_t *msgs, size_t *bytes);

/* A dump request of this type, for the caller's payload. */
struct nlmsghdr *nftbatch_dump_hdr(struct nftbatch *b, int type);
/* Send it and feed every answer to cb.  0, or -1 with errno (ENOENT: no
 * such table or set). */
int nftbatch_dump(struct nftbatch *b, struct nlmsghdr *nlh, mnl_cb_t cb,
		  void *arg);

#endif
