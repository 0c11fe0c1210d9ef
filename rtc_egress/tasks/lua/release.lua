-- The owner gives a running task back (shutdown with requeue): PROCESSING -> ENQUEUED at the front of its
-- queue, attempts unchanged; a task being stopped ends STOPPED instead.
-- ARGV: prefix, task_id, owner, reason, task_timeout_ms, maxlen, task_ttl_s
-- Returns {'ok', hash...} | {'refused', state or '', why}
local tid, owner, reason, timeout_ms, maxlen, ttl = ARGV[2], ARGV[3], ARGV[4], tonumber(ARGV[5]), ARGV[6], ARGV[7]
local tk = K.task(tid)
local f = redis.call('HMGET', tk, 'state', 'owner')
if not f[1] then return { 'refused', '', 'no such task' } end
if f[2] ~= owner then return { 'refused', f[1], 'not the owner' } end
local ts = now_ms()
local ok, from
if f[1] == 'STOPPING' then
  ok, from = transition(tid, 'STOPPED', reason, {}, {}, ts, maxlen, ttl)
else
  ok, from = transition(tid, 'ENQUEUED', reason, { owner = false, lease_until = false }, {}, ts, maxlen, ttl)
  if ok then
    redis.call('ZREM', K.leases, tid)
    enqueue(tid, true, ts, timeout_ms)
  end
end
if not ok then return { 'refused', from or '', 'illegal transition' } end
local h = hget_all(tk)
table.insert(h, 1, 'ok')
return h
