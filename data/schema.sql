-- saex export database, schema version 1.
-- One file holds one or more Neuronpedia exports. Browsing opens it read-only;
-- per-user state (stars, lists, steering log) lives in user.sql's database.
-- Values are packed (see src/pack.h, src/actpack.h): token strings are
-- interned per model and referenced by id; a feature's examples share one
-- compressed row, their values stored sparse and as exact thousandths where
-- that is lossless.
PRAGMA application_id = 1396786520;  -- 'SAEX'
PRAGMA user_version = 1;

CREATE TABLE meta (
  key   TEXT PRIMARY KEY,
  value TEXT NOT NULL
) WITHOUT ROWID;

CREATE TABLE model (
  id           INTEGER PRIMARY KEY,
  name         TEXT NOT NULL UNIQUE,      -- Neuronpedia model id, e.g. gpt2-small
  display_name TEXT,
  layers       INTEGER,
  dimension    INTEGER,                   -- d_model
  tlens_id     TEXT,
  owner        TEXT
);

CREATE TABLE release (
  id                INTEGER PRIMARY KEY,
  name              TEXT NOT NULL UNIQUE,
  description       TEXT,
  description_short TEXT,
  creator_name      TEXT,
  urls              TEXT                  -- JSON array
);

CREATE TABLE source_set (
  id           INTEGER PRIMARY KEY,
  model_id     INTEGER NOT NULL REFERENCES model(id),
  name         TEXT NOT NULL,              -- e.g. res-jb
  release_id   INTEGER REFERENCES release(id),
  description  TEXT,
  type         TEXT,
  creator_name TEXT,
  urls         TEXT,
  UNIQUE (model_id, name)
);

CREATE TABLE source (                     -- one SAE
  id                   INTEGER PRIMARY KEY,
  model_id             INTEGER NOT NULL REFERENCES model(id),
  name                 TEXT NOT NULL,      -- Neuronpedia source id, e.g. 9-res-jb
  set_id               INTEGER REFERENCES source_set(id),
  hook_name            TEXT,
  d_sae                INTEGER,
  hf_repo_id           TEXT,
  hf_folder_id         TEXT,
  saelens_config       TEXT,               -- JSON as exported
  num_prompts          INTEGER,
  num_tokens_in_prompt INTEGER,
  dataset              TEXT,
  n_features           INTEGER NOT NULL DEFAULT 0,
  n_activations        INTEGER NOT NULL DEFAULT 0,
  n_explanations       INTEGER NOT NULL DEFAULT 0,
  UNIQUE (model_id, name)
);

-- Token strings, interned per model; ids are dense from 0.
CREATE TABLE token (
  model_id INTEGER NOT NULL,
  id       INTEGER NOT NULL,
  str      BLOB NOT NULL,
  PRIMARY KEY (model_id, id)
) WITHOUT ROWID;

CREATE TABLE feature (
  source_id    INTEGER NOT NULL,
  idx          INTEGER NOT NULL,
  max_act      REAL NOT NULL DEFAULT 0,    -- maxActApprox
  frac_nonzero REAL NOT NULL DEFAULT -1,   -- density; -1 = unknown
  data         BLOB NOT NULL,              -- histograms, logits, similar
                                           -- features, extra JSON (store_read.c)
  PRIMARY KEY (source_id, idx)
) WITHOUT ROWID;

-- The feature list (index, density, max) without reading the records.
CREATE INDEX feature_list ON feature(source_id, idx, frac_nonzero, max_act);

-- All examples of one feature in one compressed row (src/actpack.h). A
-- rowid table: its rows of several KiB fill whole overflow pages, where a
-- WITHOUT ROWID table would leave most of the last one empty.
CREATE TABLE activation (
  id         INTEGER PRIMARY KEY,
  source_id  INTEGER NOT NULL,
  idx        INTEGER NOT NULL,
  n_examples INTEGER NOT NULL,
  data       BLOB NOT NULL,
  UNIQUE (source_id, idx)
);

CREATE TABLE explanation (
  id          INTEGER PRIMARY KEY,
  source_id   INTEGER NOT NULL,
  idx         INTEGER NOT NULL,
  hash        INTEGER NOT NULL,            -- of description, type and explainer
  description TEXT NOT NULL,
  type_name   TEXT,
  explainer   TEXT,                        -- explanationModelName
  embedding   BLOB,                        -- f32 array, when exported
  UNIQUE (source_id, idx, hash)
);

CREATE VIRTUAL TABLE explanation_fts USING fts5(
  description, content='explanation', content_rowid='id',
  tokenize='unicode61 remove_diacritics 2'
);

-- Batch files already imported (content key), so a rerun skips them.
CREATE TABLE import_batch (
  key   TEXT PRIMARY KEY,
  kind  TEXT NOT NULL,
  path  TEXT NOT NULL,
  lines INTEGER NOT NULL,
  at    TEXT NOT NULL
) WITHOUT ROWID;

-- Where a source's weights live (saex build / saex attach): absolute paths of
-- the model folder and the SAELens folder. Added within schema version 1:
-- store_weights_put creates it in older files (CREATE TABLE IF NOT EXISTS).
CREATE TABLE IF NOT EXISTS weights (
  source_id INTEGER PRIMARY KEY,
  model_dir TEXT NOT NULL,
  sae_dir   TEXT NOT NULL
);

-- Evaluations of a source (saex eval, saex build --eval, and Neuronpedia's
-- "core" evaluations read by saex import): SAELens's metrics over a corpus
-- (src/include/saex_eval.h defines them), with the per-feature density and
-- mean activation as little-endian f32 blobs. A rerun of the same
-- evaluation (origin, corpus, prompts, ctx) replaces it. Added within
-- schema version 1: store_eval_put creates it in older files, and a file
-- without it has no evaluations. Its columns follow SAEX_EVAL_METRICS;
-- check_store tests that this table and store_eval.c's agree.
CREATE TABLE IF NOT EXISTS evaluation (
  id                           INTEGER PRIMARY KEY,
  source_id                    INTEGER NOT NULL,
  origin                       TEXT NOT NULL,    -- 'saex' or 'neuronpedia'
  corpus                       TEXT NOT NULL,    -- the corpus file's name, or the dataset
  prompts                      INTEGER NOT NULL DEFAULT -1,
  ctx                          INTEGER NOT NULL DEFAULT -1,
  tokens                       INTEGER NOT NULL DEFAULT -1,  -- counted tokens
  created                      TEXT NOT NULL,    -- UTC, ISO 8601
  l0                           REAL,
  l1                           REAL,
  explained_variance           REAL,
  mse                          REAL,
  cossim                       REAL,
  l2_norm_in                   REAL,
  l2_norm_out                  REAL,
  l2_ratio                     REAL,
  relative_reconstruction_bias REAL,
  ce_loss_score                REAL,
  ce_loss_without_sae          REAL,
  ce_loss_with_sae             REAL,
  ce_loss_with_ablation        REAL,
  kl_div_score                 REAL,
  kl_div_with_sae              REAL,
  kl_div_with_ablation         REAL,
  frac_alive                   REAL,
  freq_over_1_percent          REAL,
  freq_over_10_percent         REAL,
  mean_act_active              REAL,
  d_sae                        INTEGER NOT NULL DEFAULT -1,
  dead_features                INTEGER NOT NULL DEFAULT -1,
  dense_features               INTEGER NOT NULL DEFAULT -1,
  density                      BLOB,
  mean_act                     BLOB,
  UNIQUE (source_id, origin, corpus, prompts, ctx)
);

INSERT INTO meta(key, value) VALUES ('application', 'saex'), ('schema_version', '1');
