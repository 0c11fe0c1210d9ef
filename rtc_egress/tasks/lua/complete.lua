-- The lease holder ends its task. ARGV: prefix, task_id, owner, to_state (STOPPED|FAILED), reason, message, maxlen,
-- task_ttl_s, part. Returns {'ok', hash...} | {'refused', state or '', why}
local tid, owner, to, reason, message, maxlen, ttl = ARGV[2], ARGV[3], ARGV[4], ARGV[5], ARGV[6], ARGV[7], ARGV[8]
local part = ARGV[9]
local tk = K.task(tid)
local f = redis.call('HMGET', tk, 'state', 'owner', 'part')
if not f[1] then return { 'refused', '', 'no such task' } end
local why = not_holder(f[2], f[3], owner, part)
if why then return { 'refused', f[1], why } end
-- A retry of this very ending (the first reply was lost) finds it done and answers the same.
if not (f[1] == to and redis.call('HGET', tk, 'reason') == reason) then
  local ok, from = transition(tid, to, reason, { message = message }, {}, now_ms(), maxlen, ttl)
  if not ok then return { 'refused', from or '', 'illegal transition' } end
end
return tagged_task(tk, 'ok')
