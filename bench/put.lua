-- wrk script: anonymous PUT of a 4 KiB body to a unique key per request (public-read-write bucket).
-- BENCH_PUT_PREFIX (set by load.sh) keeps keys of separate runs apart, e.g. "/bench-put/c16-".
-- BENCH_PUT_SSE, when set, is sent as x-oss-server-side-encryption (encryption at rest).
local prefix = os.getenv("BENCH_PUT_PREFIX") or "/bench-put/k-"
local sse = os.getenv("BENCH_PUT_SSE")
local body = string.rep("x", 4096)
local counter = 0
next_id = 0  -- main state only: numbers the threads

function setup(thread)
  thread:set("thread_id", next_id)
  next_id = next_id + 1
end

function request()
  -- thread_id is a global set in this thread by setup() (1 thread in load.sh, so always 0)
  counter = counter + 1
  local path = prefix .. (thread_id or 0) .. "-" .. counter
  local headers = {
    ["Content-Type"] = "application/octet-stream",
    ["Origin"] = "https://www.bench.example",
  }
  if sse then
    headers["x-oss-server-side-encryption"] = sse
  end
  return wrk.format("PUT", path, headers, body)
end
