-- ARGV: prefix, task_id, owner, lease_ms
-- Returns {'ok', state} | {'lost', state or ''}
local tid, owner, lease_ms = ARGV[2], ARGV[3], tonumber(ARGV[4])
local tk = K.task(tid)
local f = redis.call('HMGET', tk, 'state', 'owner')
local state, cur = f[1], f[2]
if not state then return { 'lost', '' } end
if cur ~= owner or (state ~= 'PROCESSING' and state ~= 'STOPPING') then return { 'lost', state } end
local until_ms = now_ms() + lease_ms
redis.call('HSET', tk, 'lease_until', until_ms)
redis.call('ZADD', K.leases, until_ms, tid)
return { 'ok', state }
