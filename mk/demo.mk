# make demo      the scenario walk-through (demo/demo.sh), as root
# make lab       the same set-up left running to try the tools by hand
# make lab-down  tear the lab down
.PHONY: demo lab lab-down
demo: deps
	@$(MAKE) --no-print-directory all
	@B=$(B) demo/demo.sh
lab: deps
	@$(MAKE) --no-print-directory all
	@B=$(B) demo/lab.sh up
lab-down:
	@B=$(B) demo/lab.sh down
