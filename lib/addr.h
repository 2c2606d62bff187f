/* addr.h - IPv4/IPv6 addresses and CIDR networks, their one canonical
 * text form, and which addresses are hosts of the gateway's LAN. */
#ifndef TQ_ADDR_H
#define TQ_ADDR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

/* An address of either family.  IPv4 uses a[0..3]; the rest is zero, so two
 * addresses compare with memcmp() over the whole struct. */
struct tq_addr {
	uint8_t family;		/* AF_INET or AF_INET6 */
	uint8_t a[16];
};

struct tq_cidr {
	struct tq_addr addr;	/* host bits cleared */
	uint8_t prefix;		/* 0..32 or 0..128 */
};

/* Longest text form including NUL (INET6_ADDRSTRLEN). */
#define TQ_ADDRSTRLEN 46

/**
 * addr_parse() - parse a numeric IPv4 or IPv6 address.
 * Rejects host names, zone suffixes ("fe80::1%eth0"), surrounding spaces and
 * anything longer than TQ_ADDRSTRLEN - 1.  An IPv4-mapped IPv6 address
 * ("::ffff:198.18.0.1") is stored as IPv4.  Returns 0, or -1 if invalid.
 */
int addr_parse(const char *s, struct tq_addr *out);
/* The address of an AF_INET or AF_INET6 socket address (an IPv4-mapped
 * one as IPv4, as addr_parse() stores it).  Returns 0, or -1 for another
 * family or NULL. */
int addr_from_sockaddr(const struct sockaddr *sa, struct tq_addr *out);
/* a and port (host order) as a socket address in ss.  Returns its length. */
socklen_t addr_to_sockaddr(const struct tq_addr *a, uint16_t port,
			   struct sockaddr_storage *ss);
/* Canonical text form into buf (>= TQ_ADDRSTRLEN).  Returns buf. */
const char *addr_format(const struct tq_addr *a, char *buf, size_t len);
/**
 * addr_canon() - the one text form of a host: addr_format() of what
 * addr_parse() reads, so "::ffff:198.18.1.10" is "198.18.1.10" and
 * "2001:DB8:1:0::10" is "2001:db8:1::10".  Every writer of masq rows
 * (openhost, openfw, the portal) stores this form, and the daemon
 * compares rows by it.  buf >= TQ_ADDRSTRLEN.  Returns 0, or -1 (buf
 * untouched) if s is no address.
 */
int addr_canon(const char *s, char *buf, size_t len);
bool addr_equal(const struct tq_addr *x, const struct tq_addr *y);
/* Total order (family, then bytes), for qsort/bsearch. */
int addr_cmp(const void *x, const void *y);
/* False for addresses no LAN host can have as its source: IPv4 0/8,
 * 127/8, 224/4 (multicast), 240/4 (reserved, broadcast); IPv6 ::, ::1,
 * ff00::/8 (multicast), fe80::/10 (link-local: not forwarded). */
bool addr_is_host(const struct tq_addr *a);
/* True for link-local addresses, IPv4 169.254.0.0/16 and IPv6 fe80::/10:
 * every interface may have one of its own (IPv6 adds it as the interface
 * comes up), and none reaches the Internet. */
bool addr_is_linklocal(const struct tq_addr *a);
/* Hash for open-addressing tables. */
uint32_t addr_hash(const struct tq_addr *a);

/**
 * cidr_parse() - "198.18.0.0/15", "2001:db8::/32", or a bare address
 * (meaning /32 or /128).  Host bits set beyond the prefix are an error
 * (they usually mean a typo).  An IPv4-mapped network is stored as IPv4:
 * "::ffff:198.18.0.0/112" is 198.18.0.0/16 (its prefix must be >= 96).
 * Returns 0 or -1.
 */
int cidr_parse(const char *s, struct tq_cidr *out);
const char *cidr_format(const struct tq_cidr *c, char *buf, size_t len);
/* True if a lies in c.  IPv4-mapped IPv6 addresses match IPv4 networks. */
bool cidr_match(const struct tq_cidr *c, const struct tq_addr *a);
/* True if a lies in any of the n networks. */
bool cidr_match_any(const struct tq_cidr *nets, size_t n,
		    const struct tq_addr *a);
/* The network of a with prefix bits (clamped to the family's length),
 * host bits cleared: what "ip addr" shows as 198.18.1.1/24 lies in. */
void cidr_of(const struct tq_addr *a, unsigned prefix, struct tq_cidr *out);

/*
 * The LAN as the gateway sees it: the networks of the addresses on its
 * LAN interfaces (network.lan) and every address of the gateway itself.
 * The daemon fills one from the kernel (nbr_lan) for each snapshot of
 * masq rows; a row whose host is no LAN host is refused.
 */
struct tq_lan {
	struct tq_cidr *nets;	/* sorted, unique; no link-local ones */
	size_t n_nets;
	struct tq_addr *own;	/* sorted, unique */
	size_t n_own;
};

/* Add an address of the gateway itself. */
void addr_lan_own(struct tq_lan *lan, const struct tq_addr *a);
/* Add the network of a/prefix, an address on a LAN interface (none for
 * a link-local one). */
void addr_lan_net(struct tq_lan *lan, const struct tq_addr *a,
		  unsigned prefix);
void addr_lan_free(struct tq_lan *lan);
/**
 * addr_lan_check() - may a be opened as a host of this LAN?  a is a host
 * address (addr_is_host).  Refused, with the reason in why: an address
 * of the gateway itself; one outside every LAN network; the network or
 * broadcast address of an IPv4 LAN network (/30 and wider); the
 * subnet-router anycast address (all host bits zero) of an IPv6 one
 * (/126 and wider).  With no LAN network known (no address on the LAN
 * interfaces) only the gateway's own addresses are refused.  Returns 0,
 * or -1 with why set.
 */
int addr_lan_check(const struct tq_lan *lan, const struct tq_addr *a,
		   char *why, size_t len);

#endif
