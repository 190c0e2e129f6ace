-- wrk script for bench/serve.sh: POST /generate_music with {"bars": BARS, "seed": N}, a fresh
-- seed per request, counting responses by HTTP status. When the run ends it prints one line
--   SERVE_WRK_JSON {"requests": ..., "duration_s": ..., "p50_ms": ..., "status": {"200": ...}}
-- after wrk's own report (bench/serve_report.py reads it).
--
--   BARS=8 wrk -t2 -c64 -d60s --timeout 120s --latency -s bench/serve_wrk.lua http://127.0.0.1:PORT

local bars = tonumber(os.getenv("BARS") or "8")
local threads = {}
local next_id = 0

function setup(thread)
    next_id = next_id + 1
    thread:set("thread_id", next_id)
    table.insert(threads, thread)
end

function init(args)
    statuses = {}
    counter = 0
    wrk.method = "POST"
    wrk.path = "/generate_music"
    wrk.headers["Content-Type"] = "application/json"
end

function request()
    counter = counter + 1
    local body = string.format('{"bars": %d, "seed": %d}', bars, thread_id * 1000000 + counter)
    return wrk.format(nil, nil, nil, body)
end

function response(status, headers, body)
    local key = tostring(status)
    statuses[key] = (statuses[key] or 0) + 1
end

function done(summary, latency, requests)
    local counts = {}
    for _, thread in ipairs(threads) do
        for status, n in pairs(thread:get("statuses")) do
            counts[status] = (counts[status] or 0) + n
        end
    end
    local parts = {}
    for status, n in pairs(counts) do
        table.insert(parts, string.format('"%s": %d', status, n))
    end
    local e = summary.errors
    io.write(string.format(
        'SERVE_WRK_JSON {"requests": %d, "duration_s": %.3f, "bytes": %d, '
            .. '"p50_ms": %.3f, "p90_ms": %.3f, "p99_ms": %.3f, "max_ms": %.3f, "mean_ms": %.3f, '
            .. '"errors": {"connect": %d, "read": %d, "write": %d, "status": %d, "timeout": %d}, '
            .. '"status": {%s}}\n',
        summary.requests, summary.duration / 1e6, summary.bytes,
        latency:percentile(50) / 1e3, latency:percentile(90) / 1e3, latency:percentile(99) / 1e3,
        latency.max / 1e3, latency.mean / 1e3,
        e.connect, e.read, e.write, e.status, e.timeout, table.concat(parts, ", ")))
end
