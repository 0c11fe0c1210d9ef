-- ARGV: prefix, app_id, task_id, request_id, maxlen, task_ttl_s
-- Returns {outcome, hash...}; outcome: stopped | stopping | already_stopping | already_terminal | not_found
local app, tid, rid, maxlen, ttl = ARGV[2], ARGV[3], ARGV[4], ARGV[5], ARGV[6]
local tk = K.task(tid)
local f = redis.call('HMGET', tk, 'app_id', 'state', 'owner')
if not f[1] or f[1] ~= app then return { 'not_found' } end
local state, owner = f[2], f[3]
local ts = now_ms()
local outcome
if TERMINAL[state] then
  outcome = 'already_terminal'
elseif state == 'ENQUEUED' then
  transition(tid, 'STOPPED', 'stopped before start', { stop_request_id = rid }, { request_id = rid }, ts, maxlen,
    ttl)
  outcome = 'stopped'
else
  if state == 'PROCESSING' then
    transition(tid, 'STOPPING', 'stop requested', { stop_request_id = rid }, { request_id = rid }, ts, maxlen, ttl)
    outcome = 'stopping'
  else
    outcome = 'already_stopping'
  end
  -- Tell the owner (again); its control stream keeps the message while it is briefly away.
  local ck = K.control(owner)
  redis.call('XADD', ck, 'MAXLEN', '~', 10000, '*', 'task_id', tid, 'action', 'stop', 'request_id', rid)
  redis.call('EXPIRE', ck, 86400)
end
return tagged_task(tk, outcome)
