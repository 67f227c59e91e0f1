/* demo_net.c - the demo model's and SAE's weights, constructed by hand.
 *
 * The residual stream (256 wide) is spanned by the rows of the 256 x 256
 * Sylvester-Hadamard matrix H (entries +-1, rows orthogonal, every row but
 * the first summing to zero, so LayerNorm's mean is always 0):
 *   - rows 1..17 are properties (digit, capitalised, sea, ...): u_p = H_p/16,
 *     unit vectors;
 *   - rows 31..142 carry each token's input code a_t, rows 143..255 its
 *     output code o_t: sums of those rows with random signs (whole words
 *     get codes that overlap little).
 * Token embedding: wte[t] = 6 a_t/256 + 3 o_t/256 + sum_p P_tp u_p, P_tp
 * the property magnitudes of demo_tok.c and demo_text.c. Positions embed
 * to 0; attention is off everywhere (zero weights).
 *
 * Block 0's MLP is a key-value bigram memory: unit k fires on its key token
 * (c_fc column along a_k, scaled so that the pre-activation is 16 on the
 * key after LayerNorm; bias -8, so well below 0 on any other token) and
 * writes the output codes of the key's most frequent successors in the
 * corpus (weights w_j, the most frequent 1).
 * blocks.1.hook_resid_pre, where the SAE reads, therefore holds the token's
 * properties exactly, its own codes and its successors' output codes.
 * Block 1's MLP, keyed on the same input code by pairs of units whose
 * difference saturates (so that steering, which lengthens the stream, does
 * not weaken it), removes the token's own embedding: the tied unembedding
 * then reads only the successors and whatever steering added.
 *
 * The SAE (JumpReLU, decoder rows of unit norm, b_dec = 0) has features
 * along the property directions (activation = the property's magnitude),
 * mixtures of them, output codes ("the next token will be X"), two random
 * directions and one that nothing reaches. Steering a property adds it to
 * the stream, and the unembedding, which reads properties too, then
 * favours tokens that have it: steering "digits" at its maximum activation
 * (3.75) makes digits. */
#include "config.h"
#include "demo_gen.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define D DEMO_D
#define GAIN 16       /* key pre-activation on the key token, before the bias */
#define KEY_BIAS 8    /* so a firing key's gelu output is about 8 */
#define SUCC_W 12     /* successor write W = 8 * 12 * 170/4096 = 4 per unit weight */
#define G1 26.0       /* block 1's key gain ... */
#define B1 9.75       /* ... and bias: 0 at cos 3/8, 8 + 8.25 at cos 1 */
#define CODE_NA 112   /* code rows 31..142 name the token (input code) ... */
#define MAX_OVERLAP 28 /* whole words overlap at most 28/112 on each part */

/* H[r][c] = (-1)^popcount(r & c) */
static int H(int r, int c)
{
	int x = r & c, odd = 0;
	for (; x; x &= x - 1)
		odd ^= 1;
	return odd ? -1 : 1;
}

/* Token codes: s[t][j] in {-1, +1} for the 225 code rows. */
static signed char (*make_codes(const demo_vocab *v))[DEMO_NCODE]
{
	signed char (*s)[DEMO_NCODE] = calloc((size_t)v->n, sizeof *s);
	uint64_t rng = 0x5AE0C0DE;
	int *chosen = malloc((size_t)v->n * sizeof *chosen), nc = 0;
	for (int t = 0; t < v->n; t++) {
		int careful = v->tok[t].whole || t == v->bos || t < 256;
		for (int tries = 0;; tries++) {
			for (int j = 0; j < DEMO_NCODE; j += 64) {
				uint64_t r = demo_rng(&rng);
				for (int b = 0; b < 64 && j + b < DEMO_NCODE; b++)
					s[t][j + b] = (r >> b) & 1 ? 1 : -1;
			}
			int ok = 1;
			for (int k = 0; careful && ok && k < nc; k++) {
				int da = 0, db = 0;
				for (int j = 0; j < DEMO_NCODE; j++)
					*(j < CODE_NA ? &da : &db) += s[t][j] * s[chosen[k]][j];
				ok = abs(da) <= MAX_OVERLAP && abs(db) <= MAX_OVERLAP;
			}
			if (ok || tries > 10000)
				break;
		}
		if (careful)
			chosen[nc++] = t;
	}
	free(chosen);
	return s;
}

