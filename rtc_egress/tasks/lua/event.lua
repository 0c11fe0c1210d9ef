-- Records a worker event on a task. ARGV: prefix, task_id, owner, type, data_json, maxlen, file_name,
-- file_json, mark_started ('1'|'0'), task_ttl_s, part, event_key
-- event_key names this call: a retry of the task's latest event (its reply was lost) records nothing twice.
-- A file is attached whatever the task's state or owner (a finished part's file is never dropped);
-- other events need the current lease holder. Returns {'ok'} | {'lost', state or '', why}
local tid, owner, etype, data_json, maxlen = ARGV[2], ARGV[3], ARGV[4], ARGV[5], ARGV[6]
local file_name, file_json, mark_started, ttl, part = ARGV[7], ARGV[8], ARGV[9], ARGV[10], ARGV[11]
local event_key = ARGV[12]
local tk = K.task(tid)
local f = redis.call('HMGET', tk, 'state', 'owner', 'started_at', 'part', 'last_event_key')
if not f[1] then return { 'lost', '', 'no such task' } end
if f[5] == event_key then return { 'ok' } end
local is_file = file_name ~= ''
if not is_file then
  local why = not_holder(f[2], f[4], owner, part) or (TERMINAL[f[1]] and 'the task has ended')
  if why then return { 'lost', f[1], why } end
end
local ts = now_ms()
if is_file then
  redis.call('HSET', K.files(tid), file_name, file_json)
  -- announce it to the uploader (a consumer group on this stream) in the same step
  -- (trimmed like the event stream; an uploader also rescans its spool on start, so nothing depends on the trim)
  redis.call('XADD', K.uploads, 'MAXLEN', '~', maxlen, '*', 'task_id', tid, 'app_id', redis.call('HGET', tk, 'app_id'),
    'name', file_name, 'file', file_json)
  if TERMINAL[f[1]] then redis.call('EXPIRE', K.files(tid), ttl) end
end
if mark_started == '1' then
  if not f[3] then redis.call('HSET', tk, 'started_at', ts) end
  redis.call('HSET', tk, 'part_started_at', ts)
end
redis.call('HSET', tk, 'updated_at', ts, 'last_event_key', event_key)
emit(tid, etype, data_json, ts, maxlen)
return { 'ok' }
