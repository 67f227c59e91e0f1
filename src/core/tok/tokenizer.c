/* tokenizer.c - the public tokenizer: loading a folder, encoding through
 * the pipeline, decoding, and what a token looks like. See saex_tok.h. */
#include "config.h"
#include "tok_int.h"
#include "tensor_util.h"

#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

/* saex_tok_bytes' answers, each made when first asked for. */
struct tok_lone {
	char **bytes;             /* per id, or NULL */
	uint32_t *len;
	uint32_t n;
};

/* ---------------------------------------------------------------- BOS
 * The BOS a model uses: the special token the post-processor's template
 * puts first (Llama 3, Gemma); else, as TransformerLens, the tokenizer's
 * bos_token, or its eos_token when it has none (tokenizer_config.json,
 * read by saex_tok_load); else <|endoftext|> (GPT-2, GPT-NeoX, Qwen). */
static int64_t tok_template_bos(const saex_tok *t)
{
	for (size_t i = 0; i < t->npost; i++)
		if (t->post[i].template && t->post[i].n && t->post[i].ids[0] != TOK_NONE)
			return t->post[i].ids[0];
	return -1;
}

static void tok_default_bos(saex_tok *t)
{
	t->bos = tok_template_bos(t);
	if (t->bos < 0)
		t->bos = tok_vocab_find(&t->vocab, "<|endoftext|>", 13);
}

/* A special token named in tokenizer_config.json: "name" or {"content": "name"}. */
static int64_t tok_config_token(const saex_tok *t, json_t *cfg, const char *key)
{
	json_t *v = json_object_get(cfg, key);
	if (json_is_object(v))
		v = json_object_get(v, "content");
	if (!json_is_string(v))
		return -1;
	return tok_vocab_find(&t->vocab, json_string_value(v), json_string_length(v));
}

static void tok_config_bos(saex_tok *t, const char *dir)
{
	if (tok_template_bos(t) >= 0)
		return;
	char *path = malloc(strlen(dir) + 32);
	if (!path)
		return;
	sprintf(path, "%s/tokenizer_config.json", dir);
	json_t *cfg = tensor_json_optional(path); /* optional: a bad one changes nothing */
	free(path);
	int64_t id = tok_config_token(t, cfg, "bos_token");
	if (id < 0)
		id = tok_config_token(t, cfg, "eos_token");
	if (id >= 0)
		t->bos = id;
	json_decref(cfg);
}

/* ---------------------------------------------------------------- loading */
static int tok_is_file(const char *path)
{
	struct stat st;
	return lstat(path, &st) == 0;
}

saex_tok *saex_tok_load(const char *dir, char *err, size_t errlen)
{
	struct stat st;
	if (stat(dir, &st) != 0) {
		tensor_fail(err, errlen, "%s: %s", dir, strerror(errno));
		return NULL;
	}
	if (!S_ISDIR(st.st_mode)) {
		tensor_fail(err, errlen, "%s: not a folder", dir);
		return NULL;
	}
	size_t dl = strlen(dir);
	char *v = malloc(dl + 32), *m = malloc(dl + 32), *j = malloc(dl + 32);
	saex_tok *t = NULL;
	if (!v || !m || !j) {
		tensor_fail(err, errlen, "%s: out of memory", dir);
	} else {
		sprintf(v, "%s/vocab.json", dir);
		sprintf(m, "%s/merges.txt", dir);
		sprintf(j, "%s/tokenizer.json", dir);
		if (tok_is_file(j))
			t = saex_tok_load_json(j, err, errlen);
		else if (tok_is_file(v) && tok_is_file(m))
			t = saex_tok_load_files(v, m, err, errlen);
		else
			tensor_fail(err, errlen, "%s: no tokenizer here (it needs tokenizer.json, or vocab.json and "
			            "merges.txt)", dir);
	}
	if (t)
		tok_config_bos(t, dir);
	free(v);
	free(m);
	free(j);
	return t;
}

static void tok_lone_free(struct tok_lone *l)
{
	if (!l)
		return;
	for (uint32_t i = 0; i < l->n; i++)
		free(l->bytes[i]);
	free(l->bytes);
	free(l->len);
	free(l);
}

