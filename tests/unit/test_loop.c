/* test_loop.c - the event loop: timers, fd handlers, signals. */
#include <signal.h>
#include <stdint.h>
#include <string.h>
#include <sys/epoll.h>
#include <unistd.h>

#include "loop.h"
#include "tq_test.h"
#include "util.h"

struct count {
	struct loop *l;
	int n;
	int stop_at;
	uint64_t first_us, last_us;
};

static void tick(struct loop_timer *t, void *arg)
{
	struct count *c = arg;

	if (c->n++ == 0)
		c->first_us = tq_now_us();
	c->last_us = tq_now_us();
	if (c->n >= c->stop_at)
		loop_stop(c->l);
}

static void test_periodic_timer(void)
{
	struct count c = { 0 };
	struct loop_timer *t;
	uint64_t t0;

	c.l = loop_new();
	CU_ASSERT_PTR_NOT_NULL_FATAL(c.l);
	c.stop_at = 4;
	t0 = tq_now_us();
	t = loop_timer_add(c.l, 0, 20, tick, &c);
	CU_ASSERT_PTR_NOT_NULL_FATAL(t);
	CU_ASSERT_EQUAL(loop_run(c.l), 0);
	CU_ASSERT_EQUAL(c.n, 4);
	/* first at once, then three periods of 20 ms */
	CU_ASSERT(c.first_us - t0 < 15000);
	CU_ASSERT(c.last_us - c.first_us >= 59000);
	CU_ASSERT(c.last_us - c.first_us < 200000);
	loop_timer_del(c.l, t);
	loop_free(c.l);
}

struct late {
	struct loop *l;
	int n;
	unsigned exp[3];
};

/* The second call is held up 75 ms: the third stands for 3 or 4 ticks
 * of 20 ms. */
static void late_tick(struct loop_timer *t, void *arg)
{
	struct late *c = arg;

	c->exp[c->n] = loop_timer_expiries(t);
	if (++c->n == 2)
		usleep(75000);
	if (c->n == 3)
		loop_stop(c->l);
}

static void test_timer_expiries(void)
{
	struct late c = { 0 };
	struct loop_timer *t;

	c.l = loop_new();
	CU_ASSERT_PTR_NOT_NULL_FATAL(c.l);
	t = loop_timer_add(c.l, 0, 20, late_tick, &c);
	CU_ASSERT_PTR_NOT_NULL_FATAL(t);
	CU_ASSERT_EQUAL(loop_run(c.l), 0);
	CU_ASSERT_EQUAL(c.exp[0], 1);
	CU_ASSERT(c.exp[2] >= 3 && c.exp[2] <= 5);
	loop_timer_del(c.l, t);
	loop_free(c.l);
}

static void oneshot(struct loop_timer *t, void *arg)
{
	struct count *c = arg;

	c->n++;
}

static void stopper(struct loop_timer *t, void *arg)
{
	loop_stop(arg);
}

static void test_oneshot_and_rearm(void)
{
	struct count c = { 0 };
	struct loop_timer *t, *s;
	struct loop *l = loop_new();

	c.l = l;
	t = loop_timer_add(l, 10, 0, oneshot, &c);
	s = loop_timer_add(l, 80, 0, stopper, l);
	CU_ASSERT_PTR_NOT_NULL_FATAL(t);
	CU_ASSERT_PTR_NOT_NULL_FATAL(s);
	loop_run(l);
	CU_ASSERT_EQUAL(c.n, 1);	/* one-shot fires once */
	CU_ASSERT_EQUAL(loop_timer_set(t, 5, 0), 0);
	CU_ASSERT_EQUAL(loop_timer_set(s, 50, 0), 0);
	loop_run(l);
	CU_ASSERT_EQUAL(c.n, 2);
	loop_timer_del(l, t);
	loop_timer_del(l, s);
	loop_free(l);
}

struct pipe_ctx {
	struct loop *l;
	char got[16];
	int calls;
};

static void readable(int fd, uint32_t events, void *arg)
{
	struct pipe_ctx *p = arg;
	ssize_t n;

	p->calls++;
	n = read(fd, p->got, sizeof(p->got) - 1);
	if (n > 0)
		p->got[n] = '\0';
	loop_del_fd(p->l, fd);
	loop_stop(p->l);
}

