-- wrk: one booking per request (POST /book/<slug>), each on a free slot of its own.
--
--   wrk ... -s book.lua http://127.0.0.1:PORT -- DATA_FILE THREADS [PAUSE_MS]
--
-- DATA_FILE (written by bench/run.py) has tab-separated lines: "P <path>", then sessions
-- "S <Cookie header> <csrf token>" fetched beforehand, then free starts "T <start>", all
-- URL-encoded. Thread k of n takes starts k, k+n, k+2n...: no two requests race for a slot.
-- PAUSE_MS (default 0): each connection waits this long after an answer before its next booking.
-- run.py starts wrk in bench/, so report.lua is found there.
dofile("report.lua")

local threads = {}

function setup(thread)
  thread:set("tid", #threads)
  table.insert(threads, thread)
end

function init(args)
  sessions, starts = {}, {}
  for line in io.lines(args[1]) do
    local kind, first, second = line:match("^(%u)\t([^\t]*)\t?(.*)$")
    if kind == "P" then
      target = first
    elseif kind == "S" then
      table.insert(sessions, {cookie = first, csrf = second})
    elseif kind == "T" then
      table.insert(starts, first)
    end
  end
  step = tonumber(args[2])
  pause = tonumber(args[3] or "0")
  position = tid + 1
  sent, booked, taken, other, other_status = 0, 0, 0, 0, 0
end

function delay()
  return pause
end

function request()
  -- Past the last free start, repeat the first one: it answers 409 and is counted as taken.
  local start = starts[position] or starts[1]
  position = position + step
  sent = sent + 1
  local session = sessions[sent % #sessions + 1]
  local body = "csrf_token=" .. session.csrf .. "&start=" .. start ..
    "&timezone=America%2FNew_York&name=Bench+Guest&notes=" ..
    "&email=guest-" .. tid .. "-" .. sent .. "%40example.com"
  return wrk.format("POST", target, {
    ["Content-Type"] = "application/x-www-form-urlencoded",
    ["Cookie"] = session.cookie,
    ["Connection"] = "close",  -- as run.py's WRK_HEADERS (wrk.format ignores -H)
  }, body)
end

function response(status, headers, body)
  if status == 302 then
    booked = booked + 1
  elseif status == 409 then
    taken = taken + 1
  else
    other, other_status = other + 1, status
  end
end

function done(summary, latency, requests)
  local counts = {booked = 0, taken = 0, other = 0, other_status = 0}
  for _, thread in ipairs(threads) do
    for _, name in ipairs({"booked", "taken", "other"}) do
      counts[name] = counts[name] + thread:get(name)
    end
    counts.other_status = math.max(counts.other_status, thread:get("other_status"))
  end
  report(summary, latency, counts)
end
