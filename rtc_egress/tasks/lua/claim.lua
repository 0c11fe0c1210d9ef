-- ARGV: prefix, owner, lease_ms, maxlen, claim_id, queue_1, ..., queue_n
-- Takes the first ENQUEUED task from the queues in order and leases it to owner.
-- claim_id names this call: a retry of it (the reply was lost) returns what the first run leased, if the
-- owner still holds it, and never leases a second task.
-- Returns {'claimed', hash...} | {'empty'}
local owner, lease_ms, maxlen, claim_id = ARGV[2], tonumber(ARGV[3]), ARGV[4], ARGV[5]
local ck = K.claim(owner, claim_id)
local prior = redis.call('GET', ck)
if prior then
  local tid, part = string.match(prior, '^(.*):(%d+)$')
  local tk = K.task(tid)
  local f = redis.call('HMGET', tk, 'owner', 'part', 'state')
  if f[1] == owner and f[2] == part and (f[3] == 'PROCESSING' or f[3] == 'STOPPING') then
    return tagged_task(tk, 'claimed')
  end
  return { 'empty' }
end
local ts = now_ms()
local budget = 200 -- stale entries skipped at most per call, to keep the script short
for i = 6, #ARGV do
  local q = ARGV[i]
  while budget > 0 do
    local tid = redis.call('LPOP', q)
    if not tid then break end
    budget = budget - 1
    local tk = K.task(tid)
    if redis.call('HGET', tk, 'state') == 'ENQUEUED' then
      local part = redis.call('HINCRBY', tk, 'part', 1)
      transition(tid, 'PROCESSING', '', {
        owner = owner, claimed_at = ts, lease_until = ts + lease_ms,
      }, { owner = owner, part = part }, ts, maxlen, 0)
      redis.call('ZADD', K.leases, ts + lease_ms, tid)
      redis.call('SET', ck, tid .. ':' .. part, 'PX', lease_ms)
      return tagged_task(tk, 'claimed')
    end
  end
end
return { 'empty' }
