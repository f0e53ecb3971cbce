-- Paced load for the soak run (wrk): each connection sends a review, waits for the answer,
-- then waits $SOAK_PACE_MS before its next request, so C connections offer about
-- C * 1000 / SOAK_PACE_MS requests/s while answers stay fast (0 ms: closed loop, for the
-- capacity). Counts the answering version of every 200 (from the body's "version") and
-- prints one RESULT line of JSON at the end.
local texts = {
  "What a wonderful film",
  "A dull, lifeless mess",
  "I loved every minute of it",
  "The plot made no sense and the acting was wooden",
}
local pace = tonumber(os.getenv("SOAK_PACE_MS") or "0")
local headers = { ["Content-Type"] = "application/json" }
local threads = {}
local index = 0
versions = {}
statuses = {}

function setup(thread)
  table.insert(threads, thread)
end

function init(args)
  index = math.random(#texts) - 1
end

function request()
  index = index % #texts + 1
  return wrk.format("POST", nil, headers, '{"text": "' .. texts[index] .. '"}')
end

function delay()
  if pace <= 0 then return 0 end
  return pace * (0.5 + math.random())  -- jittered, so connections do not move in lockstep
end

function response(status, headers, body)
  local key = tostring(status)
  statuses[key] = (statuses[key] or 0) + 1
  if status == 200 then
    local v = body:match('"version":%s*(%d+)')
    if v then versions[v] = (versions[v] or 0) + 1 end
  end
end

local function merged(name)
  local out, parts = {}, {}
  for _, thread in ipairs(threads) do
    for k, n in pairs(thread:get(name) or {}) do out[k] = (out[k] or 0) + n end
  end
  for k, n in pairs(out) do table.insert(parts, string.format('"%s": %d', k, n)) end
  return "{" .. table.concat(parts, ", ") .. "}"
end

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'RESULT {"requests": %d, "duration_us": %d, "connect_errors": %d, "read_errors": %d, ' ..
    '"write_errors": %d, "status_errors": %d, "timeouts": %d, "p50_us": %d, "p99_us": %d, ' ..
    '"max_us": %d, "statuses": %s, "versions": %s}\n',
    summary.requests, summary.duration, e.connect, e.read, e.write, e.status, e.timeout,
    latency:percentile(50), latency:percentile(99), latency.max,
    merged("statuses"), merged("versions")))
end
