/* cli_main.c - saex's entry point: dispatches subcommands. */
#include "config.h"
#include "blas_tune.h"
#include "cli_sig.h"
#include "cli.h"
#include "esc.h"
#include "saex.h"
#include "store.h"
#include "app.h"

#include <locale.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static const cli_cmd cli_cmds[] = {
	{"import", cmd_import, "import DB PATH... [options]",
	 "Import Neuronpedia bulk exports (or SAEDashboard output) into DB, creating it.\n"
	 "PATH is an export folder <modelId>/<sourceId>/ (explanations-<model>/ folders\n"
	 "too), a folder holding many, .jsonl / .jsonl.gz files, or .json documents:\n"
	 "features from Neuronpedia's API (nested activations and explanations), arrays\n"
	 "of them, SAEDashboard batches. Pipes are read once. Each file is one\n"
	 "transaction; a rerun skips the files already imported (SHA-256) and adds no\n"
	 "row twice; a feature row merges into a stored one. A line or JSON value may\n"
	 "hold 16 MiB at most. A file none of whose rows can be read fails (exit 2).\n"
	 "  --kind K          features|activations|explanations|model|release|sourceset|source|\n"
	 "                    api-feature,\n"
	 "                    for single files whose folder or name does not say\n"
	 "  --format F        neuronpedia (default) or saedashboard\n"
	 "  --model M         model id for rows that lack one (or to override)\n"
	 "  --source S        source (SAE) id for rows that lack one (or to override)\n"
	 "  --strict          stop at the first bad line and roll back its file\n"
	 "  --quiet           no progress bar and no summary\n"
	 "  --json            print the summary as JSON"},
	{"info", cmd_info, "info DB [--json]",
	 "The catalog: models, releases, source sets and SAEs with their hook, width\n"
	 "and feature, activation and explanation counts.\n"
	 "  --json            machine-readable output"},
	{"show", cmd_show, "show DB ID [--json] [--examples N] [--context N]",
	 "One feature: explanations, density, max activation, logits, the activation\n"
	 "histogram and the top examples with the max token marked.\n"
	 "ID is model/source/index, model@source:index or a Neuronpedia URL.\n"
	 "  --examples N      examples to show (text default 5, JSON default all)\n"
	 "  --context N       tokens of context on each side of the max token (12)\n"
	 "  --json            Neuronpedia's feature API field names"},
	{"search", cmd_search, "search DB QUERY [--model M] [--source S] [--limit N] [--json]",
	 "Full-text search over explanations, best match first. Words must all\n"
	 "match (the last as a prefix when no explanation has it whole); a word in\n"
	 "more than 5,000 explanations is left out next to rarer ones, and a query\n"
	 "of such words ranks its first 500 matches. FTS5 syntax is used as given\n"
	 "when the query contains \" * ( ) : or ^.\n"
	 "  --model M         only this model\n"
	 "  --source S        only this source (SAE) id\n"
	 "  --limit N         at most N results (20)\n"
	 "  --json            machine-readable output"},
	{"export", cmd_export, "export DB --source S --what features|activations|explanations [--out FILE]",
	 "Write one SAE's rows as CSV with a header row.\n"
	 "  --source S        source id, or model/source when several models have it\n"
	 "  --what W          features, activations or explanations\n"
	 "  --out FILE        write to FILE instead of standard output (replaced only\n"
	 "                    once complete; never the database itself)"},
	{"import-csv", cmd_import_csv, "import-csv DB --explanations FILE [--strict]",
	 "Read explanations from CSV with a header row naming the columns modelId,\n"
	 "layer (the source id), index, description and optionally typeName and\n"
	 "explanationModelName. The sources must exist in DB.\n"
	 "  --explanations F  the CSV file\n"
	 "  --strict          stop at the first bad row and store nothing"},
	{"tokenize", cmd_tokenize, "tokenize --model DIR [--bos] [--json] TEXT",
	 "Split TEXT into GPT-2 byte-level BPE tokens, one a line: id, a tab, and\n"
	 "the token's text with control characters and bytes that are not UTF-8 on\n"
	 "their own shown as escapes (\\n, \\x1b, \\xe2). Any bytes encode; invalid\n"
	 "UTF-8 falls back to byte tokens. \"<|endoftext|>\" in TEXT is plain text.\n"
	 "Put -- before a TEXT that starts with '-'.\n"
	 "  --model DIR       folder with vocab.json and merges.txt, or tokenizer.json\n"
	 "  --bos             put <|endoftext|> (50256) first, as TransformerLens does\n"
	 "  --json            {\"ids\":[...],\"tokens\":[...]}; bytes of a token that are\n"
	 "                    not UTF-8 on their own show as U+FFFD there"},
	{"run", cmd_run,
	 "run --model DIR (TEXT | --ids 50256,15496,995) [--no-bos] [--hook NAME --save FILE.npy]...\n"
	 "          [--logits FILE.npy] [--sae SAEDIR [--top K]] [--steer SAEDIR:FEATURE:STRENGTH]...\n"
	 "          [--multiplier M] [--method add|clamp] [--json]",
	 "Run a prompt through a GPT-2 model and save hook activations and logits as\n"
	 "float32 .npy files. DIR holds config.json and model.safetensors (F32, F16 or\n"
	 "BF16; names with or without \"transformer.\"), and for TEXT the tokenizer.\n"
	 "Prints one line per token (position, id, text), then what was saved.\n"
	 "  --model DIR       the Hugging Face model folder, a cache snapshot, or a\n"
	 "                    name such as gpt2 or ORG/NAME in the Hugging Face cache\n"
	 "  TEXT              tokenized with <|endoftext|> (50256) first, as\n"
	 "                    TransformerLens does; put -- before a TEXT starting with -\n"
	 "  --ids LIST        comma-separated token ids, used exactly as given\n"
	 "  --no-bos          no <|endoftext|> before TEXT\n"
	 "  --hook NAME       a TransformerLens hook point: blocks.L.hook_resid_pre,\n"
	 "                    blocks.L.attn.hook_z, blocks.L.hook_attn_out,\n"
	 "                    blocks.L.hook_resid_mid, blocks.L.mlp.hook_post,\n"
	 "                    blocks.L.hook_mlp_out or blocks.L.hook_resid_post\n"
	 "  --save FILE.npy   write the preceding --hook's activation, [T, d]\n"
	 "                    ([T, 4d] for mlp.hook_post); repeat --hook/--save pairs\n"
	 "  --logits FILE.npy write the logits, [T, vocab]; without it the run stops\n"
	 "                    after the last layer a --hook needs\n"
	 "  --sae SAEDIR      a SAELens SAE (as for encode) at its own hook, which must\n"
	 "                    be a hook of the model with width d_in; each token line\n"
	 "                    ends with its top features as INDEX:VALUE\n"
	 "  --top K           how many features a token shows (5), largest first\n"
	 "  --steer SAEDIR:FEATURE:STRENGTH, --multiplier M, --method add|clamp\n"
	 "                    steer the run as generate does; saved hooks, the logits\n"
	 "                    and --sae see the steered activations\n"
	 "  --json            {\"ids\":[...],\"saved\":[{\"hook\",\"file\",\"shape\"}],\"logits\":...}\n"
	 "                    and with --sae \"sae\":{\"hook\",\"top\":[[{\"index\",\"value\"}]]}"},
	{"generate", cmd_generate,
	 "generate --model DIR (TEXT | --ids 50256,15496,995) [--no-bos] [--max-tokens N]\n"
	 "          [--temperature T] [--seed S] [--freq-penalty F] [--steer SAEDIR:FEATURE:STRENGTH]...\n"
	 "          [--multiplier M] [--method add|clamp] [--json]",
	 "Continue a prompt with GPT-2 using a KV cache: greedily at temperature 0\n"
	 "(each token the most likely one), else by sampling from a seeded RNG. With\n"
	 "--steer, a second continuation from the same seed is steered by SAE\n"
	 "features at each SAE's hook, at every position (Neuronpedia's steering).\n"
	 "Prints the prompt and its continuation as text (escaped), or the ids when\n"
	 "DIR has no tokenizer; with --steer under [default] and [steered].\n"
	 "  --model DIR       the Hugging Face model folder (as for run), a cache\n"
	 "                    snapshot, or a name such as gpt2 found in the Hugging\n"
	 "                    Face cache ($HF_HOME/hub, ~/.cache/huggingface/hub)\n"
	 "  TEXT              tokenized with <|endoftext|> (50256) first\n"
	 "  --ids LIST        comma-separated token ids, used exactly as given\n"
	 "  --no-bos          no <|endoftext|> before TEXT\n"
	 "  --max-tokens N    tokens to add (20); fewer when the context fills up\n"
	 "  --temperature T   0 (the default): greedy; above 0: logits / T, sampled\n"
	 "  --seed S          the RNG's seed (0); both runs start from it\n"
	 "  --freq-penalty F  with T > 0, subtract F times each token's count in the\n"
	 "                    sequence so far from its logit (TransformerLens's rule)\n"
	 "  --steer SAEDIR:FEATURE:STRENGTH\n"
	 "                    add STRENGTH x the feature's decoder row at the SAE's\n"
	 "                    hook (repeat for several features and SAEs)\n"
	 "  --multiplier M    multiplies every strength (1)\n"
	 "  --method add|clamp  add (the default), or clamp: encode, set the\n"
	 "                    feature's activation to STRENGTH x M, decode, and keep\n"
	 "                    the SAE's error term\n"
	 "  --no-cache        rerun the whole sequence for each token (for checking)\n"
	 "  --json            {\"default\":{\"ids\":[...],\"text\":\"...\"}} and with --steer\n"
	 "                    \"steered\" alike: ids holds the prompt (with BOS) and the\n"
	 "                    new tokens, text their bytes"},
	{"encode", cmd_encode, "encode --sae SAEDIR --in X.npy --out F.npy [--recon R.npy] [--json]",
	 "Encode activations with a SAELens SAE and write the feature activations.\n"
	 "SAEDIR holds cfg.json (v6 or the older flat form) and\n"
	 "sae_weights.safetensors; architectures standard, topk, jumprelu, gated;\n"
	 "normalize_activations none, constant_norm_rescale, layer_norm,\n"
	 "expected_average_only_in (its factor is folded into the weights: identity).\n"
	 "Prints the rows, L0, MSE and explained variance of the reconstruction.\n"
	 "  --sae SAEDIR      the SAELens folder\n"
	 "  --in X.npy        float32 activations [n, d_in] (or [d_in])\n"
	 "  --out F.npy       write the feature activations, float32 [n, d_sae]\n"
	 "  --recon R.npy     write the reconstruction, float32 [n, d_in]\n"
	 "  --json            {\"n\",\"architecture\",\"d_in\",\"d_sae\",\"l0\",\"mse\",\n"
	 "                    \"explained_variance\"}"},
	{"build", cmd_build,
	 "build DB --model DIR --sae SAEDIR --corpus FILE [--prompts N] [--ctx T]\n"
	 "          [--source-id ID] [--model-id NAME] [--checkpoint-every S] [--json] [-v] [--quiet]",
	 "Compute the dashboards of your own SAE from a corpus and write them into DB\n"
	 "(created when absent), as SAEDashboard does: per feature the top 20 examples,\n"
	 "5 quantile groups of [0, max] with 5 sampled examples each, the 50-bin\n"
	 "histogram of non-zero activations, density, max, logit effects through the\n"
	 "tied unembedding (top and bottom 10, a 50-bin histogram) and the 10 most\n"
	 "similar features by decoder direction. Activations are f * |W_dec[i]|\n"
	 "(decoder norms folded). The model runs up to the SAE's layer only. Where\n"
	 "the weights live is recorded (as saex attach does). Interrupted, a rerun\n"
	 "continues from the checkpoint DB.build and ends with the same result.\n"
	 "  --model DIR       the model folder (as for run), with its tokenizer\n"
	 "  --sae SAEDIR      the SAELens folder; its hook must be a hook of the model\n"
	 "  --corpus FILE     JSONL with a \"text\" field (.jsonl, or a first byte '{'),\n"
	 "                    or plain text: paragraphs between blank lines when it\n"
	 "                    has any, else one document a line. Each document is\n"
	 "                    tokenized with <|endoftext|> first and cut into prompts\n"
	 "  --prompts N       use the first N prompts (default: all, up to 2^27 tokens);\n"
	 "                    a pipe is read only so far, a line may hold 16 MiB\n"
	 "  --ctx T           tokens per prompt, BOS included (128)\n"
	 "  --source-id ID    the source id (default LAYER-NAME, NAME the SAE folder's)\n"
	 "  --model-id NAME   the model id (default: the model folder's name)\n"
	 "  --checkpoint-every S  seconds between checkpoints (60; 0: every batch)\n"
	 "  --quiet           no progress line and no resume notes on stderr\n"
	 "  -v, --verbose     also print tokens/s and the time shares of the model\n"
	 "                    forward, SAE encode and bookkeeping\n"
	 "  --json            the summary with timings as JSON"},
	{"attach", cmd_attach, "attach DB SOURCE --model DIR --sae SAEDIR",
	 "Record where the weights of a source in DB live, for live tests and\n"
	 "steering. The folders must load and agree (the SAE's hook is a hook of the\n"
	 "model, with width d_in); their absolute paths are stored.\n"
	 "  SOURCE            model/source, or a source id that only one model has\n"
	 "  --model DIR       the model folder (as for run)\n"
	 "  --sae SAEDIR      the SAELens folder"},
};

