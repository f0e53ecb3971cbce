-- Closed-loop load for wrk: each connection keeps one request in flight. Bodies are real review
-- sentences, one JSON body per line of $BENCH_BODIES, sent round robin (the same bodies for every
-- server, in each server's request format). A thread stops after $BENCH_MAX_REQUESTS responses,
-- so a run is bounded in count as well as by wrk's -d duration.
local bodies = {}
for line in io.lines(os.getenv("BENCH_BODIES")) do
  bodies[#bodies + 1] = line
end
local max_requests = tonumber(os.getenv("BENCH_MAX_REQUESTS") or "200000")
local headers = { ["Content-Type"] = "application/json" }
local index = 0
local responses = 0

function init(args)
  index = math.random(#bodies) - 1
end

function request()
  index = index % #bodies + 1
  return wrk.format("POST", nil, headers, bodies[index])
end

function response(status, headers, body)
  responses = responses + 1
  if responses >= max_requests then
    wrk.thread:stop()
  end
end

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'RESULT {"requests": %d, "duration_us": %d, "connect_errors": %d, "read_errors": %d, ' ..
    '"write_errors": %d, "status_errors": %d, "timeouts": %d, "p50_us": %d, "p90_us": %d, ' ..
    '"p99_us": %d, "mean_us": %.1f, "max_us": %d}\n',
    summary.requests, summary.duration, e.connect, e.read, e.write, e.status, e.timeout,
    latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.mean,
    latency.max))
end
