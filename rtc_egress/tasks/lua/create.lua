-- ARGV: prefix, app_id, request_id, task_id, cmd, kind, region, channel, payload_json, max_attempts,
--       task_timeout_ms, maxlen
-- Returns {'created', task_id} | {'exists', hash...} | {'busy', task_id}
local app, rid, tid, cmd, kind, region, channel, payload = ARGV[2], ARGV[3], ARGV[4], ARGV[5], ARGV[6], ARGV[7],
  ARGV[8], ARGV[9]
local max_attempts, timeout_ms, maxlen = ARGV[10], tonumber(ARGV[11]), ARGV[12]

local rk = K.req(app, rid)
local existing = redis.call('GET', rk)
if existing and redis.call('EXISTS', K.task(existing)) == 1 then
  return tagged_task(K.task(existing), 'exists')
end

local ak = nil
if channel ~= '' then
  ak = K.active(app, channel, cmd)
  local holder = redis.call('GET', ak)
  if holder then
    local st = redis.call('HGET', K.task(holder), 'state')
    if st and not TERMINAL[st] then return { 'busy', holder } end
  end
end

local ts = now_ms()
local tk = K.task(tid)
redis.call('HSET', tk, 'task_id', tid, 'app_id', app, 'request_id', rid, 'cmd', cmd, 'kind', kind,
  'region', region, 'channel', channel, 'state', 'ENQUEUED', 'payload', payload, 'created_at', ts,
  'updated_at', ts, 'attempts', 0, 'max_attempts', max_attempts, 'part', 0, 'seq', 0, 'reason', '')
redis.call('SET', rk, tid)
if ak then redis.call('SET', ak, tid) end
redis.call('ZADD', K.app_tasks(app), ts, tid)
enqueue(tid, false, ts, timeout_ms)
emit(tid, 'state_changed', { from = '', to = 'ENQUEUED', reason = 'created' }, ts, maxlen)
return { 'created', tid }
