-- wrk.lua - wrk's summary as one line for bench/portal.sh:
--   WRK requests=N duration_us=N p50_us=N p99_us=N max_us=N
--       connect=N read=N write=N status=N timeout=N
-- (status: answers other than 2xx/3xx).  Requests as wrk sends them
-- (GET, the -H headers given on its command line).
done = function(summary, latency, requests)
	local e = summary.errors
	io.write(string.format("WRK requests=%d duration_us=%d p50_us=%d " ..
		"p99_us=%d max_us=%d connect=%d read=%d write=%d status=%d " ..
		"timeout=%d\n", summary.requests, summary.duration,
		latency:percentile(50), latency:percentile(99), latency.max,
		e.connect, e.read, e.write, e.status, e.timeout))
end