void saex_tok_free(saex_tok *t)
{
	if (!t)
		return;
	tok_vocab_free(&t->vocab);
	tok_added_free(&t->added);
	for (size_t i = 0; i < t->nnorm; i++)
		tok_norm_free(&t->norm[i]);
	free(t->norm);
	for (size_t i = 0; i < t->npre; i++)
		tok_pre_free(&t->pre[i]);
	free(t->pre);
	tok_bpe_free(&t->bpe);
	for (size_t i = 0; i < t->npost; i++)
		free(t->post[i].ids);
	free(t->post);
	for (size_t i = 0; i < t->ndec; i++)
		tok_dec_free(&t->dec[i]);
	free(t->dec);
	tbuf_free(&t->in);
	tbuf_free(&t->normed);
	free(t->segs.p);
	free(t->nsegs.p);
	tok_lone_free(t->lone);
	if (t->cache_map)
		munmap(t->cache_map, t->cache_len);
	free(t);
}

/* ---------------------------------------------------------------- encoding */

/* The text as escaped UTF-8: NULL when it is valid UTF-8 already (use it
 * as it is), else t->in. */
static const char *tok_escape_input(saex_tok *t, const char *text, size_t n, size_t *len)
{
	size_t i = 0;
	uint32_t cp;
	while (i < n) {
		if ((unsigned char)text[i] < 0x80) {
			i++;
			continue;
		}
		size_t k = saex_utf8_decode((const unsigned char *)text + i, n - i, &cp);
		if (!k)
			break;
		i += k;
	}
	if (i == n)
		return NULL;
	t->in.n = 0;
	tbuf_add(&t->in, text, i);
	while (i < n) {
		size_t k = saex_utf8_decode((const unsigned char *)text + i, n - i, &cp);
		if (k) {
			tbuf_add(&t->in, text + i, k);
			i += k;
		} else {
			tok_put_cp(&t->in, 0xdc00 + (unsigned char)text[i]);
			i++;
		}
	}
	*len = t->in.n;
	return t->in.p;
}

/* One segment of the text between raw added tokens: normalized, split by
 * the normalized added tokens, pre-tokenized, through the model. */
static int tok_encode_segment(saex_tok *t, const char *s, size_t n, int first, tids *out, char *msg,
                              size_t msglen)
{
	if (t->nnorm) {
		if (tok_normalize(t->norm, t->nnorm, s, n, &t->normed, msg, msglen))
			return -1;
		s = t->normed.p;
		n = t->normed.n;
	}
	if (!t->added.any_norm)
		return tok_pre_run(t, 0, s, n, first, out, msg, msglen);
	t->nsegs.n = 0;
	tok_added_split(&t->added, &t->added.norm, s, n, &t->nsegs);
	if (t->nsegs.oom) {
		snprintf(msg, msglen, "out of memory");
		return -1;
	}
	for (size_t i = 0; i < t->nsegs.n; i++) {
		tok_seg g = t->nsegs.p[i];
		if (g.id != TOK_NONE)
			tids_add(out, g.id);
		else if (tok_pre_run(t, 0, s + g.a, g.b - g.a, first && g.a == 0, out, msg, msglen))
			return -1;
	}
	return 0;
}

/* The post-processor's special tokens around ids[0..n) (in out, n at its
 * start); without any, the BOS before them. */
static void tok_post_process(const saex_tok *t, tids *out)
{
	size_t n = out->n;
	int added = 0;
	for (size_t k = 0; k < t->npost; k++) {
		const tok_post *p = &t->post[k];
		if (!p->template)
			continue;
		tids nx = {0};
		for (size_t i = 0; i < p->n; i++) {
			if (p->ids[i] != TOK_NONE) {
				tids_add(&nx, p->ids[i]);
				added = 1;
			} else if (n && tids_reserve(&nx, n) == 0) {
				memcpy(nx.p + nx.n, out->p, n * sizeof *out->p);
				nx.n += n;
			}
		}
		if (nx.oom) {
			tids_free(&nx);
			out->oom = 1;
			return;
		}
		tids_free(out);
		*out = nx;
		n = out->n;
	}
	if (!added && t->bos >= 0 && tids_reserve(out, 1) == 0) {
		memmove(out->p + 1, out->p, out->n * sizeof *out->p);
		out->p[0] = (uint32_t)t->bos;
		out->n++;
	}
}

