/* wake.c - the tools' wake-up socket (wake.h).
 *
 * Invariants: the socket is a non-blocking datagram socket whose queue
 * is drained whole at each wake-up, so a flood costs one pass per
 * WAKE_MIN_US at most: a wake-up closer than that to the previous pass
 * arms one deferred pass instead (a timer re-armed, never a second).
 * With the group daemon.tools_group (the tools run setgid to it) the
 * socket is 0660 root:group; without such a group, 0666.  A stale socket
 * file from an unclean exit is replaced.
 */
#include <errno.h>
#include <grp.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "log.h"
#include "util.h"
#include "wake.h"

/* Wake-ups closer together than this are folded into one request pass. */
#define WAKE_MIN_US 20000

struct wake {
	struct loop *loop;
	char *path;		/* "" = none */
	char *group;
	int fd;
	struct loop_timer *timer;	/* deferred request pass */
	uint64_t last_us;		/* of the last pass */
	wake_cb cb;
	void *arg;
};

static void pass(struct wake *w)
{
	w->last_us = tq_now_us();
	w->cb(w->arg);
}

static void fired(struct loop_timer *lt, void *arg)
{
	pass(arg);
}

static void ready(int fd, uint32_t events, void *arg)
{
	struct wake *w = arg;
	char buf[64];
	uint64_t now, wait_us;

	while (recv(fd, buf, sizeof(buf), MSG_DONTWAIT) >= 0)
		;
	now = tq_now_us();
	if (now - w->last_us >= WAKE_MIN_US) {
		pass(w);
		return;
	}
	/* Too soon after the last pass: one deferred pass covers them. */
	wait_us = WAKE_MIN_US - (now - w->last_us);
	if (!w->timer)
		w->timer = loop_timer_add(w->loop,
					  (unsigned)(wait_us / 1000) + 1, 0,
					  fired, w);
	else
		loop_timer_set(w->timer, (unsigned)(wait_us / 1000) + 1, 0);
}

static void set_mode(const struct wake *w)
{
	struct group gr, *res = NULL;
	char tmp[4096];

	if (getgrnam_r(w->group, &gr, tmp, sizeof(tmp), &res) == 0 && res) {
		if (chown(w->path, 0, res->gr_gid) < 0 ||
		    chmod(w->path, 0660) < 0)
			log_warn("wake-up socket %s: permissions", w->path);
	} else if (chmod(w->path, 0666) < 0) {
		log_warn("wake-up socket %s: permissions", w->path);
	}
}

static int wake_open(struct wake *w)
{
	struct sockaddr_un sun;
	int fd;

	if (!*w->path)
		return 0;
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	if (strlen(w->path) >= sizeof(sun.sun_path)) {
		log_warnx("wake-up socket %s: path too long", w->path);
		return -1;
	}
	strcpy(sun.sun_path, w->path);
	fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		log_warn("wake-up socket");
		return -1;
	}
	if (tq_mkdir_parent(sun.sun_path) < 0)
		log_warn("wake-up socket %s: creating its directory",
			 sun.sun_path);
	unlink(sun.sun_path);	/* stale from an unclean exit */
	if (bind(fd, (struct sockaddr *)&sun, sizeof(sun)) < 0) {
		log_warn("wake-up socket %s", sun.sun_path);
		close(fd);
		return -1;
	}
	set_mode(w);
	if (loop_add_fd(w->loop, fd, EPOLLIN, ready, w) < 0) {
		log_warn("wake-up socket: epoll");
		close(fd);
		unlink(sun.sun_path);
		return -1;
	}
	w->fd = fd;
	return 0;
}

static void wake_close(struct wake *w)
{
	if (w->fd < 0)
		return;
	loop_del_fd(w->loop, w->fd);
	close(w->fd);
	w->fd = -1;
}

static void take_conf(struct wake *w, const struct tq_conf *conf)
{
	free(w->path);
	free(w->group);
	w->path = xstrdup(conf->wakeup ? conf->wakeup : "");
	w->group = xstrdup(conf->tools_group ? conf->tools_group : "");
}

struct wake *wake_new(const struct tq_conf *conf, struct loop *loop,
		      wake_cb cb, void *arg)
{
	struct wake *w = xcalloc(1, sizeof(*w));

	w->loop = loop;
	w->fd = -1;
	w->cb = cb;
	w->arg = arg;
	take_conf(w, conf);
	wake_open(w);
	return w;
}

void wake_free(struct wake *w)
{
	if (!w)
		return;
	loop_timer_del(w->loop, w->timer);
	wake_close(w);
	free(w->path);
	free(w->group);
	free(w);
}

void wake_set_conf(struct wake *w, const struct tq_conf *conf)
{
	const char *path = conf->wakeup ? conf->wakeup : "";
	const char *group = conf->tools_group ? conf->tools_group : "";

	if (strcmp(w->path, path) == 0 && strcmp(w->group, group) == 0)
		return;
	wake_close(w);
	if (*w->path)
		unlink(w->path);
	take_conf(w, conf);
	wake_open(w);
}

void wake_remove(struct wake *w)
{
	if (w->fd < 0 || !*w->path)
		return;
	wake_close(w);
	unlink(w->path);
}