const cli_cmd *cli_find(const char *name)
{
	for (size_t i = 0; i < SAEX_ARRAY_LEN(cli_cmds); i++)
		if (strcmp(cli_cmds[i].name, name) == 0)
			return &cli_cmds[i];
	return NULL;
}

void cli_usage(FILE *f, const cli_cmd *c)
{
	fprintf(f, "usage: saex %s\n\n%s\n", c->synopsis, c->help);
}

int cli_fail(const char *name, int code, const char *fmt, ...)
{
	sb raw = {0}, out = {0};
	va_list ap;
	va_start(ap, fmt);
	sb_vprintf(&raw, fmt, ap);
	va_end(ap);
	esc_append(&out, raw.p ? raw.p : "", raw.n, esc_locale_flags());
	fprintf(stderr, "saex%s%s: %s\n", name ? " " : "", name ? name : "", out.p ? out.p : "");
	sb_free(&raw);
	sb_free(&out);
	return code;
}

void cli_waiting(void *ctx, const char *path)
{
	cli_fail(ctx, 0, "%s: another process is writing to this database; waiting for it (Ctrl-C stops)", path);
}

int cli_status(int rc)
{
	switch (rc) {
	case 0: return CLI_OK;
	case STORE_NOTFOUND: return CLI_USAGE;
	default: return CLI_DATA;
	}
}

