/* nftrules.h - the daemon's table as libnftnl objects (internal to nftb).
 *
 * The table, its sets, chains and rules and the sets' elements, built from
 * the configuration alone (nftb.h shows the table as `nft list` does).
 * Nothing here talks to the kernel: nftb.c puts these objects into
 * batches (nftbatch.h), and it and nftcheck.c read dumps back into them.
 * Every object returned is new and the caller's to free.  nftrules.c
 * builds the table, sets, chains and elements and reads dumped ones
 * back; nftchains.c builds the rules (nftr_rules()).
 */
#ifndef TQ_NFTRULES_H
#define TQ_NFTRULES_H

#include <stdbool.h>
#include <stddef.h>

#include "conf.h"
#include "nftb.h"

struct nftnl_chain;
struct nftnl_rule;
struct nftnl_set;
struct nftnl_set_elem;
struct nftnl_table;

/* The sets.  With bind_mac, hosts4/hosts6 hold address . MAC, and a host
 * opened without a known MAC goes to hosts4_unbound/hosts6_unbound (plain
 * addresses), so it works rather than silently not.  Without bind_mac the
 * table holds the first four only (nftr_nsets()).  allowed_uids: the uids
 * on the gateway that may use the link, with a counter each. */
enum { NFTR_H4, NFTR_H6, NFTR_UIDS, NFTR_ALLOWED, NFTR_H4U, NFTR_H6U,
       NFTR_NSETS };
/* The base chains come first (nftr_chain_base()).  prerouting holds the
 * captive portal's redirect (nftr_captive_port()); empty without it.
 * input counts what the users on the gateway receive (check_local). */
enum { NFTR_FORWARD, NFTR_POSTROUTING, NFTR_OUTPUT, NFTR_PREROUTING,
       NFTR_INPUT, NFTR_BLOCKED, NFTR_USERS, NFTR_NCHAINS };

extern const char *const nftr_set_names[NFTR_NSETS];
extern const char *const nftr_chain_names[NFTR_NCHAINS];
/* The host sets in rule order: the first nftr_nhost_sets() of them (with
 * bind_mac the bound ones, then those without a MAC). */
extern const int nftr_host_sets[4];

int nftr_nsets(const struct tq_conf *c);
int nftr_nhost_sets(const struct tq_conf *c);
/* Does set which hold address . MAC keys?  Uids?  IPv6 addresses? */
bool nftr_set_bound(const struct tq_conf *c, int which);
bool nftr_set_uids(int which);
bool nftr_set_v6(int which);
/* Is chain which a base chain (with a hook)? */
bool nftr_chain_base(int which);
/* The port on the gateway that plain HTTP (tcp/80) of LAN hosts not
 * opened goes to: the portal's (portal.port; 80 if 0), under HTTPS its
 * redirector's (portal.redirect_port); 0 = no redirect (no portal
 * section, or HTTPS without a redirector). */
unsigned nftr_captive_port(const struct tq_conf *c);

struct nftnl_table *nftr_table(const struct tq_conf *c);
/* Set which as it is created (key type, counters, flags). */
struct nftnl_set *nftr_set(const struct tq_conf *c, int which);
/* Set which by name only: what element messages and dumps name. */
struct nftnl_set *nftr_set_ref(const struct tq_conf *c, int which);
struct nftnl_chain *nftr_chain(const struct tq_conf *c, int which);

/* What nftb_intact() compares of a rule, built or dumped: the whole of it
 * (text: every expression with every attribute, as libnftnl prints it,
 * counter values zeroed, no handle or position). */
#define NFTR_TEXT 2048
struct nftr_sum {
	int chain;		/* NFTR_FORWARD.., -1 if not one of ours */
	int nexprs;
	char comment[96];	/* "" if it has none */
	char text[NFTR_TEXT];
};

/* Takes rule r (with table, chain and comment set) and frees it. */
typedef void (*nftr_rule_cb)(struct nftnl_rule *r, void *arg);

/* Hand every rule conf calls for to cb, chain by chain, each chain's
 * rules in the order they are appended. */
void nftr_rules(const struct tq_conf *c, nftr_rule_cb cb, void *arg);
/* Fill *s from rule r (whose handle, position and counter values it
 * clears). */
void nftr_summary(struct nftnl_rule *r, struct nftr_sum *s);
/* Does chain c, as dumped, have the attributes chain which is built with
 * (hook, priority, type, policy; none for a regular chain)? */
bool nftr_chain_same(const struct tq_conf *c, int which,
		     const struct nftnl_chain *ch);
/* Does set s, as dumped, have the attributes set which is built with (key
 * type and length, flags, element expressions, user data)? */
bool nftr_set_same(const struct tq_conf *c, int which,
		   const struct nftnl_set *s);

/* The set host h belongs in. */
int nftr_host_set(const struct tq_conf *c, const struct nftb_host *h);
/* An element for h's set (its address, . MAC in a bound set) or a uid
 * (for blocked_uids or allowed_uids). */
struct nftnl_set_elem *nftr_host_elem(const struct tq_conf *c,
				      const struct nftb_host *h);
struct nftnl_set_elem *nftr_uid_elem(unsigned uid);
/* A dumped element of set which into *h (key and counters) or, for a uid
 * set, *uid (and its counters into *h).  -1 if its key is not as long as
 * the set's. */
int nftr_elem_parse(const struct tq_conf *c, int which,
		    struct nftnl_set_elem *e, struct nftb_host *h,
		    unsigned *uid);

#endif
