-- Expired leases: PROCESSING -> ENQUEUED (attempts+1) or FAILED when attempts are used up; STOPPING -> STOPPED.
-- Overdue ENQUEUED -> TIMEOUT. ARGV: prefix, maxlen, task_ttl_s, task_timeout_ms, batch
-- Returns {requeued, failed, stopped, timed_out}
local maxlen, ttl, timeout_ms, batch = ARGV[2], ARGV[3], tonumber(ARGV[4]), tonumber(ARGV[5])
local ts = now_ms()
local requeued, failed, stopped, timed_out = 0, 0, 0, 0

for _, tid in ipairs(redis.call('ZRANGEBYSCORE', K.leases, '-inf', ts, 'LIMIT', 0, batch)) do
  redis.call('ZREM', K.leases, tid)
  local tk = K.task(tid)
  local f = redis.call('HMGET', tk, 'state', 'owner')
  local state, owner = f[1], f[2] or ''
  if state == 'PROCESSING' then
    if requeue_or_fail(tid, 'owner ' .. owner .. ' lost', ts, maxlen, ttl, timeout_ms) == 'failed' then
      failed = failed + 1
    else
      requeued = requeued + 1
    end
  elseif state == 'STOPPING' then
    transition(tid, 'STOPPED', 'owner ' .. owner .. ' lost while stopping', {}, { owner = owner }, ts, maxlen, ttl)
    stopped = stopped + 1
  end
end

for _, tid in ipairs(redis.call('ZRANGEBYSCORE', K.enqueued, '-inf', ts, 'LIMIT', 0, batch)) do
  redis.call('ZREM', K.enqueued, tid)
  if redis.call('HGET', K.task(tid), 'state') == 'ENQUEUED' then
    transition(tid, 'TIMEOUT', 'not claimed within the task timeout', {}, {}, ts, maxlen, ttl)
    timed_out = timed_out + 1
  end
end
return { requeued, failed, stopped, timed_out }
