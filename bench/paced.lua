-- A fixed request rate for wrk (bench/http-load.sh's RATE): each wrk thread sends RATE requests per second in all,
-- spread evenly over its connections, instead of the next request as soon as a response arrives. At a rate well
-- below saturation every request finds the server idle, as in production, so the CPU per request of two servers is
-- compared in the same I/O regime (one wake-up, read and write per request), not in whatever batching each one's
-- speed happens to produce when the load generator and the server fight for the same two cores.
local ffi = require("ffi")
ffi.cdef [[
typedef struct { long tv_sec; long tv_nsec; } vigil_timespec;
int clock_gettime(int clk_id, vigil_timespec *tp);
]]
local ts = ffi.new("vigil_timespec")
local CLOCK_MONOTONIC = 1

local function now_ms()
  ffi.C.clock_gettime(CLOCK_MONOTONIC, ts)
  return tonumber(ts.tv_sec) * 1000 + tonumber(ts.tv_nsec) / 1e6
end

local interval_ms = 1000 / tonumber(os.getenv("RATE") or error("RATE (requests per second per wrk thread) is needed"))
local next_at = nil

-- Called by wrk after each response, before the connection sends its next request: the delay until the thread's
-- next slot. wrk truncates it to whole milliseconds; the slots still advance by the interval, so the rate holds.
function delay()
  local now = now_ms()
  -- After a stall (server slower than the rate), resume from now instead of bursting to catch up.
  if next_at == nil or next_at < now - 100 then
    next_at = now
  end
  next_at = next_at + interval_ms
  local d = next_at - now
  if d < 0 then
    return 0
  end
  return d
end
