-- wrk script for scripts/load-serve: each request is a LibreTranslate /translate call (JSON) with
-- one French sentence, taken in turn from scripts/compare-data/sentences.fr.txt (64 distinct
-- sentences; each wrk thread starts at another place), so no two concurrent requests are alike.
-- At the end it prints one RESULT line: requests, errors, requests/s, latency percentiles.

local sentences = {}
for line in io.lines("scripts/compare-data/sentences.fr.txt") do
  if line:match("%S") then
    sentences[#sentences + 1] = line
  end
end

local function json_string(text)
  local escaped = text:gsub('[%c"\\]', function(c)
    if c == '"' then return '\\"' end
    if c == "\\" then return "\\\\" end
    return string.format("\\u%04x", c:byte())
  end)
  return '"' .. escaped .. '"'
end

local counter = 0
local threads = 0

function setup(thread)
  thread:set("offset", threads * 17)
  threads = threads + 1
end

wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"

function request()
  counter = counter + 1
  local sentence = sentences[((counter + (offset or 0)) % #sentences) + 1]
  local body = '{"q":' .. json_string(sentence) .. ',"source":"fr","target":"en"}'
  return wrk.format(nil, nil, nil, body)
end

function done(summary, latency, requests)
  local errors = summary.errors.connect + summary.errors.read + summary.errors.write
    + summary.errors.status + summary.errors.timeout
  io.write(string.format(
    "RESULT requests=%d errors=%d non2xx=%d timeouts=%d rps=%.2f p50_ms=%.0f p90_ms=%.0f p99_ms=%.0f max_ms=%.0f\n",
    summary.requests, errors, summary.errors.status, summary.errors.timeout,
    summary.requests / (summary.duration / 1e6),
    latency:percentile(50) / 1000, latency:percentile(90) / 1000,
    latency:percentile(99) / 1000, latency.max / 1000))
end
