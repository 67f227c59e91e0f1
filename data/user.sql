-- saex per-user database, schema version 1: $XDG_DATA_HOME/saex/user.db.
-- Features are named by their text ids so this file works with any export.
PRAGMA application_id = 1396786581;  -- 'SAEU'
PRAGMA user_version = 1;

CREATE TABLE meta (
  key   TEXT PRIMARY KEY,
  value TEXT NOT NULL
) WITHOUT ROWID;

CREATE TABLE star (
  model  TEXT NOT NULL,
  source TEXT NOT NULL,
  idx    INTEGER NOT NULL,
  at     TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now')),
  PRIMARY KEY (model, source, idx)
) WITHOUT ROWID;

CREATE TABLE list (
  id          INTEGER PRIMARY KEY,
  name        TEXT NOT NULL UNIQUE,
  description TEXT,
  created     TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now'))
);

CREATE TABLE list_item (
  list_id INTEGER NOT NULL REFERENCES list(id) ON DELETE CASCADE,
  model   TEXT NOT NULL,
  source  TEXT NOT NULL,
  idx     INTEGER NOT NULL,
  note    TEXT,
  added   TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now')),
  PRIMARY KEY (list_id, model, source, idx)
);

INSERT INTO meta(key, value) VALUES ('application', 'saex-user'), ('schema_version', '1');
