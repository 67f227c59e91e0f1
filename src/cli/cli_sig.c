/* cli_sig.c - signals kept away from library threads (see cli_sig.h). */
#include "config.h"
#include "cli_sig.h"

#include <signal.h>

static sigset_t cli_sig_start;
static int cli_sig_saved;

static void cli_sig_block_all(int argc, char **argv, char **envp)
{
	(void)argc;
	(void)argv;
	(void)envp;
	sigset_t all;
	sigfillset(&all);
	if (sigprocmask(SIG_BLOCK, &all, &cli_sig_start) == 0)
		cli_sig_saved = 1;
}

#if defined(__ELF__) && defined(__GNUC__)
/* ELF runs an executable's .preinit_array before the constructors of the
 * shared libraries it loads (glibc: _dl_init). */
__attribute__((section(".preinit_array"), used)) static void (*const cli_sig_preinit)(
    int, char **, char **) = cli_sig_block_all;
#endif

void cli_sig_restore(void)
{
	if (cli_sig_saved)
		sigprocmask(SIG_SETMASK, &cli_sig_start, NULL);
}
