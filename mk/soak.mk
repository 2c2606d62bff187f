# soak.mk - long checks that do not belong in make check (tests/soak/).
#
#   make soak     every tests/soak/*.sh in turn (minutes; as root); each
#                 ends with a "SOAK ..." summary line for
#                 tests/RELIABILITY.md and a RESULT line
#
# SOAK_POLLS, SOAK_ENTRIES, SOAK_HWM_KIB tune conntrack-500k.sh.

SOAK_SCRIPTS := $(sort $(wildcard tests/soak/*.sh))

soak: deps
	@$(MAKE) --no-print-directory all $(B)/bench/ctfill
	@rc=0; for s in $(SOAK_SCRIPTS); do \
		echo "=== $$s"; B=$(B) $$s || rc=1; \
	done; exit $$rc

.PHONY: soak
