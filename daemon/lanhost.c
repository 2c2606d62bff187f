/* lanhost.c - one host, one row, LAN hosts only (lanhost.h).
 *
 * Invariants: a row is refused only for its host (the address it names,
 * or another row holding that address), never for its codes or name,
 * which are acct's; a refused row leaves the snapshot before gather,
 * acct and fw see it, so it never opens, closes, charges or deletes
 * conntrack entries of anything.  Of the rows of one address exactly
 * one stays.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lanhost.h"
#include "log.h"
#include "masq.h"
#include "nbr.h"
#include "util.h"

struct lanhost {
	bool dump_said;		/* the address dump failed */
	bool nolan_said;	/* no address on the LAN interfaces */
};

struct lanhost *lanhost_new(void)
{
	return xcalloc(1, sizeof(struct lanhost));
}

void lanhost_free(struct lanhost *lh)
{
	free(lh);
}

struct cand {
	struct tq_addr addr;
	int rank;		/* lower holds the address */
	size_t i;
};

static int cand_cmp(const void *x, const void *y)
{
	const struct cand *a = x, *b = y;
	int c = addr_cmp(&a->addr, &b->addr);

	if (c)
		return c;
	if (a->rank != b->rank)
		return a->rank < b->rank ? -1 : 1;
	return a->i < b->i ? -1 : a->i > b->i;
}

void lanhost_judge(const struct store_masq *rows, size_t n,
		   const struct tq_lan *lan, char (*why)[LANHOST_WHY])
{
	char canon[TQ_ADDRSTRLEN];
	struct cand *c = xcalloc(n + 1, sizeof(*c));
	size_t i, k = 0, first = 0;

	for (i = 0; i < n; i++) {
		const struct store_masq *m = &rows[i];
		struct tq_addr a;

		why[i][0] = '\0';
		if (m->host_toolong || addr_parse(m->host, &a) < 0 ||
		    !addr_is_host(&a))
			continue;
		if (addr_lan_check(lan, &a, why[i], LANHOST_WHY) < 0)
			continue;
		addr_format(&a, canon, sizeof(canon));
		c[k].addr = a;
		c[k].rank = (m->open != MASQ_OPENED) * 2 +
			    (strcmp(canon, m->host) != 0);
		c[k++].i = i;
	}
	if (k > 1)
		qsort(c, k, sizeof(*c), cand_cmp);
	for (i = 1; i < k; i++) {
		const struct store_masq *h;

		if (!addr_equal(&c[i].addr, &c[first].addr)) {
			first = i;
			continue;
		}
		h = &rows[c[first].i];
		snprintf(why[c[i].i], LANHOST_WHY, "host %s is already "
			 "opened by %s", addr_format(&c[i].addr, canon,
						     sizeof(canon)),
			 *h->name ? h->name : "?");
	}
	free(c);
}

/* The LAN now; its problems said once. */
static void lan_now(struct lanhost *lh, const struct tq_conf *conf,
		    struct tq_lan *lan)
{
	char names[256];
	size_t i, n = 0;

	if (nbr_lan(conf->lan, conf->n_lan, lan) < 0) {
		log_once_errno(&lh->dump_said, "rtnetlink: reading the "
			       "interface addresses (masq hosts are checked "
			       "for aliases only)");
		addr_lan_free(lan);
		return;
	}
	log_recovered(&lh->dump_said, "rtnetlink: interface addresses "
		      "read again");
	if (lan->n_nets) {
		log_recovered(&lh->nolan_said, "network.lan: the LAN's "
			      "networks are known again");
		return;
	}
	names[0] = '\0';
	for (i = 0; i < conf->n_lan && n < sizeof(names); i++)
		n += (size_t)snprintf(names + n, sizeof(names) - n, "%s%s",
				      i ? ", " : "", conf->lan[i]);
	log_once(&lh->nolan_said, "network.lan: no address on %s: masq "
		 "hosts are not checked against the LAN's networks (give "
		 "the LAN interface its address, or name the right "
		 "interface in network.lan)", names);
}

void lanhost_refuse(struct lanhost *lh, struct store *st,
		    const struct tq_conf *conf, struct store_snap *s)
{
	char (*why)[LANHOST_WHY];
	struct store_op *ops;
	struct tq_lan lan;
	size_t i, k, n = 0;

	if (s->n_masq == 0)
		return;
	lan_now(lh, conf, &lan);
	why = xcalloc(s->n_masq, sizeof(*why));
	lanhost_judge(s->masq, s->n_masq, &lan, why);
	addr_lan_free(&lan);
	ops = xcalloc(s->n_masq, sizeof(*ops));
	for (i = k = 0; i < s->n_masq; i++) {
		const struct store_masq *m = &s->masq[i];
		struct store_op *op = &ops[n];

		if (!why[i][0]) {
			s->masq[k++] = *m;
			continue;
		}
		log_info("deleted masq row %s of %s (%s)", m->host,
			 *m->name ? m->name : "?", why[i]);
		op->kind = STORE_DELETE;
		tq_strlcpy(op->host, m->host, sizeof(op->host));
		op->seen_open = m->open;
		op->seen_tic = m->tic;
		tq_strlcpy(op->seen_name, m->name, sizeof(op->seen_name));
		n++;
	}
	s->n_masq = k;
	store_ack(st, ops, n);
	free(ops);
	free(why);
}
