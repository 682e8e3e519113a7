-- member.update: each wrk thread (one connection each) owns one member and sends its current version,
-- so every request is a real write and none is refused as stale.
local key = os.getenv("BENCH_KEY")
local members = {}
for line in io.lines(os.getenv("BENCH_MEMBERS")) do members[#members + 1] = line end
local counter = 0

function setup(thread)
  counter = counter + 1
  thread:set("member", members[counter])
end

version = 1
n = 0

function request()
  n = n + 1
  local body = string.format(
    '{"jsonrpc":"2.0","id":1,"method":"member.update","params":{"id":"%s","version":%d,"lastName":"Bench%d"}}',
    member, version, n)
  return wrk.format("POST", nil, {["Authorization"] = "Bearer " .. key, ["Content-Type"] = "application/json"}, body)
end

function response(status, headers, body)
  local v = string.match(body, '"version":(%d+)')
  if v then version = tonumber(v) else error("member.update failed: " .. body) end
end