/* The code vector of signs s over code rows [lo, hi) (0, CODE_NA: the
 * input code; CODE_NA, DEMO_NCODE: the output code). */
static void code_vec(const signed char *s, int lo, int hi, int g[D])
{
	for (int i = 0; i < D; i++) {
		int x = 0;
		for (int j = lo; j < hi; j++)
			x += s[j] * H(DEMO_CODE0 + j, i);
		g[i] = x;
	}
}

/* 256 * wte[t], as integers: 6 a_t + 3 o_t + sum_p (16 P_tp) H_p, a_t and
 * o_t the input and output codes (|a_t| = |o_t| = 170 or so). */
static void embed_int(const demo_vocab *v, const signed char *s, int t, int64_t out[D])
{
	int a[D], o[D];
	code_vec(s, 0, CODE_NA, a);
	code_vec(s, CODE_NA, DEMO_NCODE, o);
	for (int i = 0; i < D; i++) {
		int64_t x = 6 * (int64_t)a[i] + 3 * (int64_t)o[i];
		for (int p = 1; p < DEMO_NPROP_USED; p++)
			x += (int64_t)v->tok[t].prop[p] * H(p, i);
		out[i] = x;
	}
}

/* The top three successors of each token in the corpus (BOS before each
 * line), weights in eighths of the most frequent one's count. A token never
 * predicts itself, so greedy continuations do not stick on "9999". */
typedef struct succ {
	int id[3], w8[3], n;
} succ;

/* The most frequent successor b of a (not a itself, not one already in s);
 * digits 0: only b that are not single digits; -1: any. */
static int top_successor(const int *row, int V, int a, const succ *s, int digits, const demo_vocab *v)
{
	int best = -1;
	for (int b = 0; b < V; b++) {
		int bare_digit = v->tok[b].prop[P_DIGIT] != 0 && v->tok[b].len == 1;
		int taken = b == a || (digits == 0 && bare_digit);
		for (int q = 0; q < s->n; q++)
			taken |= s->id[q] == b;
		if (!taken && row[b] > 0 && (best < 0 || row[b] > row[best]))
			best = b;
	}
	return best;
}

static succ *successors(const demo_vocab *v, const demo_corpus *c, int *keyed)
{
	int V = v->n;
	int *cnt = calloc((size_t)V * (size_t)V, sizeof *cnt);
	for (int i = 0; i < DEMO_LINES; i++)
		for (int k = 0; k < c->n_ids[i]; k++) {
			int a = k ? c->ids[i][k - 1] : v->bos;
			cnt[(size_t)a * (size_t)V + (size_t)c->ids[i][k]]++;
			keyed[a] = 1;
		}
	succ *s = calloc((size_t)V, sizeof *s);
	int period = demo_vocab_find(v, ".", 1);
	for (int a = 0; a < V; a++) {
		int *row = cnt + (size_t)a * (size_t)V;
		/* A digit inside a number ("8" of 1852) predicts the number's end
		 * (its most frequent non-digit successors) and, at weight 3/8 only,
		 * the digit one above it (8 -> 9, 9 -> 0): greedy text ends numbers,
		 * and steering towards digits, which lifts every digit alike, lets
		 * that digit win, so a steered continuation counts 0123456789... */
		int in_number = v->tok[a].len == 1 && v->tok[a].prop[P_DIGIT];
		int top = 0;
		for (int r = 0; r < (in_number ? 2 : 3); r++) {
			int best = top_successor(row, V, a, &s[a], in_number ? 0 : -1, v);
			if (best < 0)
				break;
			if (!top)
				top = row[best];
			int w8 = (8 * row[best] + top / 2) / top;
			if (w8 == 0)
				break;
			s[a].id[s[a].n] = best;
			s[a].w8[s[a].n++] = w8;
		}
		if (s[a].n == 0 && (keyed[a] || v->tok[a].whole)) { /* nothing follows it: "." */
			s[a].id[0] = period;
			s[a].w8[0] = 8;
			s[a].n = 1;
			keyed[a] = 1;
		}
		int d = -1;
		if (in_number) {
			char next = (char)('0' + (v->tok[a].bytes[0] - '0' + 1) % 10);
			d = demo_vocab_find(v, &next, 1);
		}
		if (d >= 0) {
			s[a].id[s[a].n] = d;
			s[a].w8[s[a].n++] = 3;
		}
	}
	free(cnt);
	return s;
}

