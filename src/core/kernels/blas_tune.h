/* blas_tune.h - OpenBLAS's settings that it reads only as it loads.
 *
 * Two of them, read from the environment before main, so that
 * blas_tune_reexec sets what is missing and runs the program again (the
 * same pid):
 *
 * - OPENBLAS_CORETYPE: an OpenBLAS older than the CPU (Debian 12's 0.3.21
 *   on a 2023 Xeon, say) does not recognise it and falls back to its
 *   generic "Prescott" (SSE3) kernels, several times slower than the AVX2
 *   or AVX-512 ones the CPU runs. Set when OpenBLAS chose Prescott and the
 *   CPU has AVX-512 (F, BW, VL, DQ, CD: "SkylakeX") or AVX2 with FMA
 *   ("Haswell").
 * - OPENBLAS_THREAD_TIMEOUT: OpenBLAS starts its worker threads as it
 *   loads, and after each product they spin (sched_yield) for 2^28
 *   cycles, about 0.1 s, before they sleep. A command's start-up (the
 *   tokenizer, the weights' and the SAE's loads, on threads of their own)
 *   lost a core of two to that spinning: 15 ms of a 100 ms `saex run` on
 *   GPT-2. Set to 22 (2^22 cycles, about 1.5 ms) when unset.
 *
 * It does nothing when SAEX_NO_BLAS_TUNE is set or both are settled (set
 * by the user, or not needed). Returns only when it did nothing or the
 * exec failed. */
#ifndef SAEX_BLAS_TUNE_H
#define SAEX_BLAS_TUNE_H

void blas_tune_reexec(char **argv);

#endif
