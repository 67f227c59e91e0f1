/* blas_tune.h - picking OpenBLAS's kernels where it cannot itself.
 *
 * An OpenBLAS older than the CPU (Debian 12's 0.3.21 on a 2023 Xeon, say)
 * does not recognise it and falls back to its generic "Prescott" (SSE3)
 * kernels, several times slower than the AVX2 or AVX-512 ones the CPU
 * runs. OpenBLAS reads OPENBLAS_CORETYPE only as it loads, before main, so
 * blas_tune_reexec sets it and runs the program again (the same pid).
 *
 * It does nothing when OPENBLAS_CORETYPE or SAEX_NO_BLAS_TUNE is set, when
 * OpenBLAS chose kernels other than Prescott, or when the CPU has neither
 * AVX-512 (F, BW, VL, DQ, CD: "SkylakeX") nor AVX2 with FMA ("Haswell").
 * Returns only when it did nothing or the exec failed. */
#ifndef SAEX_BLAS_TUNE_H
#define SAEX_BLAS_TUNE_H

void blas_tune_reexec(char **argv);

#endif
