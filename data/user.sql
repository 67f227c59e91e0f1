-- saex per-user database, schema version 1: $XDG_DATA_HOME/saex/user.db.
-- Features are named by their text ids so this file works with any export.
-- Every statement may run again on an existing file (saex adds what an
-- older file lacks when it opens it).
PRAGMA application_id = 1396786581;  -- 'SAEU'
PRAGMA user_version = 1;

CREATE TABLE IF NOT EXISTS meta (
  key   TEXT PRIMARY KEY,
  value TEXT NOT NULL
) WITHOUT ROWID;

CREATE TABLE IF NOT EXISTS star (
  model  TEXT NOT NULL,
  source TEXT NOT NULL,
  idx    INTEGER NOT NULL,
  at     TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now')),
  PRIMARY KEY (model, source, idx)
) WITHOUT ROWID;

CREATE TABLE IF NOT EXISTS list (
  id          INTEGER PRIMARY KEY,
  name        TEXT NOT NULL UNIQUE,
  description TEXT,
  created     TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now'))
);

CREATE TABLE IF NOT EXISTS list_item (
  list_id INTEGER NOT NULL REFERENCES list(id) ON DELETE CASCADE,
  model   TEXT NOT NULL,
  source  TEXT NOT NULL,
  idx     INTEGER NOT NULL,
  note    TEXT,
  added   TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now')),
  PRIMARY KEY (list_id, model, source, idx)
);

-- The steering log: every run of the explorer's steering view, so it can
-- be reopened and rerun. settings and features are JSON:
--   settings {"multiplier","method","temperature","seed","tokens","freq_penalty",
--             "cancelled","prompt_tokens"}
--   features [{"id":"model/source/index","strength":S}]
-- default_ids / steered_ids: JSON arrays of the prompt and new token ids.
CREATE TABLE IF NOT EXISTS steer_run (
  id           INTEGER PRIMARY KEY,
  created      TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now')),
  db           TEXT,
  model        TEXT NOT NULL,
  prompt       TEXT NOT NULL,
  settings     TEXT NOT NULL,
  features     TEXT NOT NULL,
  default_text TEXT,
  steered_text TEXT,
  default_ids  TEXT,
  steered_ids  TEXT
);

-- Live tests (the explorer's t on a dashboard), the last 20 of each
-- feature, so they are there when its dashboard is opened again: the text,
-- whether its first token is BOS, and per token its bytes and the
-- feature's activation (folded with the decoder norm). tokens: each
-- token's length (uint32) then its bytes; vals: float32 per token; both
-- little-endian.
CREATE TABLE IF NOT EXISTS live_test (
  id      INTEGER PRIMARY KEY,
  created TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now')),
  db      TEXT,
  model   TEXT NOT NULL,
  source  TEXT NOT NULL,
  idx     INTEGER NOT NULL,
  text    TEXT NOT NULL,
  bos     INTEGER NOT NULL,
  tokens  BLOB NOT NULL,
  vals    BLOB NOT NULL
);
CREATE INDEX IF NOT EXISTS live_test_feature ON live_test(model, source, idx, id);

INSERT OR IGNORE INTO meta(key, value) VALUES ('application', 'saex-user'), ('schema_version', '1');
