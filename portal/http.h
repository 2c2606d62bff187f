/* http.h - the portal's HTTP(S) server on libmicrohttpd.
 *
 * httpd_bind() runs as root: it reads the certificate and key and binds
 * one listening socket per LAN address (portal.listen, or every address
 * of network.lan's interfaces), so the rest can run without privileges.
 * httpd_start() serves them, one thread per connection, within
 * portal.max_connections and portal.per_address.
 */
#ifndef TQ_HTTP_H
#define TQ_HTTP_H

#include <stddef.h>

#include "conf.h"

struct httpd;
struct auth;
struct dbpool;

struct httpd *httpd_bind(const struct tq_conf *conf, char *err,
			 size_t errlen);
int httpd_start(struct httpd *h, struct auth *a, struct dbpool *pool,
		char *err, size_t errlen);
/* The URL the portal announces on its first listener ("" if none). */
const char *httpd_url(const struct httpd *h);
void httpd_free(struct httpd *h);

#endif
