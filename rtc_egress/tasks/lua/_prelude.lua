-- Shared by every task script (prepended at load time). Key names mirror rtc_egress/tasks/keys.py.
-- ARGV[1] is always the key prefix ("egress").
local P = ARGV[1]
local K = {
  task = function(id) return P .. ':task:' .. id end,
  events = function(id) return P .. ':task:' .. id .. ':events' end,
  files = function(id) return P .. ':task:' .. id .. ':files' end,
  req = function(app, rid) return P .. ':req:' .. app .. ':' .. rid end,
  active = function(app, ch, cmd) return P .. ':active:' .. app .. ':' .. ch .. ':' .. cmd end,
  app_tasks = function(app) return P .. ':app:' .. app .. ':tasks' end,
  queue = function(region, kind, cmd) return P .. ':queue:' .. region .. ':' .. kind .. ':' .. cmd end,
  control = function(owner) return P .. ':control:' .. owner end,
  claim = function(owner, id) return P .. ':claim:' .. owner .. ':' .. id end,
  stream = P .. ':events',
  leases = P .. ':leases',
  enqueued = P .. ':enqueued',
  queues = P .. ':queues',
  notify = P .. ':notify',
  uploads = P .. ':uploads',
}

-- The state table of DESIGN.md section 2; anything not listed is refused.
local ALLOWED = {
  ENQUEUED = { PROCESSING = true, TIMEOUT = true, STOPPED = true },
  PROCESSING = { STOPPING = true, STOPPED = true, FAILED = true, ENQUEUED = true },
  STOPPING = { STOPPED = true, FAILED = true },
}
local TERMINAL = { STOPPED = true, FAILED = true, TIMEOUT = true }

-- Whether the caller holds the task's current lease: the same owner and the same part. The part is a fencing
-- token: an instance that lost a lease and has since claimed the task again cannot act for the old part.
local function not_holder(cur_owner, cur_part, owner, part)
  if cur_owner ~= owner then return 'not the owner' end
  if cur_part ~= part then return 'part ' .. part .. ' was superseded by part ' .. (cur_part or '?') end
  return nil
end

local function now_ms()
  local t = redis.call('TIME')
  return tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end

-- A script's answer about a task: tag (e.g. 'ok'), then the task hash's field, value pairs.
local function tagged_task(tk, tag)
  local h = redis.call('HGETALL', tk)
  table.insert(h, 1, tag)
  return h
end

local function task_queue(tk)
  local f = redis.call('HMGET', tk, 'region', 'kind', 'cmd')
  return K.queue(f[1], f[2], f[3])
end

-- Appends one event to the global stream and to the task's own history, with the next per-task seq.
-- data: a table, or an already encoded JSON object (kept verbatim: cjson would turn [] into {}).
local function emit(tid, etype, data, ts, maxlen)
  local tk = K.task(tid)
  local seq = redis.call('HINCRBY', tk, 'seq', 1)
  local f = redis.call('HMGET', tk, 'app_id', 'state', 'channel', 'cmd', 'request_id')
  local data_json = type(data) == 'string' and data or cjson.encode(data)
  local event_id = tid .. '-' .. seq
  redis.call('XADD', K.stream, 'MAXLEN', '~', maxlen, '*',
    'event_id', event_id, 'task_id', tid, 'app_id', f[1], 'seq', seq, 'type', etype, 'state', f[2],
    'ts', ts, 'channel', f[3], 'cmd', f[4], 'request_id', f[5], 'data', data_json)
  redis.call('RPUSH', K.events(tid), cjson.encode({
    event_id = event_id, task_id = tid, app_id = f[1], seq = seq, type = etype, state = f[2], ts = ts,
    channel = f[3], cmd = f[4], request_id = f[5], data = data_json,
  }))
end

-- Expire everything of a finished task after ttl seconds, and free its channel lock and queue entries.
local function finalize(tid, ttl)
  local tk = K.task(tid)
  local f = redis.call('HMGET', tk, 'app_id', 'request_id', 'channel', 'cmd')
  if f[3] and f[3] ~= '' then
    local ak = K.active(f[1], f[3], f[4])
    if redis.call('GET', ak) == tid then redis.call('DEL', ak) end
  end
  redis.call('ZREM', K.leases, tid)
  redis.call('ZREM', K.enqueued, tid)
  for _, key in ipairs({ tk, K.events(tid), K.files(tid), K.req(f[1], f[2]) }) do
    redis.call('EXPIRE', key, ttl)
  end
end

-- Applies one transition of the state table: checks, writes, emits; returns (true, from) or (false, from).
-- fields: extra hash fields to write; data: extra event data.
local function transition(tid, to, reason, fields, data, ts, maxlen, ttl)
  local tk = K.task(tid)
  local from = redis.call('HGET', tk, 'state')
  if not from then return false, nil end
  if not (ALLOWED[from] and ALLOWED[from][to]) then return false, from end
  redis.call('HSET', tk, 'state', to, 'updated_at', ts, 'reason', reason or '')
  if fields then
    for k, v in pairs(fields) do
      if v == false then redis.call('HDEL', tk, k) else redis.call('HSET', tk, k, v) end
    end
  end
  if from == 'ENQUEUED' then
    -- a claim has already popped it; any other way out of ENQUEUED leaves a queue entry to remove
    if to ~= 'PROCESSING' then redis.call('LREM', task_queue(tk), 0, tid) end
    redis.call('ZREM', K.enqueued, tid)
  end
  if TERMINAL[to] then
    redis.call('HSET', tk, 'finished_at', ts)
    finalize(tid, ttl)
  end
  local d = data or {}
  d.from = from
  d.to = to
  d.reason = reason or ''
  emit(tid, 'state_changed', d, ts, maxlen)
  return true, from
end

-- Puts a task (already in state ENQUEUED) at the front or back of its queue and wakes idle workers.
local function enqueue(tid, front, ts, timeout_ms)
  local tk = K.task(tid)
  local q = task_queue(tk)
  if front then redis.call('LPUSH', q, tid) else redis.call('RPUSH', q, tid) end
  redis.call('SADD', K.queues, q)
  redis.call('ZADD', K.enqueued, ts + timeout_ms, tid)
  redis.call('HSET', tk, 'enqueued_at', ts)
  redis.call('PUBLISH', K.notify, q)
end

-- A running task lost its recorder (lease expired, or the recorder crashed): back to the front of its queue
-- with attempts+1, or FAILED once attempts reach max_attempts. Returns 'requeued' or 'failed'.
local function requeue_or_fail(tid, why, ts, maxlen, ttl, timeout_ms)
  local tk = K.task(tid)
  local f = redis.call('HMGET', tk, 'owner', 'attempts', 'max_attempts', 'part')
  local owner = f[1] or ''
  local attempts = tonumber(f[2] or '0') + 1
  redis.call('HSET', tk, 'attempts', attempts)
  redis.call('ZREM', K.leases, tid)
  local data = { owner = owner, attempts = attempts, why = why }
  if attempts >= tonumber(f[3] or '1') then
    transition(tid, 'FAILED', 'attempts exhausted after ' .. attempts .. ' runs; last: ' .. why, {}, data, ts,
      maxlen, ttl)
    return 'failed'
  end
  transition(tid, 'ENQUEUED', why .. '; resuming as part ' .. (tonumber(f[4] or '0') + 1),
    { owner = false, lease_until = false }, data, ts, maxlen, ttl)
  enqueue(tid, true, ts, timeout_ms)
  return 'requeued'
end
