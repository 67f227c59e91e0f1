/* cli.h - the saex command line: subcommands and their shared output
 * helpers. Exit statuses: 0 success, 1 usage error or id not found, 2 bad
 * data (unreadable files, damaged or foreign databases). */
#ifndef SAEX_CLI_H
#define SAEX_CLI_H

#include <pthread.h>
#include <stdio.h>
#include <jansson.h>
#include "util.h"
#include "saex.h"

enum { CLI_OK = 0, CLI_USAGE = 1, CLI_DATA = 2 };

typedef struct cli_cmd {
	const char *name;
	int (*run)(int argc, char **argv);
	const char *synopsis;   /* one line, after "saex " */
	const char *help;       /* the options, one per line */
} cli_cmd;

int cmd_import(int argc, char **argv);
int cmd_info(int argc, char **argv);
int cmd_show(int argc, char **argv);
int cmd_search(int argc, char **argv);
int cmd_export(int argc, char **argv);
int cmd_import_csv(int argc, char **argv);
int cmd_tokenize(int argc, char **argv);
int cmd_run(int argc, char **argv);
int cmd_generate(int argc, char **argv);
int cmd_encode(int argc, char **argv);
int cmd_build(int argc, char **argv);
int cmd_attach(int argc, char **argv);
int cmd_eval(int argc, char **argv);
int cmd_sae(int argc, char **argv);