int saex_tok_encode_ids(saex_tok *t, const char *text, size_t n, unsigned flags, uint32_t **ids, size_t *count,
                        char *err, size_t errlen)
{
	tids out = {0};
	char msg[300];
	*ids = NULL;
	*count = 0;
	const char *s = text;
	size_t len = n;
	const char *esc = tok_escape_input(t, text, n, &len);
	if (esc)
		s = esc;
	int rc = t->in.oom ? -1 : 0;
	if (rc)
		snprintf(msg, sizeof msg, "out of memory");
	t->segs.n = 0;
	if (rc == 0 && t->added.any_raw)
		tok_added_split(&t->added, &t->added.raw, s, len, &t->segs);
	else if (rc == 0 && len)
		tok_segs_add(&t->segs, 0, len, TOK_NONE);
	if (rc == 0 && t->segs.oom) {
		snprintf(msg, sizeof msg, "out of memory");
		rc = -1;
	}
	for (size_t i = 0; rc == 0 && i < t->segs.n; i++) {
		tok_seg g = t->segs.p[i];
		if (g.id != TOK_NONE)
			tids_add(&out, g.id);
		else
			rc = tok_encode_segment(t, s + g.a, g.b - g.a, g.a == 0, &out, msg, sizeof msg);
	}
	if (rc == 0 && (flags & SAEX_TOK_SPECIAL))
		tok_post_process(t, &out);
	if (rc == 0 && out.oom) {
		snprintf(msg, sizeof msg, "out of memory");
		rc = -1;
	}
	t->in.oom = 0;
	t->normed.oom = 0;
	t->segs.oom = 0;
	t->nsegs.oom = 0;
	if (rc) {
		tids_free(&out);
		return tensor_fail(err, errlen, "tokenizer: %s", msg);
	}
	*ids = out.p ? out.p : malloc(sizeof(uint32_t));
	*count = out.n;
	if (!*ids)
		return tensor_fail(err, errlen, "tokenizer: out of memory");
	return 0;
}

uint32_t *saex_tok_encode(saex_tok *t, const char *text, size_t n, int bos, size_t *count)
{
	uint32_t *ids;
	if (saex_tok_encode_ids(t, text, n, bos ? SAEX_TOK_SPECIAL : 0, &ids, count, NULL, 0))
		return NULL;
	return ids;
}

/* ---------------------------------------------------------------- decoding */
/* The ids' strings as a token list; -1 when an id has no token. */
static int tok_strings(const saex_tok *t, const uint32_t *ids, size_t n, tok_strs *out)
{
	for (size_t i = 0; i < n; i++) {
		size_t k;
		const char *s = tok_vocab_str(&t->vocab, ids[i], &k);
		if (!s)
			return -1;
		size_t a = out->text.n;
		tbuf_add(&out->text, s, k);
		tok_spans_add(&out->at, a, a + k, 0);
	}
	return 0;
}

/* ids through the decoders; first: the index of ids[0] in the sequence. */
static char *tok_decode_at(const saex_tok *t, const uint32_t *ids, size_t n, size_t first, size_t *len)
{
	tok_strs toks = {0};
	tbuf out = {0};
	char msg[256];
	int rc = tok_strings(t, ids, n, &toks);
	if (rc == 0 && (toks.text.oom || toks.at.oom))
		rc = -1;
	if (rc == 0)
		rc = tok_decode_chain(t->dec, t->ndec, t->has_decoder, &toks, first, &out, msg, sizeof msg);
	tok_strs_free(&toks);
	if (rc == 0)
		tbuf_add(&out, "", 0);
	if (rc || out.oom) {
		tbuf_free(&out);
		return NULL;
	}
	if (len)
		*len = out.n;
	return out.p;
}

char *saex_tok_decode(const saex_tok *t, const uint32_t *ids, size_t n, size_t *len)
{
	return tok_decode_at(t, ids, n, 0, len);
}

const char *saex_tok_bytes(const saex_tok *t, uint32_t id, size_t *len)
{
	size_t k;
	if (!tok_vocab_str(&t->vocab, id, &k))
		return NULL;
	struct tok_lone *l = t->lone;
	if (!l || id >= l->n)
		return NULL;
	if (!l->bytes[id]) {
		size_t n = 0;
		char *b = tok_decode_at(t, &id, 1, 1, &n);
		if (!b || n >= UINT32_MAX) {
			free(b);
			return NULL;
		}
		l->bytes[id] = b;
		l->len[id] = (uint32_t)n;
	}
	*len = l->len[id];
	return l->bytes[id];
}

/* ---------------------------------------------------------------- spellings
 * Neuronpedia's exports spell a token as its vocabulary string with these
 * replacements, in this order (SAEDashboard's HTML_ANOMALIES, applied to
 * every model's vocabulary): byte-level forms of common punctuation, the
 * space, newline and tab. */
