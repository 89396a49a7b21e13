-- The store's tables as migrate() creates them in the default schema "durable".
-- Kept for review: a schema change shows up here as a diff. A test checks that this file and
-- the migrations (src/migrations/) create the same columns, indexes and constraints.
-- Kysely's bookkeeping tables (durable.store_migration, durable.store_migration_lock) are left out.

CREATE SCHEMA IF NOT EXISTS durable;

-- One row per run. `state` is the small state of core's state machine; step results live in
-- the journal, so saving a run costs the same at step 1 and at step 1,000.
CREATE TABLE durable.runs (
  id text PRIMARY KEY,                   -- a ULID: id order is creation order
  workflow_name text NOT NULL,
  status text NOT NULL,                  -- = state->>'status'
  input jsonb NOT NULL,
  state jsonb NOT NULL,
  error jsonb,                           -- = state->'error'
  parent_run_id text,
  idempotency_key text,
  due_at timestamptz,                    -- when a worker should next look at the run; NULL: not until something happens
  lease_owner text,                      -- the worker holding the run, if any
  lease_expires_at timestamptz,
  next_seq integer NOT NULL DEFAULT 0,   -- seq of the run's last journal entry
  created_at timestamptz NOT NULL,
  updated_at timestamptz NOT NULL,
  cancel_request jsonb,                  -- { reason } once cancel() was called
  workflow_version text,                 -- the definition's version, NULL when it has none
  shape_hash text,                       -- the definition's shape (shapes.hash); only a worker with this shape drives the run
  priority integer NOT NULL DEFAULT 0,   -- among due runs, claims take higher priorities first
  concurrency_key text,                  -- at most concurrency_limit active runs of (workflow_name, concurrency_key) leased at once
  concurrency_limit integer,
  rate_key text,                         -- at most rate_limit runs of (workflow_name, rate_key) begin per rate_period_ms
  rate_limit integer,
  rate_period_ms bigint,
  begun_at timestamptz,                  -- a rate-limited run's first claim (or, while pending, the slot it reserved)
  held_back_at timestamptz,              -- a claim found its concurrency key full; cleared when claimed
  debounce_key text,                     -- start(…, { debounce }) merges into the pending run of this key
  deadline_at timestamptz                -- start({ timeout }): when the run times out; a parked run is due by then
) WITH (fillfactor = 80);                -- room for in-place (HOT) updates at every step

CREATE UNIQUE INDEX runs_idempotency_key_idx ON durable.runs (workflow_name, idempotency_key)
  WHERE idempotency_key IS NOT NULL;
CREATE INDEX runs_due_at_idx ON durable.runs (due_at, id)
  WHERE status NOT IN ('completed', 'failed', 'cancelled') AND due_at IS NOT NULL;
CREATE INDEX runs_workflow_name_id_idx ON durable.runs (workflow_name, id);
CREATE INDEX runs_status_id_idx ON durable.runs (status, id);
-- Ended runs by creation time, for prune: not on updated_at, which every step changes (no HOT).
CREATE INDEX runs_ended_idx ON durable.runs (status, created_at)
  WHERE status IN ('completed', 'failed', 'cancelled');
-- Flow control: the due scan by priority, the runs of one concurrency key, the begins of one
-- rate key, and one not-yet-begun run per debounce key.
CREATE INDEX runs_priority_due_idx ON durable.runs (priority DESC, due_at, id)
  WHERE status NOT IN ('completed', 'failed', 'cancelled') AND due_at IS NOT NULL;
CREATE INDEX runs_concurrency_idx ON durable.runs (workflow_name, concurrency_key)
  WHERE concurrency_key IS NOT NULL AND status NOT IN ('completed', 'failed', 'cancelled');
CREATE INDEX runs_rate_idx ON durable.runs (workflow_name, rate_key, begun_at) WHERE rate_key IS NOT NULL;
CREATE UNIQUE INDEX runs_debounce_idx ON durable.runs (workflow_name, debounce_key)
  WHERE debounce_key IS NOT NULL AND status = 'pending';

-- What happened to each run, in `seq` order (never clock order).
CREATE TABLE durable.journal (
  run_id text NOT NULL REFERENCES durable.runs (id) ON DELETE CASCADE,
  seq integer NOT NULL,
  step_key text NOT NULL,
  step_name text NOT NULL,
  kind text NOT NULL,                    -- step_completed | step_failed | compensated | compensation_failed | …
  attempt integer NOT NULL,
  result jsonb,
  error jsonb,
  created_at timestamptz NOT NULL,
  PRIMARY KEY (run_id, seq),
  CONSTRAINT journal_run_id_step_key_kind_attempt_key UNIQUE (run_id, step_key, kind, attempt)
);

-- A step or a compensation completes exactly once; each failed attempt has its own row.
CREATE UNIQUE INDEX journal_once_idx ON durable.journal (run_id, step_key, kind)
  WHERE kind NOT IN ('step_failed', 'compensation_failed', 'run_retried', 'child_started');

-- Signals sent to runs: kept until the run waits for them, each consumed once.
CREATE TABLE durable.signals (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  run_id text NOT NULL REFERENCES durable.runs (id) ON DELETE CASCADE,
  name text NOT NULL,
  payload jsonb NOT NULL,
  created_at timestamptz NOT NULL,
  consumed_at timestamptz                -- set in the transaction that journals signal_received
);

CREATE INDEX signals_pending_idx ON durable.signals (run_id, name, id) WHERE consumed_at IS NULL;
-- Every signal of a run, consumed or not: deleting a run (prune) deletes them by it.
CREATE INDEX signals_run_id_idx ON durable.signals (run_id);

-- The shapes of the definitions runs started with (the names, kinds and nesting of their
-- steps), each once: the log says what differs when a run waits for its definition.
CREATE TABLE durable.shapes (
  hash text PRIMARY KEY,
  shape text NOT NULL,
  created_at timestamptz NOT NULL
);

-- createDurable's schedules: each one's definition as the last worker to start saw it, the last
-- slot handled and the run it started. Workers move last_slot_at on with a compare-and-set in the
-- transaction that creates the slot's run: one run per slot, however many workers.
CREATE TABLE durable.schedules (
  name text PRIMARY KEY,
  workflow_name text NOT NULL,
  cron text NOT NULL,
  timezone text NOT NULL,
  catch_up text NOT NULL,                -- latest | all | none
  last_slot_at timestamptz NOT NULL,     -- slots after it are still to come
  last_run_id text,                      -- the run of the last slot started
  updated_at timestamptz NOT NULL
);
