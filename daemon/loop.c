/* loop.c - epoll event loop with timerfd timers and a signalfd. */
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include "loop.h"
#include "util.h"

struct loop_fd {
	int fd;
	loop_fd_cb cb;
	void *arg;
	bool dead;		/* removed while events were pending */
	struct loop_fd *next;
};

struct loop_timer {
	struct loop *loop;
	int fd;
	loop_timer_cb cb;
	void *arg;
	unsigned expiries;	/* read before the current call */
};

struct loop {
	int epfd;
	bool stop;
	struct loop_fd *fds;
	struct loop_fd *graveyard;	/* freed after the current batch */
	int sigfd;
	loop_signal_cb sig_cb;
	void *sig_arg;
};

struct loop *loop_new(void)
{
	struct loop *l;
	int fd;

	fd = epoll_create1(EPOLL_CLOEXEC);
	if (fd < 0)
		return NULL;
	l = xcalloc(1, sizeof(*l));
	l->epfd = fd;
	l->sigfd = -1;
	return l;
}

static void free_list(struct loop_fd *h)
{
	struct loop_fd *n;

	for (; h; h = n) {
		n = h->next;
		free(h);
	}
}

void loop_free(struct loop *l)
{
	if (!l)
		return;
	free_list(l->fds);
	free_list(l->graveyard);
	if (l->sigfd >= 0)
		close(l->sigfd);
	close(l->epfd);
	free(l);
}

int loop_add_fd(struct loop *l, int fd, uint32_t events, loop_fd_cb cb,
		void *arg)
{
	struct epoll_event ev;
	struct loop_fd *h;

	h = xcalloc(1, sizeof(*h));
	h->fd = fd;
	h->cb = cb;
	h->arg = arg;
	memset(&ev, 0, sizeof(ev));
	ev.events = events;
	ev.data.ptr = h;
	if (epoll_ctl(l->epfd, EPOLL_CTL_ADD, fd, &ev) < 0) {
		free(h);
		return -1;
	}
	h->next = l->fds;
	l->fds = h;
	return 0;
}

int loop_del_fd(struct loop *l, int fd)
{
	struct loop_fd **pp, *h;

	for (pp = &l->fds; *pp; pp = &(*pp)->next) {
		h = *pp;
		if (h->fd != fd)
			continue;
		*pp = h->next;
		epoll_ctl(l->epfd, EPOLL_CTL_DEL, fd, NULL);
		/* Events for h may still sit in the current epoll batch. */
		h->dead = true;
		h->next = l->graveyard;
		l->graveyard = h;
		return 0;
	}
	errno = ENOENT;
	return -1;
}

static void timer_ready(int fd, uint32_t events, void *arg)
{
	struct loop_timer *t = arg;
	uint64_t n;

	if (read(fd, &n, sizeof(n)) != sizeof(n))
		return;		/* EAGAIN: re-armed in the meantime */
	t->expiries = n > UINT_MAX ? UINT_MAX : (unsigned)n;
	t->cb(t, t->arg);
}

unsigned loop_timer_expiries(const struct loop_timer *t)
{
	return t->expiries ? t->expiries : 1;
}

static void ms_to_ts(unsigned ms, struct timespec *ts)
{
	ts->tv_sec = ms / 1000;
	ts->tv_nsec = (long)(ms % 1000) * 1000000L;
}

int loop_timer_set(struct loop_timer *t, unsigned first_ms,
		   unsigned period_ms)
{
	struct itimerspec its;

	memset(&its, 0, sizeof(its));
	ms_to_ts(first_ms, &its.it_value);
	/* 0 would disarm the timer: "at once" is one nanosecond. */
	if (first_ms == 0)
		its.it_value.tv_nsec = 1;
	ms_to_ts(period_ms, &its.it_interval);
	return timerfd_settime(t->fd, 0, &its, NULL);
}

struct loop_timer *loop_timer_add(struct loop *l, unsigned first_ms,
				  unsigned period_ms, loop_timer_cb cb,
				  void *arg)
{
	struct loop_timer *t;
	int fd;

	fd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
	if (fd < 0)
		return NULL;
	t = xcalloc(1, sizeof(*t));
	t->loop = l;
	t->fd = fd;
	t->cb = cb;
	t->arg = arg;
	if (loop_timer_set(t, first_ms, period_ms) < 0 ||
	    loop_add_fd(l, fd, EPOLLIN, timer_ready, t) < 0) {
		close(fd);
		free(t);
		return NULL;
	}
	return t;
}

void loop_timer_del(struct loop *l, struct loop_timer *t)
{
	if (!t)
		return;
	loop_del_fd(l, t->fd);
	close(t->fd);
	free(t);
}

static void signal_ready(int fd, uint32_t events, void *arg)
{
	struct loop *l = arg;
	struct signalfd_siginfo si;

	while (read(fd, &si, sizeof(si)) == sizeof(si))
		l->sig_cb((int)si.ssi_signo, l->sig_arg);
}

int loop_signal_fd(const struct loop *l)
{
	return l->sigfd;
}

int loop_signals(struct loop *l, const sigset_t *set, loop_signal_cb cb,
		 void *arg)
{
	int fd;

	if (sigprocmask(SIG_BLOCK, set, NULL) < 0)
		return -1;
	fd = signalfd(l->sigfd, set, SFD_NONBLOCK | SFD_CLOEXEC);
	if (fd < 0)
		return -1;
	l->sig_cb = cb;
	l->sig_arg = arg;
	if (l->sigfd < 0) {
		if (loop_add_fd(l, fd, EPOLLIN, signal_ready, l) < 0) {
			close(fd);
			return -1;
		}
		l->sigfd = fd;
	}
	return 0;
}

int loop_run(struct loop *l)
{
	struct epoll_event evs[16];
	struct loop_fd *h;
	int i, n;

	l->stop = false;
	while (!l->stop) {
		n = epoll_wait(l->epfd, evs, (int)ARRAY_SIZE(evs), -1);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		for (i = 0; i < n; i++) {
			/* Signals first: a handler may block for a while (a
			 * poll waiting for a hung database, up to its
			 * timeouts), and a timer that fired meanwhile must
			 * not run again before a SIGTERM or SIGUSR1 that came
			 * during it. */
			if (l->sigfd >= 0)
				signal_ready(l->sigfd, 0, l);
			if (l->stop)
				break;
			h = evs[i].data.ptr;
			if (!h->dead && h->fd != l->sigfd)
				h->cb(h->fd, evs[i].events, h->arg);
		}
		free_list(l->graveyard);
		l->graveyard = NULL;
	}
	return 0;
}

void loop_stop(struct loop *l)
{
	l->stop = true;
}