int demo_model_write(const demo_vocab *v, const demo_corpus *c, const char *dir)
{
	int V = v->n;
	signed char (*s)[DEMO_NCODE] = make_codes(v);
	float *wte = calloc((size_t)V * D, sizeof *wte);
	int64_t e[D];
	for (int t = 0; t < V; t++) {
		embed_int(v, s[t], t, e);
		for (int i = 0; i < D; i++)
			wte[(size_t)t * D + (size_t)i] = (float)((double)e[i] / 256.0);
	}
	int *keyed = calloc((size_t)V, sizeof *keyed);
	succ *sc = successors(v, c, keyed);
	float *fc[2], *fcb[2], *proj[2];
	for (int L = 0; L < 2; L++) {
		fc[L] = calloc((size_t)D * DEMO_INNER, sizeof *fc[L]);
		fcb[L] = calloc(DEMO_INNER, sizeof *fcb[L]);
		proj[L] = calloc((size_t)DEMO_INNER * D, sizeof *proj[L]);
	}
	int unit = 0;
	for (int a = 0; a < V; a++) {
		if (!keyed[a])
			continue;
		if (2 * unit == DEMO_INNER) {
			fprintf(stderr, "demo_gen: more keyed tokens than MLP units\n");
			return -1;
		}
		int ga[D], gb[D];
		int64_t m[D], x1[D];
		code_vec(s[a], 0, CODE_NA, ga);
		embed_int(v, s[a], a, e);
		/* Block 0, key: LN(x) = 16 x/|x|, so the column
		 * GAIN |x|/(16 x.a_a) a_a makes the pre-activation GAIN on a. */
		int64_t d0 = 0, s0 = 0;
		for (int i = 0; i < D; i++) {
			d0 += e[i] * ga[i];
			s0 += e[i] * e[i];
		}
		double f = (double)GAIN * sqrt((double)s0) / (16.0 * (double)d0);
		/* Block 0, value: SUCC_W sum_j w8_j g_bj / 4096, over the unit's
		 * output (8); x1 = what block 1 sees, in 4096ths. */
		for (int i = 0; i < D; i++) {
			fc[0][(size_t)i * DEMO_INNER + (size_t)unit] = (float)(ga[i] * f);
			m[i] = 0;
		}
		fcb[0][unit] = -(float)KEY_BIAS;
		for (int j = 0; j < sc[a].n; j++) {
			code_vec(s[sc[a].id[j]], CODE_NA, DEMO_NCODE, gb);
			for (int i = 0; i < D; i++)
				m[i] += (int64_t)SUCC_W * sc[a].w8[j] * gb[i];
		}
		int64_t dot = 0, ss = 0;
		for (int i = 0; i < D; i++) {
			proj[0][(size_t)unit * D + (size_t)i] = (float)((double)m[i] / 32768.0);
			x1[i] = 16 * e[i] + m[i];
			dot += x1[i] * ga[i];
			ss += x1[i] * x1[i];
		}
		/* Block 1, key: the same token after block 0, on two units whose
		 * pre-activations are G1 cos - B1 and G1 cos - B1 - 8 (cos = 1 on
		 * the token itself, at most 3/8 on others). Their difference
		 * saturates at 8, so it stays whole when steering lengthens the
		 * stream by up to a third and cos drops with it. Value: minus the
		 * token's own embedding, so that the logits read its successors
		 * (and any steering) rather than the token itself and its
		 * properties. */
		double f1 = G1 * sqrt((double)ss) / (16.0 * (double)dot);
		for (int i = 0; i < D; i++) {
			float k = (float)(ga[i] * f1), val = (float)((double)e[i] / 2048.0);
			fc[1][(size_t)i * DEMO_INNER + (size_t)(2 * unit)] = k;
			fc[1][(size_t)i * DEMO_INNER + (size_t)(2 * unit + 1)] = k;
			proj[1][(size_t)(2 * unit) * D + (size_t)i] = -val;
			proj[1][(size_t)(2 * unit + 1) * D + (size_t)i] = val;
		}
		fcb[1][2 * unit] = -(float)B1;
		fcb[1][2 * unit + 1] = -(float)(B1 + 8.0);
		unit++;
	}
	float *zero = calloc((size_t)D * DEMO_INNER, sizeof *zero);
	float *one = malloc(D * sizeof *one), *half = malloc(D * sizeof *half);
	for (int i = 0; i < D; i++) {
		one[i] = 1.0f;
		half[i] = 0.5f; /* ln_f: softens the logits so that sampling varies */
	}
	demo_tensor t[32];
	size_t n = 0;
	static char names[2][12][40];
	t[n++] = (demo_tensor){"wte.weight", 2, {V, D}, wte};
	t[n++] = (demo_tensor){"wpe.weight", 2, {DEMO_CTX, D}, zero};
	for (int L = 0; L < DEMO_LAYERS; L++) {
		static const char *const part[12] = {
			"ln_1.weight", "ln_1.bias", "attn.c_attn.weight", "attn.c_attn.bias",
			"attn.c_proj.weight", "attn.c_proj.bias", "ln_2.weight", "ln_2.bias",
			"mlp.c_fc.weight", "mlp.c_fc.bias", "mlp.c_proj.weight", "mlp.c_proj.bias"};
		const int64_t shp[12][2] = {{D, 0}, {D, 0}, {D, 3 * D}, {3 * D, 0}, {D, D}, {D, 0},
		                            {D, 0}, {D, 0}, {D, DEMO_INNER}, {DEMO_INNER, 0},
		                            {DEMO_INNER, D}, {D, 0}};
		const float *dat[12] = {one, zero, zero, zero, zero, zero, one, zero,
		                        fc[L], fcb[L], proj[L], zero};
		for (int k = 0; k < 12; k++) {
			snprintf(names[L][k], sizeof names[L][k], "h.%d.%s", L, part[k]);
			t[n++] = (demo_tensor){names[L][k], shp[k][1] ? 2 : 1, {shp[k][0], shp[k][1]}, dat[k]};
		}
	}
	t[n++] = (demo_tensor){"ln_f.weight", 1, {D, 0}, half};
	t[n++] = (demo_tensor){"ln_f.bias", 1, {D, 0}, zero};
	char path[4096];
	snprintf(path, sizeof path, "%s/model.safetensors", dir);
	int rc = demo_safetensors_write(path, t, n);
	FILE *cf = demo_open(dir, "config.json");
	if (cf) {
		fprintf(cf, "{\n  \"model_type\": \"gpt2\",\n  \"architectures\": [\"GPT2LMHeadModel\"],\n"
		        "  \"n_layer\": %d,\n  \"n_head\": %d,\n  \"n_embd\": %d,\n  \"n_positions\": %d,\n"
		        "  \"n_ctx\": %d,\n  \"vocab_size\": %d,\n  \"layer_norm_epsilon\": 1e-05,\n"
		        "  \"activation_function\": \"gelu_new\",\n  \"bos_token_id\": %d,\n"
		        "  \"eos_token_id\": %d,\n  \"saex_demo\": \"a constructed model, not a trained "
		        "language model: see data/demo_net.c in saex's sources\"\n}\n",
		        DEMO_LAYERS, DEMO_HEADS, D, DEMO_CTX, DEMO_CTX, V, v->bos, v->bos);
	}
	if (!cf || demo_close(cf, dir, "config.json"))
		rc = -1;
	for (int L = 0; L < 2; L++)
		free(fc[L]), free(fcb[L]), free(proj[L]);
	free(s), free(wte), free(keyed), free(sc);
	free(zero), free(one), free(half);
	return rc;
}

