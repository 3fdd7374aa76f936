-- wrk: print one machine-readable line at the end of a run, for bench/run.py to parse.
-- Latencies are in microseconds; "non2xx" counts answers other than 2xx/3xx.

function report(summary, latency, extra)
  local errors = summary.errors
  local fields = {
    string.format('"requests": %d', summary.requests),
    string.format('"duration_us": %d', summary.duration),
    string.format('"p50_us": %d', latency:percentile(50)),
    string.format('"p99_us": %d', latency:percentile(99)),
    string.format('"socket_errors": %d',
                  errors.connect + errors.read + errors.write + errors.timeout),
    string.format('"non2xx": %d', errors.status),
  }
  for name, value in pairs(extra or {}) do
    table.insert(fields, string.format('"%s": %d', name, value))
  end
  io.write("BENCH {" .. table.concat(fields, ", ") .. "}\n")
end

function done(summary, latency, requests)
  report(summary, latency)
end
