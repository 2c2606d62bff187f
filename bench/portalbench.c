/* portalbench.c - tcpquota-portal as a LAN host's browser sees it.
 *
 *   portalbench -U URL -u USER MODE [-n COUNT] [-l LABEL]
 *               [-s SERVER -p PORT]
 *   MODE: open | login | session | hash
 *
 * The password comes from the environment, PORTALBENCH_PW (not the
 * command line, which ps shows).  URL is the portal's plain-HTTP address,
 * http://IPv4[:port]/.  Run in a LAN host's namespace (hash: anywhere
 * the user's shadow entry is readable).  Every request is a fresh
 * connection with "Connection: close", as a browser's first click after
 * a pause may be; the timed spans include that connect.
 *
 *   open     log in (not timed), then COUNT times: a POST /open with the
 *            session cookie and the page's CSRF token, as the status
 *            page's button sends it; while its answer is awaited, a fresh
 *            TCP connect to SERVER:PORT every few milliseconds, as
 *            latbench does (bench_try_connect).  LABEL/open is the time
 *            from the request sent to the first connect that gets
 *            through the gateway; LABEL/open-page to the portal's 303
 *            (which follows the daemon's ack).  The close likewise:
 *            POST /close until connects stop getting through within
 *            5 ms (LABEL/close) and its 303 (LABEL/close-page).  After
 *            each, GET / must show the device open (closed).  30-80 ms
 *            apart, beyond the daemon's 20 ms wake-up rate limit.
 *   login    COUNT times: GET / for the login form's cookie and token
 *            (not timed), then POST /login; LABEL/login is the time to
 *            its 303 with the session cookie (PAM, the password hash
 *            included); then log out (not timed).
 *   session  log in; with -o also open the device; print the session
 *            cookie as "tqp=TOKEN" (for wrk).
 *   hash     the password hash alone: crypt() of the password with the
 *            user's shadow entry as setting, COUNT times, in this
 *            process (LABEL/hash, CPU too); prints the method ($y$ ...).
 *
 * Prints RES lines (bench.h) with p99 in wall_p99; exits 1 if anything
 * the portal answered was not what a browser would have got.
 */
#include <crypt.h>
#include <getopt.h>
#include <shadow.h>
#include <stdbool.h>

#include "bench.h"

#define RESP_MAX (256 * 1024)
#define TOKEN_MAX 80
#define LIMIT_US 15e6

struct resp {
	int status;
	char session[TOKEN_MAX];	/* Set-Cookie tqp= (may be "") */
	char login[TOKEN_MAX];		/* Set-Cookie tqp_login= */
	bool set_session;		/* a Set-Cookie for tqp came */
	char csrf[TOKEN_MAX];		/* the page's first csrf field */
	char *body;
	size_t len;
};

static struct sockaddr_storage portal, srv;
static socklen_t portal_len, srv_len;
static char host_hdr[128];
static const char *prog = "portalbench";

static void die(const char *what)
{
	fprintf(stderr, "%s: %s\n", prog, what);
	exit(1);
}

/* http://a.b.c.d[:port]/ */
static void parse_url(const char *url)
{
	char addr[64];
	const char *p, *e;
	int port = 80;
	size_t n;

	if (strncmp(url, "http://", 7))
		die("the URL must be http://IPv4[:port]/");
	p = url + 7;
	e = p + strcspn(p, ":/");
	n = (size_t)(e - p);
	if (n == 0 || n >= sizeof(addr))
		die("no address in the URL");
	memcpy(addr, p, n);
	addr[n] = '\0';
	if (*e == ':')
		port = atoi(e + 1);
	portal_len = bench_sockaddr(addr, port, &portal);
	if (!portal_len || strchr(addr, ':'))
		die("the URL's host must be an IPv4 address");
	if (port == 80)
		snprintf(host_hdr, sizeof(host_hdr), "%s", addr);
	else
		snprintf(host_hdr, sizeof(host_hdr), "%s:%d", addr, port);
}

/* VALUE of cookie NAME in a Set-Cookie header line's value. */
static bool set_cookie(const char *line, const char *name, char *out)
{
	size_t n = strlen(name), v;

	if (strncmp(line, name, n) || line[n] != '=')
		return false;
	line += n + 1;
	v = strcspn(line, ";\r\n");
	if (v >= TOKEN_MAX)
		v = TOKEN_MAX - 1;
	memcpy(out, line, v);
	out[v] = '\0';
	return true;
}

