-- wrk script for bench/ingest.py: POST /api/conversations/{id}/votes, cycling through participant
-- tokens (one per line in the tokens file) and statements, each request a (participant, statement)
-- pair of its own (re-votes once every pair has been used).
--
--   wrk -t1 -c32 -d20s -s bench/ingest.lua http://127.0.0.1:PORT -- CONVERSATION TOKENS_FILE STATEMENTS START FIRST
--
-- Pair k (k = START + thread + j * threads) is participant k mod P on statement FIRST + (k div P) mod S, so
-- consecutive requests go to different participants: each participant sees total/P votes per second,
-- far below its rate limit (2/s) as long as the total stays below 2·P votes/s.
-- done() prints one line "INGEST {json}" with status counts and latency percentiles (microseconds).

local threads = {}

function setup(thread)
   thread:set("tid", #threads)
   table.insert(threads, thread)
end

function init(args)
   conversation = args[1]
   statements = tonumber(args[3])
   local start = tonumber(args[4] or "0")
   first_statement = tonumber(args[5] or "0") -- the statements' numbers start here (0 or 1)
   tokens = {}
   for line in io.lines(args[2]) do
      if #line > 0 then tokens[#tokens + 1] = line end
   end
   participants = #tokens
   nthreads = #threads
   if nthreads == 0 then nthreads = 1 end
   counter = start + tid
   path = "/api/conversations/" .. conversation .. "/votes"
   votes = { "agree", "disagree", "pass" }
   ok, limited, other, sent = 0, 0, 0, 0
end

function request()
   local k = counter
   counter = counter + nthreads
   sent = sent + 1
   local p = k % participants
   local s = math.floor(k / participants) % statements
   -- three planted opinion groups (participant mod 3), so the live analysis has structure to find
   local v = votes[((s + p % 3) % 3) + 1]
   local body = '{"statement":' .. (first_statement + s) .. ',"vote":"' .. v .. '"}'
   return wrk.format("POST", path, {
      ["Content-Type"] = "application/json",
      ["X-Participant-Token"] = tokens[p + 1],
   }, body)
end

function response(status, headers, body)
   if status == 201 then
      ok = ok + 1
   elseif status == 429 then
      limited = limited + 1
   else
      other = other + 1
      if other <= 3 then io.stderr:write("unexpected status " .. status .. ": " .. body .. "\n") end
   end
end

function done(summary, latency, requests)
   local ok_all, limited_all, other_all, sent_all = 0, 0, 0, 0
   for _, thread in ipairs(threads) do
      ok_all = ok_all + thread:get("ok")
      limited_all = limited_all + thread:get("limited")
      other_all = other_all + thread:get("other")
      sent_all = sent_all + thread:get("sent")
   end
   local e = summary.errors
   io.write(string.format(
      'INGEST {"duration_us":%d,"requests":%d,"sent":%d,"ok":%d,"limited":%d,"other":%d,' ..
      '"connect_errors":%d,"read_errors":%d,"write_errors":%d,"timeouts":%d,' ..
      '"p50_us":%d,"p90_us":%d,"p99_us":%d,"max_us":%d,"mean_us":%.1f}\n',
      summary.duration, summary.requests, sent_all, ok_all, limited_all, other_all,
      e.connect, e.read, e.write, e.timeout,
      latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.max, latency.mean))
end
