/* cli_sig.h - which thread takes saex's signals.
 *
 * OpenBLAS starts its worker threads as it loads, before main, and a
 * thread inherits the signal mask of the one that starts it. With their
 * signals open, a SIGTERM sent to a stopped explorer (the shell's kill %1:
 * TERM, then CONT) could be taken by a worker while the main thread, woken
 * by the CONT, went on inside curses' Ctrl-Z handler and touched the
 * terminal from the background, which stops the whole process group
 * (SIGTTOU), the shell script that started saex included.
 *
 * So, in the saex program only: a pre-initialiser (run by the dynamic
 * loader before any library's constructor) blocks every signal, the
 * threads that libraries start then keep them blocked, and main calls
 * cli_sig_restore first to give its own thread the mask saex was started
 * with. Threads saex itself starts block them too (util_thread_start). */
#ifndef SAEX_CLI_SIG_H
#define SAEX_CLI_SIG_H

/* Restores the calling (main) thread's signal mask to the one the process
 * was started with. Call first thing in main. */
void cli_sig_restore(void);

#endif
