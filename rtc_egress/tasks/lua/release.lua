-- The lease holder gives a running task back. ARGV: prefix, task_id, owner, reason, task_timeout_ms, maxlen,
-- task_ttl_s, crashed ('1'|'0'), part.
-- Not crashed (shutdown with requeue): PROCESSING -> ENQUEUED at the front of its queue, attempts unchanged.
-- Crashed (the recorder died without finishing): like an expired lease, attempts+1 or FAILED when used up.
-- A task being stopped ends STOPPED instead. Returns {'ok', hash...} | {'refused', state or '', why}
local tid, owner, reason, timeout_ms, maxlen, ttl = ARGV[2], ARGV[3], ARGV[4], tonumber(ARGV[5]), ARGV[6], ARGV[7]
local crashed, part = ARGV[8] == '1', ARGV[9]
local tk = K.task(tid)
local f = redis.call('HMGET', tk, 'state', 'owner', 'part')
if not f[1] then return { 'refused', '', 'no such task' } end
local why = not_holder(f[2], f[3], owner, part)
if why then return { 'refused', f[1], why } end
local ts = now_ms()
local ok, from = true, f[1]
if f[1] == 'STOPPING' then
  ok, from = transition(tid, 'STOPPED', reason, {}, {}, ts, maxlen, ttl)
elseif f[1] ~= 'PROCESSING' then
  ok = false
elseif crashed then
  requeue_or_fail(tid, reason, ts, maxlen, ttl, timeout_ms)
else
  ok, from = transition(tid, 'ENQUEUED', reason, { owner = false, lease_until = false }, {}, ts, maxlen, ttl)
  if ok then
    redis.call('ZREM', K.leases, tid)
    enqueue(tid, true, ts, timeout_ms)
  end
end
if not ok then return { 'refused', from or '', 'illegal transition' } end
return tagged_task(tk, 'ok')
