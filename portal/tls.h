/* tls.h - the portal's certificate and key (portal.cert, portal.key).
 *
 * Read once at start, as root (the key is readable by root only), and
 * checked before a socket is served: both PEM, the key the certificate's
 * own, libmicrohttpd built with TLS.  Every refusal names the setting,
 * the file and what to do; tcpquota-portal -n runs the same check.
 */
#ifndef TQ_TLS_H
#define TQ_TLS_H

#include <stddef.h>

#include "conf.h"

/**
 * tls_load() - read and check portal.cert and portal.key.  *cert and *key
 * receive the PEM texts (the caller frees them; the key wiped first,
 * tls_free_key()).  warn receives a warning that does not stop the start
 * (an expired or not yet valid certificate), else "".  0, or -1 with the
 * reason in err.
 */
int tls_load(const struct tq_conf *c, char **cert, char **key, char *warn,
	     size_t wlen, char *err, size_t errlen);
/* Wipe and free a key tls_load() gave. */
void tls_free_key(char *key);

#endif