static void test_fd_handler(void)
{
	struct pipe_ctx p;
	int fds[2];

	memset(&p, 0, sizeof(p));
	p.l = loop_new();
	CU_ASSERT_EQUAL_FATAL(pipe(fds), 0);
	CU_ASSERT_EQUAL(loop_add_fd(p.l, fds[0], EPOLLIN, readable, &p), 0);
	CU_ASSERT_EQUAL(write(fds[1], "hello", 5), 5);
	loop_run(p.l);
	CU_ASSERT_EQUAL(p.calls, 1);
	CU_ASSERT_STRING_EQUAL(p.got, "hello");
	/* removed from inside its own handler: gone */
	CU_ASSERT_EQUAL(loop_del_fd(p.l, fds[0]), -1);
	close(fds[0]);
	close(fds[1]);
	loop_free(p.l);
}

struct sig_ctx {
	struct loop *l;
	int got[4];
	int n;
};

static void on_sig(int signo, void *arg)
{
	struct sig_ctx *s = arg;

	if (s->n < 4)
		s->got[s->n++] = signo;
	if (signo == SIGTERM)
		loop_stop(s->l);
}

static void test_signals(void)
{
	struct sig_ctx s;
	sigset_t set, old;

	memset(&s, 0, sizeof(s));
	s.l = loop_new();
	sigemptyset(&set);
	sigaddset(&set, SIGUSR1);
	sigaddset(&set, SIGTERM);
	sigprocmask(SIG_SETMASK, NULL, &old);
	CU_ASSERT_EQUAL_FATAL(loop_signals(s.l, &set, on_sig, &s), 0);
	/* blocked now: raise() queues them for the signalfd */
	raise(SIGUSR1);
	raise(SIGTERM);
	loop_run(s.l);
	CU_ASSERT_EQUAL(s.n, 2);
	CU_ASSERT(s.got[0] == SIGUSR1 || s.got[1] == SIGUSR1);
	CU_ASSERT(s.got[0] == SIGTERM || s.got[1] == SIGTERM);
	loop_free(s.l);
	sigprocmask(SIG_SETMASK, &old, NULL);
}

/* A handler that blocks (a poll waiting for a hung database) while its
 * periodic timer fires again and then a SIGTERM comes: the signal is
 * handled before the timer's next run, which never happens. */
struct slow_ctx {
	struct loop *l;
	int ticks;
	int sigs;
};

static void slow_tick(struct loop_timer *t, void *arg)
{
	struct slow_ctx *c = arg;

	c->ticks++;
	usleep(60000);		/* the 10 ms timer fires meanwhile */
	raise(SIGTERM);		/* after it: later in epoll's ready list */
}

static void slow_sig(int signo, void *arg)
{
	struct slow_ctx *c = arg;

	c->sigs++;
	loop_stop(c->l);
}

static void test_signal_before_timer(void)
{
	struct slow_ctx c;
	struct loop_timer *t;
	sigset_t set, old;

	memset(&c, 0, sizeof(c));
	c.l = loop_new();
	CU_ASSERT_PTR_NOT_NULL_FATAL(c.l);
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigprocmask(SIG_SETMASK, NULL, &old);
	CU_ASSERT_EQUAL_FATAL(loop_signals(c.l, &set, slow_sig, &c), 0);
	t = loop_timer_add(c.l, 0, 10, slow_tick, &c);
	CU_ASSERT_PTR_NOT_NULL_FATAL(t);
	CU_ASSERT_EQUAL(loop_run(c.l), 0);
	CU_ASSERT_EQUAL(c.sigs, 1);
	CU_ASSERT_EQUAL(c.ticks, 1);
	loop_timer_del(c.l, t);
	loop_free(c.l);
	sigprocmask(SIG_SETMASK, &old, NULL);
}

int main(void)
{
	static const struct tq_test tests[] = {
		{ "periodic timer", test_periodic_timer },
		{ "one-shot timer and re-arm", test_oneshot_and_rearm },
		{ "a timer held up: its expiries", test_timer_expiries },
		{ "fd handler removed in its callback", test_fd_handler },
		{ "signals through signalfd", test_signals },
		{ "a signal before a timer that fired during a slow handler",
		  test_signal_before_timer },
		{ NULL, NULL }
	};

	return tq_test_main("loop", tests);
}
