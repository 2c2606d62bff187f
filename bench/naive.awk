# naive.awk - the same naive per-line parse as naive.pl, in awk: split
# every line into fields, take the first src= and dst= and the packet
# counters, add up connections and packets per source host for
# destinations outside ctfill's LAN.  A baseline, not a tool.
{
	src = ""; dst = ""; pk = 0
	for (i = 1; i <= NF; i++) {
		if (substr($i, 1, 4) == "src=") {
			if (src == "") src = substr($i, 5)
		} else if (substr($i, 1, 4) == "dst=") {
			if (dst == "") dst = substr($i, 5)
		} else if (substr($i, 1, 8) == "packets=") {
			pk += substr($i, 9)
		}
	}
	if (src == "" || dst == "") next
	if (dst ~ /^198\.18\./ || dst ~ /^2001:0db8:0001:/) next
	conns[src]++
	pkts[src] += pk
}
END {
	n = 0
	for (h in conns) n++
	printf "%d hosts\n", n
}
