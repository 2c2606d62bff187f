/* portal.h - tcpquota-portal's shared state and its rooms.
 *
 *   main.c      options, start-up (PAM helper, sockets, privileges),
 *               signals; the order of the portal's life
 *   http.c      libmicrohttpd: listeners, limits, routing, cookies, CSRF,
 *               the security headers every answer carries
 *   handlers.c  what a checked request asks for: login, pages, JSON,
 *               open, close, log-out, rooms (handlers.h, internal to the
 *               two)
 *   tls.c       portal.cert and portal.key: read as root and checked
 *   pages.c     the HTML pages, the static assets, the JSON answers
 *   device.c    this device: which it is, its state, open and close
 *               exactly as openhost does (tcpquotad closes idle ones)
 *   dbpool.c    the tools' database account, one connection per request
 *   auth.c      PAM in a helper process; session.c, ratelimit.c,
 *               parse.c, chart.c, sbuf.c: pure or self-locked parts
 *
 * The configuration is read once at start (a new one needs a restart:
 * the listeners are bound before privileges are dropped).
 */
#ifndef TQ_PORTAL_H
#define TQ_PORTAL_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "addr.h"
#include "conf.h"
#include "nbr.h"
#include "portaldb.h"
#include "toolctx.h"

struct auth;
struct sessions;
struct rl;

/* ---- dbpool.c ---- */

struct dbpool;

struct dbpool *dbpool_new(const struct tq_conf *conf, int n);
void dbpool_free(struct dbpool *p);
/* A connected tool context (waits for a free one); NULL with a message
 * in err if the database cannot be reached.  Give it back with
 * dbpool_put(). */
struct tool_ctx *dbpool_get(struct dbpool *p, char *err, size_t errlen);
void dbpool_put(struct dbpool *p, struct tool_ctx *t);

/* ---- device.c ---- */

/* The device a request comes from. */
struct device {
	struct tq_addr addr;
	char host[TQ_ADDRSTRLEN];
	uint8_t mac[6];
	bool has_mac;
	char macs[NBR_MACSTRLEN];	/* "" without a MAC */
};

/* What the status page, /api/status and /api/captive show. */
struct dev_status {
	const char *user;	/* whose balance: the caller, or the owner
				   of the device's row (captive) */
	long long quota;
	bool allowed;
	bool free_user;
	double rate;		/* the tariff now */
	int sharing;		/* users the cost is shared by */
	long long cost;		/* seconds a poll costs each */
	long long left;		/* seconds of time left; -1 unlimited */
	struct pdb_row row;	/* the device's row if nrows */
	int nrows;
	bool open;		/* the device is open (for user) */
	long long days[7];	/* debits: today, yesterday, ... */
};

/* Fill d from the request's source address (IPv4-mapped made IPv4) and
 * the neighbour table; d->host is the address as addr_canon() spells it
 * (addr_format() of the parsed address), the one form of masq rows. */
void device_of(const struct tq_addr *a, struct device *d);
/* The status of d for user (NULL: for whoever holds d's row); with
 * days, the last 7 days' debits too.  0 / -1 (database; msg set). */
int device_status(struct tool_ctx *t, const struct device *d,
		  const char *user, bool days, struct dev_status *st,
		  char *msg, size_t len);
/* Open d for user as openhost does: check, request, poke, wait.  0
 * opened; 1 refused or failed, with the reason in msg. */
int device_open(struct tool_ctx *t, const struct device *d,
		const char *user, char *msg, size_t len);
/* Close d's row of user: request, poke, wait, delete.  0 closed, 1 not
 * open for user or failed (msg). */
int device_close(struct tool_ctx *t, const struct device *d,
		 const char *user, char *msg, size_t len);


#endif
