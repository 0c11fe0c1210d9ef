-- ARGV: prefix, task_id, owner, lease_ms, part
-- Returns {'ok', state} | {'lost', state or ''}
local tid, owner, lease_ms, part = ARGV[2], ARGV[3], tonumber(ARGV[4]), ARGV[5]
local tk = K.task(tid)
local f = redis.call('HMGET', tk, 'state', 'owner', 'part')
local state = f[1]
if not state then return { 'lost', '' } end
if not_holder(f[2], f[3], owner, part) or (state ~= 'PROCESSING' and state ~= 'STOPPING') then
  return { 'lost', state }
end
local until_ms = now_ms() + lease_ms
redis.call('HSET', tk, 'lease_until', until_ms)
redis.call('ZADD', K.leases, until_ms, tid)
return { 'ok', state }