static void cli_help(FILE *f)
{
	fprintf(f,
	        "saex %s - a terminal explorer for sparse-autoencoder (SAE) features\n\n"
	        "usage: saex COMMAND [OPTIONS]\n"
	        "       saex [DB [ID]]     the explorer on a terminal: DB's catalog, or the\n"
	        "                          feature ID's dashboard (without a terminal: as\n"
	        "                          saex info DB / saex show DB ID)\n\n"
	        "commands:\n",
	        PACKAGE_VERSION);
	for (size_t i = 0; i < SAEX_ARRAY_LEN(cli_cmds); i++)
		fprintf(f, "  saex %s\n", cli_cmds[i].synopsis);
	fprintf(f,
	        "\n'saex COMMAND --help' explains a command and its options; 'man saex' has it all.\n"
	        "Feature ids: model/source/index (gpt2-small/9-res-jb/21474), model@source:index,\n"
	        "or a Neuronpedia URL.\n"
	        "Exit status: 0 success, 1 usage error or id not found, 2 bad data.\n"
	        "Environment: XDG_DATA_HOME (per-user database saex/user.db), NO_COLOR,\n"
	        "SAEX_DEMO (the database 'saex' alone opens: the installed demo by default),\n"
	        "HF_HUB_CACHE / HF_HOME (models and SAEs by name), OPENBLAS_CORETYPE /\n"
	        "SAEX_NO_BLAS_TUNE (OpenBLAS's kernels; see man saex), OPENBLAS_NUM_THREADS\n"
	        "(threads to compute with; default one per processor).\n");
}