/* ---------------------------------------------------------------- SAE */
typedef struct feat {
	const char *explanation;
	int rows[3], coef[3];      /* a combination of property rows ... */
	const char *next_token;    /* ... or the code of this token ... */
	int noise;                 /* ... or a random code-space direction (seed) */
	int thr32;                 /* JumpReLU threshold, 32nds */
} feat;

static const feat feats[] = {
	{"digits 0-9", {P_DIGIT}, {1}, NULL, 0, 32},
	{"capitalised words", {P_CAP}, {1}, NULL, 0, 32},
	{"sea and ocean vocabulary (sea, harbour, ship, waves)", {P_SEA}, {1}, NULL, 0, 32},
	{"punctuation", {P_PUNCT}, {1}, NULL, 0, 32},
	{"end of sentence: . ! ?", {P_END}, {1}, NULL, 0, 32},
	{"people's names (Anna, Tom, Maria)", {P_NAME}, {1}, NULL, 0, 32},
	{"colour words", {P_COLOUR}, {1}, NULL, 0, 32},
	{"animals", {P_ANIMAL}, {1}, NULL, 0, 32},
	{"food (bread, cheese, soup)", {P_FOOD}, {1}, NULL, 0, 32},
	{"weather (rain, fog, storm)", {P_WEATHER}, {1}, NULL, 0, 32},
	{"days, months and times of day", {P_TIME}, {1}, NULL, 0, 32},
	{"number words (one, two, ten)", {P_NUMWORD}, {1}, NULL, 0, 32},
	{"past-tense verbs (sailed, saw, carried)", {P_PAST}, {1}, NULL, 0, 32},
	{"a word after a space (dense)", {P_SPACE}, {1}, NULL, 0, 16},
	{"place names (London, Lisbon, Oslo)", {P_PLACE}, {1}, NULL, 0, 32},
	{"polysemantic: lantern, Tuesday, cheese", {P_POLY_A}, {1}, NULL, 0, 32},
	{"polysemantic: bridge, seven, quiet", {P_POLY_B}, {1}, NULL, 0, 32},
	{"sea creatures (sea AND animal: whale, crab, dolphin)", {P_SEA, P_ANIMAL}, {1, 1}, NULL, 0, 96},
	{"named seas (Atlantic, Pacific, Baltic): capitalised + sea + place", {P_CAP, P_SEA, P_PLACE},
	 {1, 1, 1}, NULL, 0, 124},
	{"the digits 8 and 9 only (the digits feature above a higher threshold)", {P_DIGIT}, {1},
	 NULL, 0, 119},
	{"a capitalised word with no space before it (a line's first word)", {P_CAP, P_SPACE},
	 {1, -1}, NULL, 0, 48},
	{"predicts ' the' next", {0}, {0}, " the", 0, 96},
	{"predicts '.' next", {0}, {0}, ".", 0, 96},
	{"predicts ' sea' next", {0}, {0}, " sea", 0, 96},
	{"digits or punctuation (an OR of two properties)", {P_DIGIT, P_PUNCT}, {1, 1}, NULL, 0, 48},
	{"no meaning: a random direction (noise)", {0}, {0}, NULL, 1, 16},
	{"no meaning: another random direction (noise)", {0}, {0}, NULL, 2, 16},
	{"core sea words only (sea, ocean, waves, tide)", {P_SEA}, {1}, NULL, 0, 100},
	{"food or animals (an OR of two properties)", {P_FOOD, P_ANIMAL}, {1, 1}, NULL, 0, 48},
	{"colours or weather (an OR of two properties)", {P_COLOUR, P_WEATHER}, {1, 1}, NULL, 0, 48},
	{"predicts ',' next", {0}, {0}, ",", 0, 96},
	{"dead: a direction no token has, so it never fires", {20}, {1}, NULL, 0, 32},
};

