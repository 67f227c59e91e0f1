/* saex_steer.h - part of libsaex's public interface (included by saex.h):
 * steering a model with SAE features, as Neuronpedia does it.
 *
 * A steering set holds any number of (SAE, feature, strength) entries, a
 * global multiplier and a method, and gives the hooks to pass to
 * saex_generate or saex_model_forward: one per distinct hook point, each
 * applied at every position the run computes. An entry acts where its
 * SAE's decoder writes, hook_name_out: an SAE's own hook, a transcoder's
 * output hook.
 *   add (default):  x <- x + (strength * multiplier) * W_dec[feature]
 *                   (saex_sae_decoder_row) for every entry at that hook
 *                   (they add up).
 *   clamp:          per SAE at that hook, per position: f = encode(x) (a
 *                   transcoder: of what its input hook held earlier in the
 *                   same pass, after any steering there); f' = f with
 *                   f'[feature] = strength * multiplier for each of its
 *                   entries; x <- x + decode(f') - decode(f), i.e. decode(f')
 *                   plus the SAE's error term x - decode(f).
 * SAEs at the same hook are applied in the order their first entry was
 * added. The set borrows the SAEs: they must outlive it and its hooks. */
#ifndef SAEX_STEER_H
#define SAEX_STEER_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef enum saex_steer_method { SAEX_STEER_ADD = 0, SAEX_STEER_CLAMP = 1 } saex_steer_method;

typedef struct saex_steer saex_steer;

/* A new, empty set for model m (which gives the hook widths). Free with
 * saex_steer_free. */
saex_steer *saex_steer_new(const saex_model *m, saex_steer_method method, float multiplier);
void saex_steer_free(saex_steer *s); /* NULL is allowed */

/* Adds one entry. Returns 0, or -1 with err filled when the SAE does not
 * fit the model (saex_sae_fits says why), the feature is out of range, the
 * strength is not finite, or memory runs out. */
int saex_steer_add(saex_steer *s, const saex_sae *sae, int64_t feature, float strength, char *err, size_t errlen);

/* The hooks, in memory owned by s (valid until the next add or the free);
 * their number in *n. */
const saex_hook *saex_steer_hooks(saex_steer *s, size_t *n);

/* "add" / "clamp"; saex_steer_method_parse returns -1 for other names. */
const char *saex_steer_method_name(saex_steer_method m);
int saex_steer_method_parse(const char *name, saex_steer_method *m);

#ifdef __cplusplus
}
#endif
#endif