static char **cli_argv; /* main's, for blas_tune_reexec */

/* The explorer on DB (may be NULL), opened at id when given. */
static int cli_explore(const char *db, const char *id)
{
	blas_tune_reexec(cli_argv); /* its live tests and steering compute */
	saex_err e = {{0}, 0};
	store *s = NULL;
	if (db) {
		int rc = store_open(&s, db, STORE_READ, &e);
		if (rc)
			return cli_fail(NULL, cli_status(rc), "%s", e.msg);
	}
	if (id) {
		saex_fid f;
		const char *why;
		if (saex_fid_parse(id, &f, &why) != 0) {
			store_close(s);
			return cli_fail(NULL, CLI_USAGE, "'%s': %s", id, why);
		}
	}
	store_user *u = NULL;
	saex_err ue = {{0}, 0};
	if (store_user_open(&u, NULL, &ue) != 0)
		u = NULL; /* stars are off; the explorer says why */
	int rc = ui_run(s, u, u ? NULL : ue.msg, db, id);
	if (rc != UI_NO_TERMINAL)
		return rc;
	/* A terminal that cannot address the cursor (TERM=dumb): the text views. */
	const char *term = getenv("TERM");
	fprintf(stderr, "saex: this terminal (TERM=%s) cannot show the explorer; printing the "
	        "%s instead\n", term ? term : "unset", !db ? "help" : id ? "feature" : "catalog");
	if (!db) {
		cli_help(stdout);
		return CLI_OK;
	}
	char *args[] = {id ? "show" : "info", (char *)db, (char *)id, NULL};
	return id ? cmd_show(3, args) : cmd_info(2, args);
}

