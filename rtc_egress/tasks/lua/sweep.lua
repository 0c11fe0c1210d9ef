-- Expired leases: PROCESSING -> ENQUEUED (attempts+1) or FAILED when attempts are used up; STOPPING -> STOPPED.
-- Overdue ENQUEUED -> TIMEOUT. ARGV: prefix, maxlen, task_ttl_s, task_timeout_ms, batch
-- Returns {requeued, failed, stopped, timed_out}
local maxlen, ttl, timeout_ms, batch = ARGV[2], ARGV[3], tonumber(ARGV[4]), tonumber(ARGV[5])
local ts = now_ms()
local requeued, failed, stopped, timed_out = 0, 0, 0, 0

for _, tid in ipairs(redis.call('ZRANGEBYSCORE', K.leases, '-inf', ts, 'LIMIT', 0, batch)) do
  redis.call('ZREM', K.leases, tid)
  local tk = K.task(tid)
  local f = redis.call('HMGET', tk, 'state', 'owner', 'attempts', 'max_attempts', 'part')
  local state, owner = f[1], f[2] or ''
  if state == 'PROCESSING' then
    local attempts = tonumber(f[3] or '0') + 1
    redis.call('HSET', tk, 'attempts', attempts)
    if attempts >= tonumber(f[4] or '1') then
      transition(tid, 'FAILED', 'attempts exhausted: ' .. attempts .. ' runs, last owner ' .. owner .. ' lost',
        {}, { owner = owner, attempts = attempts }, ts, maxlen, ttl)
      failed = failed + 1
    else
      transition(tid, 'ENQUEUED', 'owner ' .. owner .. ' lost; resuming as part ' .. (tonumber(f[5] or '0') + 1),
        { owner = false, lease_until = false }, { owner = owner, attempts = attempts }, ts, maxlen, ttl)
      enqueue(tid, true, ts, timeout_ms)
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
