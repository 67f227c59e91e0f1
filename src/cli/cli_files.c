/* cli_files.c - the commands' output files: never one of their inputs. */
#include "config.h"
#include "cli.h"
#include "outfile.h"

int cli_check_output(const char *cmd, const char *out, const char *const *inputs, size_t n)
{
	char why[1200];
	if (out && outfile_check(out, inputs, n, why, sizeof why))
		return cli_fail(cmd, CLI_DATA, "%s", why);
	return 0;
}