/* Headers and the first csrf field of a complete response. */
static void parse_resp(struct resp *r)
{
	char *p = r->body, *eoh, *c;

	if (sscanf(p, "HTTP/1.%*d %d", &r->status) != 1)
		die("not an HTTP response");
	eoh = strstr(p, "\r\n\r\n");
	if (!eoh)
		die("a response without the end of its headers");
	for (c = strstr(p, "\r\n"); c && c < eoh; c = strstr(c + 2, "\r\n")) {
		if (strncasecmp(c + 2, "Set-Cookie: ", 12))
			continue;
		if (set_cookie(c + 14, "tqp", r->session))
			r->set_session = true;
		set_cookie(c + 14, "tqp_login", r->login);
	}
	c = strstr(eoh, "name=\"csrf\" value=\"");
	if (c) {
		size_t v;

		c += 19;
		v = strcspn(c, "\"");
		if (v >= TOKEN_MAX)
			die("a CSRF token too long");
		memcpy(r->csrf, c, v);
		r->csrf[v] = '\0';
	}
}

/* Connect and send a request; the socket, not yet answered. */
static int send_req(const char *method, const char *path, const char *cookie,
		    const char *body)
{
	char req[2048];
	size_t off = 0;
	int fd, n;

	fd = socket(AF_INET, SOCK_STREAM, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&portal, portal_len) < 0) {
		perror("portalbench: connect to the portal");
		exit(1);
	}
	n = snprintf(req, sizeof(req), "%s %s HTTP/1.1\r\nHost: %s\r\n"
		     "User-Agent: portalbench\r\nConnection: close\r\n"
		     "%s%s%s", method, path, host_hdr, cookie ? "Cookie: " : "",
		     cookie ? cookie : "", cookie ? "\r\n" : "");
	if (body)
		n += snprintf(req + n, sizeof(req) - (size_t)n,
			      "Content-Type: application/x-www-form-urlencoded"
			      "\r\nContent-Length: %zu\r\n", strlen(body));
	n += snprintf(req + n, sizeof(req) - (size_t)n, "\r\n%s",
		      body ? body : "");
	if (n >= (int)sizeof(req))
		die("a request too long");
	while (off < (size_t)n) {
		ssize_t w = write(fd, req + off, (size_t)n - off);

		if (w <= 0) {
			perror("portalbench: write");
			exit(1);
		}
		off += (size_t)w;
	}
	return fd;
}

/* Read the whole answer (the server closes after it). */
static void read_resp(int fd, struct resp *r)
{
	memset(r, 0, sizeof(*r));
	r->body = malloc(RESP_MAX + 1);
	if (!r->body)
		die("out of memory");
	for (;;) {
		ssize_t n = read(fd, r->body + r->len, RESP_MAX - r->len);

		if (n < 0) {
			perror("portalbench: read");
			exit(1);
		}
		if (n == 0)
			break;
		r->len += (size_t)n;
		if (r->len == RESP_MAX)
			die("a response too large");
	}
	close(fd);
	r->body[r->len] = '\0';
	parse_resp(r);
}

static void free_resp(struct resp *r)
{
	free(r->body);
	r->body = NULL;
}

static void request(const char *method, const char *path, const char *cookie,
		    const char *body, struct resp *r)
{
	read_resp(send_req(method, path, cookie, body), r);
}

static void want(const struct resp *r, int status, const char *what,
		 const char *needle)
{
	if (r->status == status && (!needle || strstr(r->body, needle)))
		return;
	fprintf(stderr, "%s: %s: status %d%s%s; the page:\n%.*s\n", prog,
		what, r->status, needle ? ", or no " : "", needle ? needle : "",
		(int)(r->len < 1500 ? r->len : 1500), r->body);
	exit(1);
}

/* The password form-encoded: letters, digits and -._~ as they are. */
static void form_enc(const char *s, char *out, size_t len)
{
	size_t o = 0;

	for (; *s && o + 4 < len; s++) {
		unsigned char c = (unsigned char)*s;

		if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (c >= '0' && c <= '9') || strchr("-._~", c))
			out[o++] = (char)c;
		else
			o += (size_t)snprintf(out + o, len - o, "%%%02X", c);
	}
	out[o] = '\0';
}

/* Log in; the session cookie "tqp=..." in cookie.  Returns the login
 * POST's wall time (us). */
