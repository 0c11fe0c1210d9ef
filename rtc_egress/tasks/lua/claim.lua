-- ARGV: prefix, owner, lease_ms, maxlen, queue_1, ..., queue_n
-- Takes the first ENQUEUED task from the queues in order and leases it to owner.
-- Returns {'claimed', hash...} | {'empty'}
local owner, lease_ms, maxlen = ARGV[2], tonumber(ARGV[3]), ARGV[4]
local ts = now_ms()
local budget = 200 -- stale entries skipped at most per call, to keep the script short
for i = 5, #ARGV do
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
      local h = hget_all(tk)
      table.insert(h, 1, 'claimed')
      return h
    end
  end
end
return { 'empty' }
