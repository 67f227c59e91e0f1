/* prefault.c - the mapped weights a run will read, brought into the
 * process's page tables before it starts (saex_model_prefault). */
#include "config.h"
#include "saex.h"
#include "model_int.h"
#include "tensor_util.h"

static void pf_mat(const wmat *w)
{
	tensor_prefault(w->p, w->rows * w->cols * saex_dtype_size(w->dtype));
}

void saex_model_prefault(const saex_model *m, int last_layer, int unembed)
{
	if (last_layer < 0 || last_layer >= m->a.n_layers)
		last_layer = m->a.n_layers - 1;
	for (int l = 0; l <= last_layer; l++)
		for (int s = W_FIRST_BLOCK; s < W_SLOTS; s++)
			pf_mat(&m->layers[l].m[s]);
	if (unembed)
		pf_mat(&m->unembed);
}
