/* masq.h - the masq table's protocol codes, for tcpquotad and the tools.
 *
 * masq.open carries the requests and their answers: a tool writes
 * MASQ_REQ_OPEN or MASQ_REQ_CLOSE, the daemon answers MASQ_OPENED or
 * MASQ_CLOSED (or deletes a row it refuses).  masq.free says who pays.
 * The names the tools show for the codes are spelled here, once.
 */
#ifndef TQ_MASQ_H
#define TQ_MASQ_H

/* masq.open: tools write the requests, the daemon the answers. */
enum {
	MASQ_CLOSED = 0,
	MASQ_OPENED = 1,
	MASQ_REQ_OPEN = 2,
	MASQ_REQ_CLOSE = 3,
};

/* masq.free */
enum {
	MASQ_PAID = 0,		/* openhost: the user pays */
	MASQ_FREE = 1,		/* openfw group: free, only in free hours */
	MASQ_ADMIN = 2,		/* openfw adm: free, any time */
};

/* "closed", "open", "opening", "closing"; "?" for any other code. */
const char *masq_open_str(int open);
/* "paid", "free", "adm"; "?" for any other code. */
const char *masq_free_str(int free);

#endif
