/* timeit.c - run a command several times, each as a fresh process, and
 * report the median, min and max of its wall time and CPU time.
 *
 *   timeit [-r RUNS] [-w WARMUP] [-o FILE] [-i FILE] [-u UNDO] -l LABEL
 *          -- CMD ARGS...
 *
 * -u runs the shell command UNDO after every run, untimed (e.g. delete the
 * element the timed command added, so every run does the same work).
 * -o sends the command's stdout (and stderr) to FILE (e.g. /dev/null);
 * -i feeds FILE as its stdin.  A run that exits non-zero aborts with
 * status 1, so a broken baseline never reports a time.
 */
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bench.h"

static struct bench_sample s;

static int undo(const char *cmd)
{
	int st;

	if (!cmd)
		return 0;
	st = system(cmd);
	if (st != 0) {
		fprintf(stderr, "timeit: undo failed: %s\n", cmd);
		return -1;
	}
	return 0;
}

static int run(char **argv, const char *out, const char *in, double *wall,
	       double *cpu)
{
	double w0 = bench_wall_us(), c0 = bench_cpu_us(RUSAGE_CHILDREN);
	pid_t pid;
	int st;

	pid = fork();
	if (pid < 0)
		return -1;
	if (pid == 0) {
		if (out) {
			int fd = open(out, O_WRONLY | O_CREAT | O_TRUNC, 0644);

			if (fd < 0 || dup2(fd, 1) < 0 || dup2(fd, 2) < 0)
				_exit(126);
			close(fd);
		}
		if (in) {
			int fd = open(in, O_RDONLY);

			if (fd < 0 || dup2(fd, 0) < 0)
				_exit(126);
			close(fd);
		}
		execvp(argv[0], argv);
		_exit(127);
	}
	if (waitpid(pid, &st, 0) < 0)
		return -1;
	*wall = bench_wall_us() - w0;
	*cpu = bench_cpu_us(RUSAGE_CHILDREN) - c0;
	if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) {
		fprintf(stderr, "timeit: %s: exit status %d\n", argv[0],
			WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st));
		return -1;
	}
	return 0;
}

int main(int argc, char **argv)
{
	const char *out = NULL, *in = NULL, *label = "cmd", *un = NULL;
	int runs = 5, warm = 1, opt, i;
	double w, c;

	while ((opt = getopt(argc, argv, "+r:w:o:i:l:u:")) != -1) {
		switch (opt) {
		case 'r': runs = atoi(optarg); break;
		case 'w': warm = atoi(optarg); break;
		case 'o': out = optarg; break;
		case 'i': in = optarg; break;
		case 'l': label = optarg; break;
		case 'u': un = optarg; break;
		default:
			fprintf(stderr, "usage: timeit [-r RUNS] [-w WARMUP] "
				"[-o FILE] [-i FILE] [-u UNDO] -l LABEL "
				"-- CMD...\n");
			return 2;
		}
	}
	if (optind >= argc || runs < 1 || runs > BENCH_MAX_RUNS) {
		fprintf(stderr, "timeit: no command\n");
		return 2;
	}
	for (i = 0; i < warm; i++)
		if (run(argv + optind, out, in, &w, &c) < 0 || undo(un) < 0)
			return 1;
	for (i = 0; i < runs; i++) {
		if (run(argv + optind, out, in, &w, &c) < 0 || undo(un) < 0)
			return 1;
		bench_add(&s, w, c);
	}
	bench_report(label, &s, NULL);
	return 0;
}
