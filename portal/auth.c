/* auth.c - the PAM helper process (auth.h).
 *
 * Invariants: one request and one reply per SOCK_SEQPACKET message, so a
 * message is never split or merged; the helper reads at most
 * AUTH_MSG_MAX bytes and checks every length before use; the password is
 * wiped from both processes' buffers once used.  The helper exits when
 * the socket closes or its parent dies.
 */
#include <errno.h>
#include <grp.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <security/pam_appl.h>

#include "auth.h"
#include "util.h"

#define AUTH_MSG_MAX 2048

struct auth {
	int fd;
	pid_t pid;
	pthread_mutex_t lock;
};

/* ---- the helper ---- */

struct conv_data {
	const char *user;
	const char *password;
};

static int conv(int n, const struct pam_message **msg,
		struct pam_response **resp, void *arg)
{
	const struct conv_data *d = arg;
	struct pam_response *r;
	int i;

	if (n <= 0 || n > PAM_MAX_NUM_MSG)
		return PAM_CONV_ERR;
	r = calloc((size_t)n, sizeof(*r));
	if (!r)
		return PAM_BUF_ERR;
	for (i = 0; i < n; i++) {
		const char *ans = NULL;

		if (msg[i]->msg_style == PAM_PROMPT_ECHO_OFF)
			ans = d->password;
		else if (msg[i]->msg_style == PAM_PROMPT_ECHO_ON)
			ans = d->user;
		if (ans && !(r[i].resp = strdup(ans))) {
			while (i-- > 0)
				free(r[i].resp);
			free(r);
			return PAM_BUF_ERR;
		}
	}
	*resp = r;
	return PAM_SUCCESS;
}

/* PAM's delay after a failure: none (the portal slows failures). */
static void no_delay(int status, unsigned delay, void *arg)
{
}

/* Check one login; the reply's text is PAM's reason. */
static int check(const char *service, const char *user, const char *pw,
		 const char *rhost, char *why, size_t whylen)
{
	struct conv_data d = { user, pw };
	struct pam_conv c = { conv, &d };
	pam_handle_t *h = NULL;
	int rc;

	rc = pam_start(service, user, &c, &h);
	if (rc != PAM_SUCCESS) {
		snprintf(why, whylen, "pam_start: %s", pam_strerror(h, rc));
		return AUTH_DENIED;
	}
	pam_set_item(h, PAM_RHOST, rhost);
	pam_set_item(h, PAM_FAIL_DELAY, (const void *)no_delay);
	rc = pam_authenticate(h, PAM_SILENT | PAM_DISALLOW_NULL_AUTHTOK);
	if (rc == PAM_SUCCESS)
		rc = pam_acct_mgmt(h, PAM_SILENT | PAM_DISALLOW_NULL_AUTHTOK);
	snprintf(why, whylen, "%s", pam_strerror(h, rc));
	pam_end(h, rc);
	return rc == PAM_SUCCESS ? AUTH_OK : AUTH_DENIED;
}

/* Split a request: three NUL-terminated strings back to back. */
static int split(char *buf, size_t len, char **v)
{
	size_t i, k = 0, start = 0;

	for (i = 0; i < len && k < 3; i++)
		if (buf[i] == '\0') {
			v[k++] = buf + start;
			start = i + 1;
		}
	return k == 3 && start == len ? 0 : -1;
}

static void helper(int fd, const char *service)
{
	char buf[AUTH_MSG_MAX], reply[256];
	char *v[3];
	ssize_t n;

	for (;;) {
		n = recv(fd, buf, sizeof(buf), 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			_exit(0);
		if (split(buf, (size_t)n, v) < 0) {
			reply[0] = AUTH_DENIED;
			snprintf(reply + 1, sizeof(reply) - 1, "bad request");
		} else {
			reply[0] = (char)check(service, v[0], v[1], v[2],
					       reply + 1, sizeof(reply) - 1);
		}
		explicit_bzero(buf, sizeof(buf));
		if (send(fd, reply, 1 + strlen(reply + 1), MSG_NOSIGNAL) < 0)
			_exit(0);
	}
}

static int drop_to(uid_t uid, gid_t gid)
{
	struct group *g = getgrnam("shadow");
	gid_t groups[1];

	groups[0] = g ? g->gr_gid : gid;
	if (setgroups(1, groups) < 0 || setresgid(gid, gid, gid) < 0 ||
	    setresuid(uid, uid, uid) < 0)
		return -1;
	return 0;
}

struct auth *auth_start(const char *service, bool drop, uid_t uid,
			gid_t gid, char *err, size_t errlen)
{
	struct auth *a;
	int sv[2];
	pid_t pid, parent = getpid();

	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0) {
		tq_err(err, errlen, "socketpair: %s", strerror(errno));
		return NULL;
	}
	pid = fork();
	if (pid < 0) {
		tq_err(err, errlen, "fork: %s", strerror(errno));
		close(sv[0]);
		close(sv[1]);
		return NULL;
	}
	if (pid == 0) {
		sigset_t none;

		sigemptyset(&none);
		sigprocmask(SIG_SETMASK, &none, NULL);
		close(sv[0]);
		prctl(PR_SET_PDEATHSIG, SIGTERM);
		if (getppid() != parent)
			_exit(0);
		signal(SIGHUP, SIG_IGN);
		signal(SIGPIPE, SIG_IGN);
		if (drop && drop_to(uid, gid) < 0) {
			fprintf(stderr, "tcpquota-portal: PAM helper: cannot "
				"drop privileges: %s\n", strerror(errno));
			_exit(1);
		}
		prctl(PR_SET_NAME, "tqportal-pam");
		helper(sv[1], service);
		_exit(0);
	}
	close(sv[1]);
	a = xcalloc(1, sizeof(*a));
	a->fd = sv[0];
	a->pid = pid;
	pthread_mutex_init(&a->lock, NULL);
	return a;
}

void auth_stop(struct auth *a)
{
	if (!a)
		return;
	close(a->fd);
	kill(a->pid, SIGTERM);
	while (waitpid(a->pid, NULL, 0) < 0 && errno == EINTR)
		;
	pthread_mutex_destroy(&a->lock);
	free(a);
}

int auth_check(struct auth *a, const char *user, const char *password,
	       const char *rhost, char *why, size_t whylen)
{
	char buf[AUTH_MSG_MAX], reply[256];
	size_t lu = strlen(user), lp = strlen(password), lr = strlen(rhost);
	ssize_t n;
	int rc = -1;

	tq_strlcpy(why, "", whylen);
	if (lu + lp + lr + 3 > sizeof(buf)) {
		tq_strlcpy(why, "user name or password too long", whylen);
		return AUTH_DENIED;
	}
	memcpy(buf, user, lu + 1);
	memcpy(buf + lu + 1, password, lp + 1);
	memcpy(buf + lu + lp + 2, rhost, lr + 1);
	pthread_mutex_lock(&a->lock);
	if (send(a->fd, buf, lu + lp + lr + 3, MSG_NOSIGNAL) >= 0) {
		do
			n = recv(a->fd, reply, sizeof(reply) - 1, 0);
		while (n < 0 && errno == EINTR);
		if (n >= 1) {
			reply[n] = '\0';
			rc = reply[0] == AUTH_OK ? AUTH_OK : AUTH_DENIED;
			tq_strlcpy(why, reply + 1, whylen);
		}
	}
	pthread_mutex_unlock(&a->lock);
	explicit_bzero(buf, sizeof(buf));
	if (rc < 0)
		tq_strlcpy(why, "the PAM helper is gone", whylen);
	return rc;
}
