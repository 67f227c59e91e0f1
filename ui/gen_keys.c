/* gen_keys.c - prints the man page's key table (roff) from the action
 * table: `make man-keys` writes it to man/keys.roff; a test compares. */
#include "config.h"
#include "actions.h"

int main(void)
{
	action_write_roff(stdout);
	return ferror(stdout) ? 1 : 0;
}
