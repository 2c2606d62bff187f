/* wake.h - the tools' wake-up socket (daemon.wakeup): a datagram there
 * asks for a request pass now instead of at the next poll. */
#ifndef TQ_WAKE_H
#define TQ_WAKE_H

#include "conf.h"
#include "loop.h"

struct wake;

typedef void (*wake_cb)(void *arg);

/* Bind the socket conf names ("" or NULL: none) and watch it in loop;
 * cb(arg) is the request pass.  Failures are logged (the tools' requests
 * then wait for the next poll).  Never NULL. */
struct wake *wake_new(const struct tq_conf *conf, struct loop *loop,
		      wake_cb cb, void *arg);
/* Close and free; the socket file stays (see wake_remove). */
void wake_free(struct wake *w);
/* The socket's path or group changed on reload: the old socket file goes
 * and the new one is bound. */
void wake_set_conf(struct wake *w, const struct tq_conf *conf);
/* Clean exit: close it and remove the socket file. */
void wake_remove(struct wake *w);

#endif
