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
#include <errno.h>
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
	 "                    eval|api-feature, for single files whose folder or name does\n"
	 "                    not say (eval: rows of Neuronpedia's Eval table; their \"core\"\n"
	 "                    evaluations are stored as the source's evaluations)\n"
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
	 "of such words ranks its matches in blocks of 500, shortest first. FTS5\n"
	 "syntax is used as given when the query contains \" * ( ) : or ^. Says\n"
	 "how many explanations match in all when it shows fewer (--json: total).\n"
	 "  --model M         only this model\n"
	 "  --source S        only this source (SAE) id\n"
	 "  --limit N         at most N results (20; up to 100000)\n"
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
	 "Split TEXT into the model's tokens, one a line: id, a tab, and the text the\n"
	 "token stands for, with control characters and bytes that are not UTF-8 on\n"
	 "their own shown as escapes (\\n, \\x1b, \\xe2). The tokenizer is Hugging\n"
	 "Face's pipeline read from the model's tokenizer.json, giving the ids\n"
	 "Hugging Face tokenizers gives (Llama 3, Qwen, Gemma, GPT-NeoX, GPT-2), or\n"
	 "GPT-2's vocab.json and merges.txt. Any bytes encode: a byte that is not UTF-8\n"
	 "keeps its byte token (or <0xXX>). Special tokens written in TEXT\n"
	 "(<|endoftext|>, <bos>) are those tokens. Put -- before a TEXT that starts\n"
	 "with '-'.\n"
	 "  --model DIR       folder with tokenizer.json, or vocab.json and merges.txt\n"
	 "  --bos             add the special tokens the tokenizer adds (Llama 3's\n"
	 "                    <|begin_of_text|>, Gemma's <bos>); one that adds none\n"
	 "                    gets its BOS first (GPT-2's <|endoftext|>), as\n"
	 "                    TransformerLens does\n"
	 "  --json            {\"ids\":[...],\"tokens\":[...]}; bytes of a token that are\n"
	 "                    not UTF-8 on their own show as U+FFFD there"},
	{"run", cmd_run,
	 "run --model DIR (TEXT | --ids 50256,15496,995) [--no-bos] [--hook NAME --save FILE.npy]...\n"
	 "          [--logits FILE.npy] [--sae SAEDIR [--top K]] [--steer SAEDIR:FEATURE:STRENGTH]...\n"
	 "          [--multiplier M] [--method add|clamp] [--json]",
	 "Run a prompt through a model (GPT-2, Llama 3, Qwen 2/2.5/3, Gemma 2/3,\n"
	 "GPT-NeoX/Pythia) and save hook activations and logits as float32 .npy\n"
	 "files. DIR holds config.json and model.safetensors, or the shards that\n"
	 "model.safetensors.index.json names (F32, F16 or BF16, used as stored), and\n"
	 "for TEXT the tokenizer.\n"
	 "Prints one line per token (position, id, text), then what was saved.\n"
	 "  --model DIR       the Hugging Face model folder, a cache snapshot, or a\n"
	 "                    name such as gpt2 or ORG/NAME in the Hugging Face cache\n"
	 "  TEXT              tokenized with BOS first where the family has one, as\n"
	 "                    TransformerLens does (GPT-2's <|endoftext|>, Llama 3's\n"
	 "                    <|begin_of_text|>, Gemma's <bos>; not Qwen or GPT-NeoX);\n"
	 "                    put -- before a TEXT starting with -\n"
	 "  --ids LIST        comma-separated token ids, used exactly as given\n"
	 "  --no-bos          no BOS before TEXT\n"
	 "  --hook NAME       a TransformerLens hook point: hook_embed, or blocks.L.\n"
	 "                    followed by hook_resid_pre, ln1.hook_normalized,\n"
	 "                    attn.hook_z, hook_attn_out, hook_resid_mid,\n"
	 "                    ln2.hook_normalized, mlp.hook_in, mlp.hook_post,\n"
	 "                    hook_mlp_out or hook_resid_post\n"
	 "  --save FILE.npy   write the preceding --hook's activation, [T, d] ([T,\n"
	 "                    d_mlp] for mlp.hook_post, [T, heads x head size] for\n"
	 "                    attn.hook_z); repeat --hook/--save pairs. GPT-NeoX's\n"
	 "                    parallel blocks have no hook_resid_mid\n"
	 "  --logits FILE.npy write the logits, [T, vocab]; without it the run stops\n"
	 "                    after the last layer a --hook needs\n"
	 "  --sae SAEDIR      an SAE or transcoder (any layout of saex sae --help) at\n"
	 "                    its hook (a transcoder's input hook), which must be a\n"
	 "                    hook of the model with width d_in; each token line\n"
	 "                    ends with its top features as INDEX:VALUE\n"
	 "  --top K           how many features a token shows (5), largest first\n"
	 "  --steer SAEDIR:FEATURE:STRENGTH, --multiplier M, --method add|clamp\n"
	 "                    steer the run as generate does; saved hooks, the logits\n"
	 "                    and --sae see the steered activations\n"
	 "  --json            {\"ids\":[...],\"tokens\":[...],\"saved\":[{\"hook\",\"file\",\"shape\"}],\n"
	 "                    \"logits\":...} and with --sae \"sae\":{\"hook\",\"top\":[[{\"index\",\n"
	 "                    \"value\"}]]}; tokens spelled as Neuronpedia's exports spell\n"
	 "                    them for the model (GPT-2 \" world\", Gemma \"\u2581world\")"},
	{"generate", cmd_generate,
	 "generate --model DIR (TEXT | --ids 50256,15496,995) [--no-bos] [--max-tokens N]\n"
	 "          [--temperature T] [--seed S] [--freq-penalty F] [--steer SAEDIR:FEATURE:STRENGTH]...\n"
	 "          [--multiplier M] [--method add|clamp] [--json]",
	 "Continue a prompt with a model (as for run) using a KV cache: greedily at\n"
	 "temperature 0 (each token the most likely one), else by sampling from a\n"
	 "seeded RNG. With --steer, a second continuation from the same seed is\n"
	 "steered by SAE features at each SAE's hook, at every position\n"
	 "(Neuronpedia's steering).\n"
	 "Prints the prompt and its continuation as text (escaped), or the ids when\n"
	 "DIR has no tokenizer; with --steer under [default] and [steered].\n"
	 "  --model DIR       the Hugging Face model folder (as for run), a cache\n"
	 "                    snapshot, or a name such as gpt2 found in the Hugging\n"
	 "                    Face cache ($HF_HOME/hub, ~/.cache/huggingface/hub)\n"
	 "  TEXT              tokenized with BOS first where the family has one\n"
	 "  --ids LIST        comma-separated token ids, used exactly as given\n"
	 "  --no-bos          no BOS before TEXT\n"
	 "  --max-tokens N    tokens to add (20); fewer when the context fills up\n"
	 "  --temperature T   0 (the default): greedy; above 0: logits / T, sampled\n"
	 "  --seed S          the RNG's seed (0); both runs start from it\n"
	 "  --freq-penalty F  with T > 0, subtract F times each token's count in the\n"
	 "                    sequence so far from its logit (TransformerLens's rule)\n"
	 "  --steer SAEDIR:FEATURE:STRENGTH\n"
	 "                    add STRENGTH x the feature's decoder row where the\n"
	 "                    SAE writes (a transcoder's output hook); repeat for\n"
	 "                    several features and SAEs\n"
	 "  --multiplier M    multiplies every strength (1)\n"
	 "  --method add|clamp  add (the default), or clamp: encode, set the\n"
	 "                    feature's activation to STRENGTH x M, decode, and keep\n"
	 "                    the SAE's error term\n"
	 "  --no-cache        rerun the whole sequence for each token (for checking)\n"
	 "  --json            {\"default\":{\"ids\":[...],\"text\":\"...\"}} and with --steer\n"
	 "                    \"steered\" alike: ids holds the prompt (with BOS) and the\n"
	 "                    new tokens, text their bytes"},
	{"encode", cmd_encode, "encode --sae SAEDIR --in X.npy --out F.npy [--recon R.npy] [--target Y.npy] [--json]",
	 "Encode activations with an SAE or transcoder and write the feature activations.\n"
	 "SAEDIR is any layout saex sae reads (saex sae --help): SAELens, Gemma Scope,\n"
	 "Gemma Scope 2, Llama Scope or sparsify. Prints the rows, L0, and the MSE and\n"
	 "explained variance of the reconstruction.\n"
	 "  --sae SAEDIR      the SAE folder, a cache folder or ORG/NAME/FOLDER\n"
	 "  --in X.npy        float32 activations at its hook, [n, d_in] (or [d_in])\n"
	 "  --out F.npy       write the feature activations, float32 [n, d_sae]\n"
	 "  --recon R.npy     write the reconstruction, float32 [n, d_out] (a\n"
	 "                    transcoder's prediction of its output hook, skip included)\n"
	 "  --target Y.npy    what the reconstruction is measured against, [n, d_out]\n"
	 "                    (default: X for an SAE; a transcoder needs it for MSE)\n"
	 "  --json            {\"n\",\"format\",\"architecture\",\"d_in\",\"d_sae\",\"d_out\",\n"
	 "                    \"l0\",\"mse\",\"explained_variance\"}"},
	{"sae", cmd_sae, "sae info SAE [--json]",
	 "What saex understood of an SAE or transcoder: its layout, architecture, the\n"
	 "hook it reads (and the one a transcoder writes), d_in, d_sae, d_out, the\n"
	 "weights' dtype and whether they are read in place, the normalisation and any\n"
	 "folded factor, k or the thresholds' min/median/max, its files and the model\n"
	 "it expects: check a download before a long build. Layouts, told by the files:\n"
	 "  SAELens           cfg.json + sae_weights.safetensors: standard, topk (with\n"
	 "                    rescale_acts_by_decoder_norm), jumprelu, gated, batchtopk,\n"
	 "                    matryoshka_batchtopk, transcoder, jumprelu_transcoder,\n"
	 "                    skip_transcoder; normalize_activations (a\n"
	 "                    norm_scaling_factor in cfg.json is folded); v6 or flat cfg\n"
	 "  Gemma Scope       params.npz in google/gemma-scope-SIZE-pt-KIND's folders\n"
	 "                    (layer_L/width_W/average_l0_N, embedding/...): the hook\n"
	 "                    from KIND (res, mlp, att, transcoders) and the path\n"
	 "  Gemma Scope 2     config.json + params.safetensors (hf_hook_point_in/out)\n"
	 "  Llama Scope       hyperparams.json + checkpoints/final.safetensors,\n"
	 "                    dataset-wise normalisation folded as SAELens does\n"
	 "  sparsify          cfg.json + sae.safetensors, one folder per hookpoint\n"
	 "                    (layers.L, layers.L.mlp, embed_tokens); transcoders too\n"
	 "  SAE               a folder, a Hugging Face cache folder, or ORG/NAME/FOLDER\n"
	 "                    in the cache; a Gemma Scope .../width_W/canonical is the\n"
	 "                    cached average_l0_N folder with N nearest 100\n"
	 "  --json            machine-readable output"},
	{"build", cmd_build,
	 "build DB --model DIR --sae SAEDIR --corpus FILE [--prompts N] [--ctx T]\n"
	 "          [--source-id ID] [--model-id NAME] [--checkpoint-every S] [--eval] [--json] [-v] [--quiet]",
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
	 "  --sae SAEDIR      the SAE (any layout of saex sae --help); its hook must be\n"
	 "                    a hook of the model, its decoder as wide as the model\n"
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
	 "  --eval            also evaluate the SAE on the same prompts as saex eval\n"
	 "                    does, stored with the dashboards (the model then runs\n"
	 "                    whole, clean, ablated and spliced, for each prompt)\n"
	 "  --quiet           no progress line and no resume notes on stderr\n"
	 "  -v, --verbose     also print tokens/s and the time shares of the model\n"
	 "                    forward, SAE encode and bookkeeping\n"
	 "  --json            the summary with timings as JSON"},
	{"eval", cmd_eval,
	 "eval [DB] --model DIR --sae SAEDIR [--sae SAEDIR]... --corpus FILE [--prompts N] [--ctx T]\n"
	 "          [--model-id NAME] [--source-id ID] [--ablate-bos] [--json] [-v] [--quiet]",
	 "How good an SAE is on a corpus, by SAELens's evaluation metrics (man saex\n"
	 "gives every formula): sparsity (l0, l1), reconstruction (explained_variance,\n"
	 "mse, cossim), shrinkage (l2_norm_in/out, l2_ratio,\n"
	 "relative_reconstruction_bias), the model's cross-entropy loss clean, with the\n"
	 "SAE's reconstruction spliced in at its hook and with the activation zeroed\n"
	 "(ce_loss_score: the share of the loss recovered), the KL divergence from the\n"
	 "clean model (kl_div_score), dead and dense features and each feature's\n"
	 "density. The BOS token is left out of every statistic. Several --sae of one\n"
	 "model share the clean pass (and SAEs at one hook the ablated pass). With DB\n"
	 "(created when absent) the results are stored per source, with the corpus\n"
	 "name, prompts, tokens and date, once every prompt has run.\n"
	 "  --model DIR       the model folder (as for run), with its tokenizer\n"
	 "  --sae SAEDIR      a SAELens folder whose hook is a hook of the model;\n"
	 "                    repeat for several SAEs\n"
	 "  --corpus FILE     text or JSONL, read and cut into prompts as build does\n"
	 "  --prompts N       use the first N prompts (default: all)\n"
	 "  --ctx T           tokens per prompt, BOS included (128)\n"
	 "  --model-id NAME   the model id in DB (default: the model folder's name)\n"
	 "  --source-id ID    the source id in DB, with one --sae (default: the source\n"
	 "                    the SAE folder is attached to, else LAYER-NAME as build)\n"
	 "  --ablate-bos      the ablated run zeroes the BOS position too (as SAELens\n"
	 "                    does; by default it is left as the spliced run leaves it)\n"
	 "  --quiet           no progress line on stderr\n"
	 "  -v, --verbose     also print where the time went, against the clean passes\n"
	 "  --json            SAELens's metric groups per SAE, with every feature's\n"
	 "                    density and mean activation when active"},
	{"attach", cmd_attach, "attach DB SOURCE --model DIR --sae SAEDIR [--force]",
	 "Record where the weights of a source in DB live, for live tests and\n"
	 "steering. The folders must load and agree (the SAE's hooks are hooks of the\n"
	 "model, with widths d_in and d_out), and fit the source: its hook (or the\n"
	 "layer its id names), d_sae and feature indexes, its model's d_model and\n"
	 "(when the database has it) TransformerLens name; else saex says what\n"
	 "differs and exits with 1. Their absolute paths are stored. The explorer\n"
	 "checks again before a live test or steering.\n"
	 "  SOURCE            model/source, or a source id that only one model has\n"
	 "  --model DIR       the model folder, a cache name, or the name SAEs and\n"
	 "                    Neuronpedia give it (gemma-2-2b, gpt2-small)\n"
	 "  --sae SAEDIR      the SAE folder, ORG/NAME/FOLDER in the cache, or a SAELens\n"
	 "                    RELEASE/SAE_ID (gemma-scope-2b-pt-res-canonical/\n"
	 "                    layer_20/width_16k/canonical)\n"
	 "  --force           attach weights that do not fit the source all the same"},
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
	        "HF_HUB_CACHE / HF_HOME (models and SAEs by name: saex sae --help),\n"
	        "OPENBLAS_CORETYPE / OPENBLAS_THREAD_TIMEOUT / SAEX_NO_BLAS_TUNE (OpenBLAS's\n"
	        "kernels and its threads' spinning; see man saex), SAEX_CACHE_DIR / SAEX_NO_CACHE\n"
	        "(the tokenizer load cache, ~/.cache/saex/tokenizers),\n"
	        "OPENBLAS_NUM_THREADS (threads to compute with; default one per processor).\n");
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
	static const char *const compute[] = {"run", "generate", "encode", "build", "eval"};
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
	/* A name that looks like a database file (a path, an extension) is one
	 * that is missing or is not a file, not an unknown command. */
	if (cmd[0] != '-' && (strchr(cmd, '/') || strchr(cmd, '.'))) {
		if (stat(cmd, &sbuf) != 0)
			return cli_fail(NULL, CLI_USAGE, "%s: %s (saex DB opens a database file)", cmd, strerror(errno));
		return cli_fail(NULL, CLI_USAGE, "%s: not a file (saex DB opens a database file)", cmd);
	}
	cli_fail(NULL, CLI_USAGE, "unknown command '%s'", cmd);
	fprintf(stderr, "Try 'saex --help'.\n");
	return CLI_USAGE;
}