/* The command table entry for name, or NULL. */
const cli_cmd *cli_find(const char *name);
/* Prints "usage: saex SYNOPSIS" and the help of a command to f. */
void cli_usage(FILE *f, const cli_cmd *c);
/* Prints "saex NAME: message" (escaped) on stderr and returns code. */
int cli_fail(const char *name, int code, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* For store_on_wait (ctx: the command's name): says on stderr that
 * another process holds the database's write lock and is waited for. */
void cli_waiting(void *ctx, const char *path);
/* 0 when the output file out (may be NULL) would replace none of the
 * command's inputs (files, or folders standing for the files directly in
 * them; outfile.h); else says why and returns CLI_DATA. */
int cli_check_output(const char *cmd, const char *out, const char *const *inputs, size_t n);
/* Maps a store/import error class to an exit status. */
int cli_status(int store_rc);

/* Output styling of stdout: colour only on a terminal without NO_COLOR. */
typedef struct cli_style {
	int tty, color, color256, utf8, width;
} cli_style;
void cli_style_init(cli_style *st, FILE *f);

/* Writes escaped untrusted text (flags: SAEX_ESC_*); on a non-UTF-8 locale
 * non-ASCII is escaped too. */
void cli_put_text(sb *out, const cli_style *st, const char *s, size_t n, unsigned flags);

/* The tokens [i, j) of tok[0..to) shown as one, as the explorer and saex
 * show show a text: a character a tokenizer split over several tokens
 * (GPT-2 spells an emoji as two or three; Gemma as "<0xF0>" "<0x9F>" ...;
 * Llama 3 as "ĠðŁ" "ĺĢ") is the character, not the escaped bytes or
 * byte-level letters of each part, and a byte-level spelling of a
 * multi-byte character ("Ã¶", as SAEDashboard's exports keep it) is that
 * character. Puts the bytes to show in buf (cleared first; escape them
 * with SAEX_ESC_TOKEN); returns j (i + 1 when token i stands alone). */
struct store_str;
long cli_token_group(const struct store_str *tok, long i, long to, sb *buf);

/* Writes a JSON document to f, followed by a newline. DEL, C1 controls and
 * the format characters saex_escape escapes (esc_is_format_control: the
 * bidirectional controls, U+FEFF, ...) are written as \u escapes inside
 * strings so the text is safe on a terminal (outside a UTF-8 locale every
 * non-ASCII character); the JSON stays valid and equal in value. */
int cli_put_json(FILE *f, json_t *doc, int pretty);
/* Text from the data as a JSON string, or null for NULL; bytes that are not
 * UTF-8 (a database from elsewhere may hold them) become U+FFFD, so the
 * text never vanishes from the output. */
json_t *cli_json_text(const char *s);
/* A float stored as f32, as the shortest decimal that reads back the same. */
json_t *cli_json_f32(float v);
/* A double, or null when it is not finite. */
json_t *cli_json_num(double v);
/* An evaluation's metrics in SAELens's groups: {"sparsity": {"l0": ...},
 * "reconstruction_quality": {...}, ...}; NaN as null. */
json_t *cli_json_eval(const saex_eval_metrics *m);
/* Integral floats as JSON integers (histogram counts), else cli_json_f32. */
json_t *cli_json_count(float v);

/* Parses "50256,15496,995" into *ids (caller frees *ids, also on failure).
 * -1 when malformed or an id does not fit 32 bits. */
int cli_parse_ids(const char *s, uint32_t **ids, size_t *n);
/* A token's bytes as a JSON string; bytes that are not valid UTF-8 on their
 * own (part of a character split across tokens) become U+FFFD. */
json_t *cli_json_token(const char *p, size_t n);

struct saex_model;
struct saex_tok;

/* The model folder's tokenizer loaded on a thread of its own while the
 * caller loads the rest (start-up overlaps): cli_tok_start starts it (or
 * loads it right away when no thread can start); cli_tok_join waits and
 * hands over the tokenizer (caller frees), or NULL with the reason in err.
 * Every job started must be joined, on error paths too. */
typedef struct cli_tok_job {
	pthread_t thread;
	int started, running;
	char dir[4096];
	struct saex_tok *tok;
	char err[SAEX_ERR_LEN];
} cli_tok_job;
void cli_tok_start(cli_tok_job *j, const char *model_dir);
struct saex_tok *cli_tok_join(cli_tok_job *j);

/* The prompt of run/generate: with text, the model folder's tokenizer
 * encodes it (with the special tokens its post-processor adds, or its BOS
 * first, unless no_bos: see saex_tok_encode_ids) into *ids and *n; else *ids and *n
 * hold the --ids given. Checks the ids against the model's context and vocabulary.
 * *tok is the folder's tokenizer or NULL (caller frees with saex_tok_free;
 * *ids with free). 0, or the exit status after printing the error.
 * job: a started cli_tok_job whose tokenizer cli_prompt takes (joined
 * here), or NULL to load model_dir's now. */
int cli_prompt(const char *cmd, const char *model_dir, const struct saex_model *m, const char *text,
               int no_bos, cli_tok_job *job, struct saex_tok **tok, uint32_t **ids, size_t *n);

/* A --model or --sae argument: a folder, a Hugging Face cache folder or a
 * name in the cache (saex_hf_resolve, Gemma Scope's .../canonical
 * included), a SAELens RELEASE/SAE_ID whose repository saex knows, or a
 * model by the name SAEs and Neuronpedia give it (saex_hf_find_model:
 * gpt2-small, gemma-2-2b), written to out. 0, or the exit status
 * (CLI_DATA) after printing the error, which says what to download. */
int cli_resolve(const char *cmd, const char *name, char *out, size_t outlen);
/* The same, printing nothing: -1 with the message in msg. */
int cli_resolve_msg(const char *name, char *out, size_t outlen, sb *msg);

/* --model and --sae of build, attach and eval: resolved (cli_resolve),
 * made absolute into dir (dirlen bytes) and loaded; an SAE must fit the
 * model (saex_sae_fits; the message names DIR/cfg.json). 0, or the exit
 * status after printing the error (the loaded object, if any, is still
 * the caller's to free). */
int cli_load_model(const char *cmd, const char *name, char *dir, size_t dirlen, saex_model **m);
int cli_load_sae(const char *cmd, const char *name, const saex_model *m, char *dir, size_t dirlen,
                 saex_sae **s);
/* The last part of a path ("a/b/c" -> "c"; borrowed from p). */
const char *cli_basename(const char *p);
/* The ids build and eval give by default (caller frees): the model
 * folder's name, or NAME of a Hugging Face cache folder
 * models--ORG--NAME/snapshots/REV; an SAE's LAYER-NAME, NAME its folder's
 * name and LAYER that of its hook. */
char *cli_default_model_id(const char *dir);
char *cli_default_source_id(const saex_sae *s, const char *dir);
/* A progress line's estimate of the time left: "1h02m", "3m07s", "?". */
void cli_eta(char *buf, size_t n, double seconds);

/* --steer SAEDIR:FEATURE:STRENGTH (repeatable), --multiplier M and
 * --method add|clamp of run and generate. Zero-initialise; cli_steer_opt
 * takes one option ("steer", "multiplier" or "method") and returns 0 or
 * CLI_USAGE after printing why; cli_steer_load resolves and loads each
 * SAE folder once and builds set (NULL when no --steer was given): 0 or
 * the exit status after printing the error. cli_steer_free frees it all. */
typedef struct cli_steer_entry {
	char *dir;
	int64_t feature;
	float strength;
} cli_steer_entry;
typedef struct cli_steer {
	cli_steer_entry *e;
	size_t n;
	float multiplier;
	int multiplier_set;
	saex_steer_method method;
	saex_steer *set;
	saex_sae **saes;
	char **dirs;
	size_t n_sae;
} cli_steer;
int cli_steer_opt(const char *cmd, cli_steer *s, const char *opt, const char *arg);
/* A whole-number option value from lo to hi into *out: 0, or CLI_USAGE
 * after saying "OPT ARG: expected a number from LO to HI". */
int cli_parse_size(const char *cmd, const char *opt, const char *arg, size_t lo, size_t hi, size_t *out);
/* A finite float option value of at least lo into *out: 0, or CLI_USAGE
 * after saying "OPT 'ARG': expected a number". */
int cli_parse_float(const char *cmd, const char *opt, const char *arg, float lo, float *out);
int cli_steer_load(const char *cmd, cli_steer *s, const saex_model *m);
void cli_steer_free(cli_steer *s);

/* Formats 1234567 as "1,234,567" into buf. */
const char *cli_thousands(int64_t v, char *buf, size_t n);
/* A density (a fraction, frac_nonzero) as a percentage with 4 significant
 * digits, no exponent and at most 5 decimals ("0.3170%", "12.50%",
 * "0.00370%", "<0.00001%"; at most 9 columns), "?" when unknown (< 0): the
 * one format of densities in saex's text. Returns buf. */
const char *cli_density(double frac, char *buf, size_t n);

#endif