static const char *const tok_np_spelling[][2] = {
	{"\xc3\xa2\xc4\xa2\xc4\xb6", "\xe2\x80\x94"}, /* âĢĶ -> — */
	{"\xc3\xa2\xc4\xa2\xc4\xb5", "\xe2\x80\x93"}, /* âĢĵ -> – */
	{"\xc3\xa2\xc4\xa2\xc4\xbe", "\xe2\x80\x9c"}, /* âĢľ -> “ */
	{"\xc3\xa2\xc4\xa2\xc4\xbf", "\xe2\x80\x9d"}, /* âĢĿ -> ” */
	{"\xc3\xa2\xc4\xa2\xc4\xba", "\xe2\x80\x98"}, /* âĢĺ -> ‘ */
	{"\xc3\xa2\xc4\xa2\xc4\xbb", "\xe2\x80\x99"}, /* âĢĻ -> ’ */
	{"\xc3\xa2\xc4\xa2\xc4\xad", " "},            /* âĢĭ (zero width space) -> space */
	{"\xc4\xa0", " "},                            /* Ġ -> space */
	{"\xc4\x8a", "\n"},                           /* Ċ -> newline */
	{"\xc4\x89", "\t"},                           /* ĉ -> tab */
};

/* s with every from replaced by to, into out. */
static void tok_replace_all(const char *s, size_t n, const char *from, const char *to, tbuf *out)
{
	size_t fl = strlen(from), tl = strlen(to);
	out->n = 0;
	for (size_t i = 0; i < n;) {
		if (i + fl <= n && memcmp(s + i, from, fl) == 0) {
			tbuf_add(out, to, tl);
			i += fl;
		} else {
			tbuf_addc(out, s[i++]);
		}
	}
	tbuf_add(out, "", 0);
}

char *saex_tok_token_text(const saex_tok *t, uint32_t id, size_t *len)
{
	size_t n;
	const char *s = tok_vocab_str(&t->vocab, id, &n);
	if (!s)
		return NULL;
	tbuf a = {0}, b = {0};
	tbuf_add(&a, s, n);
	for (size_t i = 0; i < sizeof tok_np_spelling / sizeof tok_np_spelling[0]; i++) {
		tok_replace_all(a.p, a.n, tok_np_spelling[i][0], tok_np_spelling[i][1], &b);
		tbuf x = a;
		a = b;
		b = x;
	}
	tbuf_free(&b);
	if (a.oom) {
		tbuf_free(&a);
		return NULL;
	}
	if (len)
		*len = a.n;
	return a.p;
}

/* ---------------------------------------------------------------- lookups */
int64_t saex_tok_find(const saex_tok *t, const char *bytes, size_t n)
{
	if (t->byte_level) {
		tbuf s = {0};
		for (size_t i = 0; i < n; i++)
			tok_put_cp(&s, tok_byte_char((unsigned char)bytes[i]));
		int64_t id = s.oom ? -1 : tok_vocab_find(&t->vocab, s.p ? s.p : "", s.n);
		tbuf_free(&s);
		if (id >= 0)
			return id;
	}
	int64_t id = tok_vocab_find(&t->vocab, bytes, n);
	if (id < 0 || t->byte_level)
		return id;
	size_t k;
	const char *b = saex_tok_bytes(t, (uint32_t)id, &k);
	return b && k == n && memcmp(b, bytes, n) == 0 ? id : -1;
}

uint32_t saex_tok_vocab_size(const saex_tok *t)
{
	uint32_t n = t->vocab.nid;
	while (n > 0 && t->vocab.at[n - 1].len == TOK_NONE)
		n--;
	return n;
}

int64_t saex_tok_bos(const saex_tok *t)
{
	return t->bos;
}

int saex_tok_is_special(const saex_tok *t, uint32_t id)
{
	return id < t->vocab.nid && (t->vocab.flag[id] & TOK_F_SPECIAL) != 0;
}

/* Called by both loaders once the pipeline is built. */
int tok_finish(saex_tok *t, char *err, size_t errlen)
{
	tok_default_bos(t);
	tok_vocab_compact(&t->vocab);
	t->lone = calloc(1, sizeof *t->lone);
	uint32_t n = saex_tok_vocab_size(t);
	if (t->lone) {
		t->lone->bytes = calloc(n ? n : 1, sizeof *t->lone->bytes);
		t->lone->len = calloc(n ? n : 1, sizeof *t->lone->len);
		t->lone->n = n;
	}
	if (!t->lone || !t->lone->bytes || !t->lone->len)
		return tensor_fail(err, errlen, "out of memory");
	return 0;
}

long saex_tok_bytelevel(const char *s, size_t n, char *out)
{
	const unsigned char *u = (const unsigned char *)s;
	long k = 0;
	for (size_t i = 0, len; i < n; i += len) {
		uint32_t cp;
		len = saex_utf8_decode(u + i, n - i, &cp); /* strict: stored text may be anything */
		int b = len ? tok_char_byte(cp) : -1;
		if (b < 0)
			return -1;
		out[k++] = (char)b;
	}
	return k;
}