static double login(const char *user, const char *pw, char *cookie,
		    size_t len)
{
	char c[TOKEN_MAX + 16], body[1024], epw[600];
	struct resp r;
	double t0, t;

	request("GET", "/", NULL, NULL, &r);
	want(&r, 200, "the login page", "id=\"login\"");
	if (!r.login[0] || !r.csrf[0])
		die("the login page set no login cookie or token");
	snprintf(c, sizeof(c), "tqp_login=%s", r.login);
	form_enc(pw, epw, sizeof(epw));
	snprintf(body, sizeof(body), "csrf=%s&user=%s&password=%s", r.csrf,
		 user, epw);
	free_resp(&r);
	t0 = bench_wall_us();
	request("POST", "/login", c, body, &r);
	t = bench_wall_us() - t0;
	explicit_bzero(body, sizeof(body));
	want(&r, 303, "the login", NULL);
	if (!r.session[0])
		die("the login set no session cookie");
	snprintf(cookie, len, "tqp=%s", r.session);
	free_resp(&r);
	return t;
}

/* GET / with the session: its CSRF token; the page must contain needle. */
static void status_page(const char *cookie, const char *needle, char *csrf)
{
	struct resp r;

	request("GET", "/", cookie, NULL, &r);
	want(&r, 200, "the status page", needle);
	if (!strstr(r.body, "id=\"who\"") || !r.csrf[0])
		want(&r, -1, "the status page (not the login page)", NULL);
	if (csrf)
		snprintf(csrf, TOKEN_MAX, "%s", r.csrf);
	free_resp(&r);
}

static void logout(const char *cookie)
{
	char csrf[TOKEN_MAX], body[TOKEN_MAX + 8];
	struct resp r;

	status_page(cookie, NULL, csrf);
	snprintf(body, sizeof(body), "csrf=%s", csrf);
	request("POST", "/logout", cookie, body, &r);
	want(&r, 303, "the log-out", NULL);
	if (!r.set_session || r.session[0])
		die("the log-out did not clear the session cookie");
	free_resp(&r);
}

static void pause_between(void)
{
	usleep((useconds_t)(30000 + random() % 50000));
}

/* POST ACTION (/open or /close) and time, while its answer is awaited,
 * until connects get through (open) or stop getting through (close). */
static void click(const char *action, const char *cookie, const char *csrf,
		  bool opening, struct bench_sample *net,
		  struct bench_sample *page)
{
	char body[TOKEN_MAX + 8];
	bool through = false, answered = false;
	struct pollfd p;
	struct resp r;
	double t0;
	int fd;

	snprintf(body, sizeof(body), "csrf=%s", csrf);
	t0 = bench_wall_us();
	fd = send_req("POST", action, cookie, body);
	p.fd = fd;
	p.events = POLLIN;
	while (!through || !answered) {
		if (bench_wall_us() - t0 > LIMIT_US) {
			fprintf(stderr, "%s: %s: %s after %.0f s\n", prog,
				action, !through ? "the firewall did not "
				"change" : "no answer", LIMIT_US / 1e6);
			exit(1);
		}
		if (!through &&
		    (bench_try_connect(&srv, srv_len, opening ? 3 : 5) == 1) ==
		    opening) {
			through = true;
			bench_add(net, bench_wall_us() - t0, 0);
		}
		/* Once the firewall changed, wait for the answer itself. */
		if (!answered && poll(&p, 1, through ? 1000 : 0) == 1) {
			read_resp(fd, &r);
			answered = true;
			bench_add(page, bench_wall_us() - t0, 0);
			want(&r, 303, action, NULL);
			free_resp(&r);
		}
	}
}

static int run_open(const char *user, const char *pw, int count,
		    const char *label)
{
	static struct bench_sample s_open, s_opage, s_close, s_cpage;
	char cookie[TOKEN_MAX + 8], csrf[TOKEN_MAX], l[96];
	int i;

	if (bench_try_connect(&srv, srv_len, 200))
		die("this host already gets through; close it first");
	login(user, pw, cookie, sizeof(cookie));
	for (i = 0; i < count; i++) {
		pause_between();
		status_page(cookie, "id=\"open\"", csrf);
		click("/open", cookie, csrf, true, &s_open, &s_opage);
		status_page(cookie, "This device is open.", NULL);
		pause_between();
		status_page(cookie, "id=\"close\"", csrf);
		click("/close", cookie, csrf, false, &s_close, &s_cpage);
		status_page(cookie, "This device is closed.", NULL);
	}
	logout(cookie);
	snprintf(l, sizeof(l), "%s/open", label);
	bench_report(l, &s_open, "what=click-to-first-packet");
	snprintf(l, sizeof(l), "%s/open-page", label);
	bench_report(l, &s_opage, "what=click-to-303");
	snprintf(l, sizeof(l), "%s/close", label);
	bench_report(l, &s_close, "what=click-to-closed");
	snprintf(l, sizeof(l), "%s/close-page", label);
	bench_report(l, &s_cpage, "what=click-to-303");
	return 0;
}

