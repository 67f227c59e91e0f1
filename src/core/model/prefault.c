/* prefault.c - the mapped weights a run will read, brought into the
 * process's page tables before it starts (saex_model_prefault). */
#include "config.h"
#include "saex.h"
#include "model_int.h"
#include "tensor_util.h"
#include "util.h"

#include <pthread.h>

typedef struct pf_share {
	const saex_model *m;
	int l0, l1;               /* blocks [l0, l1) */
	int unembed;
} pf_share;

static void pf_mat(const wmat *w)
{
	tensor_prefault(w->p, w->rows * w->cols * saex_dtype_size(w->dtype));
}

static void *pf_run(void *arg)
{
	const pf_share *s = arg;
	for (int l = s->l0; l < s->l1; l++)
		for (int k = W_FIRST_BLOCK; k < W_SLOTS; k++)
			pf_mat(&s->m->layers[l].m[k]);
	if (s->unembed)
		pf_mat(&s->m->unembed);
	return NULL;
}

/* Mapping pages is the kernel's CPU work (about 1 ms per 50 MB here), so
 * the later half of the blocks and W_U are mapped on a thread of their
 * own: a new process has a core to spare once its tokenizer has loaded. */
void saex_model_prefault(const saex_model *m, int last_layer, int unembed)
{
	if (last_layer < 0 || last_layer >= m->a.n_layers)
		last_layer = m->a.n_layers - 1;
	int mid = (last_layer + 1) / 2;
	pf_share low = {m, 0, mid, 0}, high = {m, mid, last_layer + 1, unembed};
	pthread_t th;
	int two = util_thread_start(&th, pf_run, &high) == 0;
	pf_run(&low);
	if (two)
		pthread_join(th, NULL);
	else
		pf_run(&high);
}