const int demo_n_features = (int)(sizeof feats / sizeof feats[0]);

const char *demo_feature_explanation(int i)
{
	return feats[i].explanation;
}

int demo_sae_write(const demo_vocab *v, const char *dir)
{
	int F = demo_n_features;
	signed char (*s)[DEMO_NCODE] = make_codes(v);
	float *enc = calloc((size_t)D * (size_t)F, sizeof *enc);
	float *dec = calloc((size_t)F * D, sizeof *dec);
	float *benc = calloc((size_t)F, sizeof *benc), *thr = calloc((size_t)F, sizeof *thr);
	float *bdec = calloc(D, sizeof *bdec);
	for (int k = 0; k < F; k++) {
		const feat *f = &feats[k];
		int vec[D];
		if (f->next_token) {
			int id = demo_vocab_find(v, f->next_token, (int)strlen(f->next_token));
			if (id < 0) {
				fprintf(stderr, "demo_gen: no token '%s'\n", f->next_token);
				return -1;
			}
			code_vec(s[id], CODE_NA, DEMO_NCODE, vec);
		} else if (f->noise) {
			uint64_t rng = 0xD1CE0000u + (uint64_t)f->noise;
			signed char r[DEMO_NCODE];
			for (int j = 0; j < DEMO_NCODE; j++)
				r[j] = demo_rng(&rng) & 1 ? 1 : -1;
			code_vec(r, 0, DEMO_NCODE, vec);
		} else {
			for (int i = 0; i < D; i++) {
				vec[i] = 0;
				for (int q = 0; q < 3 && f->coef[q]; q++)
					vec[i] += f->coef[q] * H(f->rows[q], i);
			}
		}
		int64_t ss = 0;
		for (int i = 0; i < D; i++)
			ss += (int64_t)vec[i] * vec[i];
		double inv = 1.0 / sqrt((double)ss);
		for (int i = 0; i < D; i++) {
			float x = (float)(vec[i] * inv);
			enc[(size_t)i * (size_t)F + (size_t)k] = x;
			dec[(size_t)k * D + (size_t)i] = x;
		}
		thr[k] = (float)f->thr32 / 32.0f;
	}
	demo_tensor t[] = {
		{"W_enc", 2, {D, F}, enc}, {"W_dec", 2, {F, D}, dec}, {"b_enc", 1, {F, 0}, benc},
		{"b_dec", 1, {D, 0}, bdec}, {"threshold", 1, {F, 0}, thr},
	};
	char path[4096];
	snprintf(path, sizeof path, "%s/sae_weights.safetensors", dir);
	int rc = demo_safetensors_write(path, t, sizeof t / sizeof t[0]);
	FILE *cf = demo_open(dir, "cfg.json");
	if (cf)
		fprintf(cf, "{\n  \"architecture\": \"jumprelu\",\n  \"d_in\": %d,\n  \"d_sae\": %d,\n"
		        "  \"dtype\": \"float32\",\n  \"device\": \"cpu\",\n"
		        "  \"apply_b_dec_to_input\": true,\n  \"normalize_activations\": \"none\",\n"
		        "  \"metadata\": {\n    \"model_name\": \"saex-demo\",\n"
		        "    \"hook_name\": \"blocks.1.hook_resid_pre\",\n    \"hook_head_index\": null,\n"
		        "    \"context_size\": %d,\n    \"prepend_bos\": true,\n"
		        "    \"dataset_path\": \"demo-corpus.txt\",\n"
		        "    \"neuronpedia_id\": \"saex-demo/1-demo\",\n"
		        "    \"saex_demo\": \"constructed by hand, not trained: see data/demo_net.c\"\n"
		        "  }\n}\n",
		        D, F, DEMO_CTX);
	if (!cf || demo_close(cf, dir, "cfg.json"))
		rc = -1;
	free(s), free(enc), free(dec), free(benc), free(thr), free(bdec);
	return rc;
}
