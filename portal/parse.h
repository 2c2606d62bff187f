/* parse.h - what the portal reads from a request: form bodies, cookies,
 * the Host header, tokens.  Pure (no I/O, no allocation), so unit tests
 * and the libFuzzer target (tests/fuzz/fuzz_http.c) drive them directly.
 *
 * Every parser takes a buffer and its length (a body need not be
 * NUL-terminated), writes at most outlen bytes including the NUL, and
 * refuses rather than guesses: a malformed escape, a value too long, a
 * name given twice.  Returns 1 found, 0 absent, -1 refused.
 */
#ifndef TQ_PARSE_H
#define TQ_PARSE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Tokens are this many random bytes, written as twice as many hex
 * digits. */
#define PARSE_TOKEN_BYTES 32
#define PARSE_TOKEN_HEX (PARSE_TOKEN_BYTES * 2 + 1)

/**
 * parse_urldecode() - application/x-www-form-urlencoded decoding of
 * in[0..len): '+' is a blank, %XX a byte.  NUL bytes (raw or %00) are
 * refused, so the result is a C string.  Returns its length or -1.
 */
long parse_urldecode(const char *in, size_t len, char *out, size_t outlen);

/**
 * parse_form_get() - the value of field name in a form body "a=1&b=2".
 * A field given twice is refused (-1): which one a check saw and which
 * one was used must never differ.
 */
int parse_form_get(const char *body, size_t len, const char *name,
		   char *out, size_t outlen);

/**
 * parse_cookie_get() - the value of cookie name in a Cookie header
 * ("a=1; b=2").  Values are taken as they are (no decoding); a name
 * given twice is refused.
 */
int parse_cookie_get(const char *hdr, size_t len, const char *name,
		     char *out, size_t outlen);

/* True if s is exactly PARSE_TOKEN_HEX - 1 lower-case hex digits. */
bool parse_token_ok(const char *s);
/* Compare two tokens in time independent of where they differ. */
bool parse_token_equal(const char *a, const char *b);
/* Hex of n bytes into out (2n + 1 bytes). */
void parse_hex(const uint8_t *raw, size_t n, char *out);

/**
 * parse_host_matches() - a Host header names our address or name:
 * "198.18.1.1", "198.18.1.1:8080", "[2001:db8::1]:80", "portal.lan".
 * want is a bare address (IPv6 without brackets) or name; port, if not
 * 0, must match when the header gives one.  Names compare without case.
 */
bool parse_host_matches(const char *hdr, const char *want, unsigned port);

/**
 * parse_url_host() - the host of an http(s) URL into out (IPv6 without
 * its brackets) and its port (0 if none).  0 / -1.
 */
int parse_url_host(const char *url, char *out, size_t outlen,
		   unsigned *port);

#endif