/* The database `saex` opens without arguments: $SAEX_DEMO when set (empty:
 * none), else the demo that `make install` put in the package's data
 * folder when it is there, else the build tree's data/demo.db beside this
 * binary (`./saex` right after `make`), else none (a screen on how to make
 * one). */
static const char *cli_demo_db(void)
{
	const char *env = getenv("SAEX_DEMO");
	if (env)
		return *env ? env : NULL;
	struct stat st;
#ifdef SAEX_PKGDATADIR
	if (stat(SAEX_PKGDATADIR "/demo.db", &st) == 0 && S_ISREG(st.st_mode))
		return SAEX_PKGDATADIR "/demo.db";
#endif
	/* not installed: the demo of the build tree this saex was built in */
	static char path[4096];
	ssize_t n = readlink("/proc/self/exe", path, sizeof path - 32);
	if (n <= 0)
		return NULL;
	path[n] = 0;
	char *slash = strrchr(path, '/');
	if (!slash)
		return NULL;
	*slash = 0;
	if (slash - path >= 6 && !strcmp(slash - 6, "/.libs")) /* a libtool wrapper's binary */
		slash[-6] = 0;
	strcat(path, "/data/demo.db");
	return stat(path, &st) == 0 && S_ISREG(st.st_mode) ? path : NULL;
}

int main(int argc, char **argv)
{
	cli_sig_restore();
	cli_argv = argv;
	/* OpenBLAS's best kernels on CPUs newer than it, for the commands that
	 * compute (and the explorer, in cli_explore). */
	static const char *const compute[] = {"run", "generate", "encode", "build"};
	for (size_t i = 0; argc >= 2 && i < SAEX_ARRAY_LEN(compute); i++)
		if (!strcmp(argv[1], compute[i]))
			blas_tune_reexec(argv);
	setlocale(LC_ALL, "");
	int tty = isatty(0) && isatty(1);
	if (argc < 2) {
		if (tty)
			return cli_explore(cli_demo_db(), NULL);
		cli_help(stdout);
		return CLI_OK;
	}
	const char *cmd = argv[1];
	if (strcmp(cmd, "--help") == 0 || strcmp(cmd, "-h") == 0 || strcmp(cmd, "help") == 0) {
		if (argc > 2 && cli_find(argv[2])) {
			cli_usage(stdout, cli_find(argv[2]));
			return CLI_OK;
		}
		cli_help(stdout);
		return CLI_OK;
	}
	if (strcmp(cmd, "--version") == 0 || strcmp(cmd, "-V") == 0) {
		printf("saex %s (libsaex %s)\n", PACKAGE_VERSION, saex_version());
		return CLI_OK;
	}
	const cli_cmd *c = cli_find(cmd);
	if (c)
		return c->run(argc - 1, argv + 1);
	/* saex DB [ID]: an existing file is a database. */
	struct stat sbuf;
	if (cmd[0] != '-' && stat(cmd, &sbuf) == 0 && S_ISREG(sbuf.st_mode)) {
		if (tty && argc <= 3)
			return cli_explore(cmd, argc == 3 ? argv[2] : NULL);
		if (argc == 2) {
			char *args[] = {"info", argv[1], NULL};
			return cmd_info(2, args);
		}
		if (argc == 3) {
			char *args[] = {"show", argv[1], argv[2], NULL};
			return cmd_show(3, args);
		}
	}
	cli_fail(NULL, CLI_USAGE, "unknown command '%s'", cmd);
	fprintf(stderr, "Try 'saex --help'.\n");
	return CLI_USAGE;
}
