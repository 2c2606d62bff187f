/* tls.c - the portal's certificate and key (tls.h), checked with GnuTLS,
 * the library libmicrohttpd serves HTTPS with: what GnuTLS refuses here
 * it would refuse there, with a worse message.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <gnutls/gnutls.h>
#include <gnutls/x509.h>
#include <microhttpd.h>

#include "sbuf.h"
#include "tls.h"
#include "util.h"

#define PEM_MAX (1 << 20)

static const char plain_hint[] =
	"or leave portal.cert and portal.key empty for plain HTTP";

/* The PEM file of setting what ("cert", "key").  NULL with err set. */
static char *read_pem(const char *what, const char *path, char *err,
		      size_t errlen)
{
	const char *should = !strcmp(what, "key") ?
		"the certificate's private key, unencrypted, in PEM" :
		"the certificate (with its chain) in PEM";
	struct sbuf b;
	char buf[4096];
	ssize_t n;
	int fd;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		tq_err(err, errlen, "portal.%s %s: %s; name a file with %s, "
		       "readable by root (it is read before the portal drops "
		       "privileges), %s", what, path, strerror(errno), should,
		       plain_hint);
		return NULL;
	}
	sbuf_init(&b);
	while ((n = read(fd, buf, sizeof(buf))) > 0 && b.len < PEM_MAX)
		sbuf_addn(&b, buf, (size_t)n);
	close(fd);
	explicit_bzero(buf, sizeof(buf));
	if (n < 0 || b.len == 0 || b.len >= PEM_MAX ||
	    !strstr(b.s, "-----BEGIN ")) {
		tq_err(err, errlen, "portal.%s %s: %s; it should hold %s, %s",
		       what, path, n < 0 ? strerror(errno) : b.len == 0 ?
		       "empty" : b.len >= PEM_MAX ? "larger than 1 MiB" :
		       "not PEM (no \"-----BEGIN\" line)", should, plain_hint);
		if (b.s)
			explicit_bzero(b.s, b.cap);
		sbuf_free(&b);
		return NULL;
	}
	return sbuf_steal(&b, NULL);
}

/* The first certificate's validity against now: a warning or "". */
static void validity(const struct tq_conf *c, const char *cert, char *warn,
		     size_t wlen)
{
	gnutls_datum_t d = { (unsigned char *)cert, (unsigned)strlen(cert) };
	gnutls_x509_crt_t crt;
	time_t now = time(NULL), from, to;
	char when[32];
	struct tm tm;

	warn[0] = '\0';
	if (gnutls_x509_crt_init(&crt) < 0)
		return;
	if (gnutls_x509_crt_import(crt, &d, GNUTLS_X509_FMT_PEM) == 0) {
		from = gnutls_x509_crt_get_activation_time(crt);
		to = gnutls_x509_crt_get_expiration_time(crt);
		if (to != (time_t)-1 && to < now) {
			gmtime_r(&to, &tm);
			strftime(when, sizeof(when), "%Y-%m-%d %H:%M UTC",
				 &tm);
			snprintf(warn, wlen, "portal.cert %s expired on %s: "
				 "browsers refuse it; renew it",
				 c->portal_cert, when);
		} else if (from != (time_t)-1 && from > now) {
			gmtime_r(&from, &tm);
			strftime(when, sizeof(when), "%Y-%m-%d %H:%M UTC",
				 &tm);
			snprintf(warn, wlen, "portal.cert %s is valid only "
				 "from %s: browsers refuse it until then; is "
				 "the clock right?", c->portal_cert, when);
		}
	}
	gnutls_x509_crt_deinit(crt);
}

int tls_load(const struct tq_conf *c, char **cert, char **key, char *warn,
	     size_t wlen, char *err, size_t errlen)
{
	gnutls_certificate_credentials_t cr;
	gnutls_datum_t dc, dk;
	int rc;

	*cert = *key = NULL;
	warn[0] = '\0';
	if (MHD_is_feature_supported(MHD_FEATURE_TLS) != MHD_YES)
		return tq_err(err, errlen, "portal.cert is set, but this "
			      "libmicrohttpd has no TLS support; install one "
			      "built with GnuTLS (Debian's is), %s",
			      plain_hint);
	*cert = read_pem("cert", c->portal_cert, err, errlen);
	if (!*cert)
		return -1;
	*key = read_pem("key", c->portal_key, err, errlen);
	if (!*key)
		goto fail;
	if (gnutls_certificate_allocate_credentials(&cr) < 0) {
		tq_err(err, errlen, "GnuTLS: out of memory");
		goto fail;
	}
	dc.data = (unsigned char *)*cert;
	dc.size = (unsigned)strlen(*cert);
	dk.data = (unsigned char *)*key;
	dk.size = (unsigned)strlen(*key);
	rc = gnutls_certificate_set_x509_key_mem(cr, &dc, &dk,
						 GNUTLS_X509_FMT_PEM);
	gnutls_certificate_free_credentials(cr);
	if (rc < 0) {
		tq_err(err, errlen, "portal.cert %s with portal.key %s: %s; "
		       "the key must be that certificate's own, unencrypted, "
		       "both in PEM, %s", c->portal_cert, c->portal_key,
		       gnutls_strerror(rc), plain_hint);
		goto fail;
	}
	validity(c, *cert, warn, wlen);
	return 0;
fail:
	free(*cert);
	tls_free_key(*key);
	*cert = *key = NULL;
	return -1;
}

void tls_free_key(char *key)
{
	if (key)
		explicit_bzero(key, strlen(key));
	free(key);
}