static int run_login(const char *user, const char *pw, int count,
		     const char *label)
{
	static struct bench_sample s;
	char cookie[TOKEN_MAX + 8], l[96];
	int i;

	for (i = 0; i < count; i++) {
		bench_add(&s, login(user, pw, cookie, sizeof(cookie)), 0);
		logout(cookie);
	}
	snprintf(l, sizeof(l), "%s/login", label);
	bench_report(l, &s, "what=post-to-303");
	return 0;
}

static int run_session(const char *user, const char *pw, bool do_open)
{
	char cookie[TOKEN_MAX + 8], csrf[TOKEN_MAX];
	struct resp r;
	char body[TOKEN_MAX + 8];

	login(user, pw, cookie, sizeof(cookie));
	if (do_open) {
		status_page(cookie, "id=\"open\"", csrf);
		snprintf(body, sizeof(body), "csrf=%s", csrf);
		request("POST", "/open", cookie, body, &r);
		want(&r, 303, "/open", NULL);
		free_resp(&r);
		status_page(cookie, "This device is open.", NULL);
	}
	printf("%s\n", cookie);
	return 0;
}

static int run_hash(const char *user, const char *pw, int count,
		    const char *label)
{
	static struct bench_sample s;
	struct crypt_data cd;
	struct spwd *sp = getspnam(user);
	char setting[CRYPT_OUTPUT_SIZE], l[96], method[16];
	int i;

	if (!sp || !sp->sp_pwdp || sp->sp_pwdp[0] != '$')
		die("no crypt hash in the shadow entry (run as root)");
	snprintf(setting, sizeof(setting), "%s", sp->sp_pwdp);
	snprintf(method, sizeof(method), "%.*s",
		 (int)strcspn(setting + 1, "$") + 2, setting);
	for (i = 0; i < count; i++) {
		double w0 = bench_wall_us(), c0 = bench_cpu_us(RUSAGE_SELF);
		const char *h;

		memset(&cd, 0, sizeof(cd));
		h = crypt_r(pw, setting, &cd);
		bench_add(&s, bench_wall_us() - w0,
			  bench_cpu_us(RUSAGE_SELF) - c0);
		if (!h || strcmp(h, setting))
			die("the password does not match the shadow entry");
	}
	snprintf(l, sizeof(l), "%s/hash", label);
	snprintf(setting, sizeof(setting), "method=%s", method);
	bench_report(l, &s, setting);
	return 0;
}

int main(int argc, char **argv)
{
	const char *url = NULL, *user = NULL, *server = NULL, *mode;
	const char *label = "portal", *pw = getenv("PORTALBENCH_PW");
	int count = 100, port = 9090, opt;
	bool do_open = false;

	while ((opt = getopt(argc, argv, "U:u:n:l:s:p:o")) != -1) {
		switch (opt) {
		case 'U': url = optarg; break;
		case 'u': user = optarg; break;
		case 'n': count = atoi(optarg); break;
		case 'l': label = optarg; break;
		case 's': server = optarg; break;
		case 'p': port = atoi(optarg); break;
		case 'o': do_open = true; break;
		default: return 2;
		}
	}
	if (optind != argc - 1 || !user || !pw || count < 1 ||
	    count > BENCH_MAX_RUNS) {
		fprintf(stderr, "usage: PORTALBENCH_PW=... portalbench -U URL "
			"-u USER open|login|session|hash [-n COUNT] "
			"[-l LABEL] [-s SERVER -p PORT] [-o]\n");
		return 2;
	}
	mode = argv[optind];
	srandom((unsigned)getpid());
	if (!strcmp(mode, "hash"))
		return run_hash(user, pw, count, label);
	if (!url)
		die("-U URL is needed");
	parse_url(url);
	if (!strcmp(mode, "login"))
		return run_login(user, pw, count, label);
	if (!strcmp(mode, "session"))
		return run_session(user, pw, do_open);
	if (strcmp(mode, "open"))
		die("the mode is open, login, session or hash");
	if (!server)
		die("open needs -s SERVER");
	srv_len = bench_sockaddr(server, port, &srv);
	if (!srv_len)
		die("-s SERVER is not an IP address");
	return run_open(user, pw, count, label);
}
