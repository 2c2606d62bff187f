# bench.mk - benchmarks (bench/README.md).
#
#   make bench        full run (~10 min): bench/results.md and the table
#                     in bench/README.md
#   make bench-smoke  every benchmark on tiny sizes, in seconds; checks that
#                     the programs and the driver still work, times nothing

BENCH_PROGS := $(patsubst bench/%.c,%,$(wildcard bench/*.c))
BENCH_BIN   := $(addprefix $(B)/bench/,$(BENCH_PROGS))

$(BENCH_BIN): $(B)/bench/%: $(B)/bench/%.o $(ALL_A)
	@mkdir -p $(@D)
	$(CC) $(LDFLAGS) -o $@ $^ $(LIBS)

# The portal's load test (bench/portal.sh) runs wrk from a LAN namespace.
DEB_PKGS += wrk

# portalbench times the password hash alone (crypt_r).
$(B)/bench/portalbench: LIBS += -lcrypt

bench-build: $(PROGS) $(BENCH_BIN)

bench: deps
	@$(MAKE) --no-print-directory all bench-build
	@B=$(B) bench/run.sh full

bench-smoke: deps
	@$(MAKE) --no-print-directory all bench-build
	@B=$(B) bench/run.sh smoke

.PHONY: bench-build bench-smoke
