-- practice.get with the owner's key (BENCH_KEY).
local key = os.getenv("BENCH_KEY")
wrk.method = "POST"
wrk.headers["Authorization"] = "Bearer " .. key
wrk.headers["Content-Type"] = "application/json"
wrk.body = '{"jsonrpc":"2.0","id":1,"method":"practice.get"}'

function response(status, headers, body)
  if not string.find(body, '"result"', 1, true) then error("practice.get failed: " .. body) end
end
