/* blockrules: program entry point. */
#include <stdio.h>
#include <string.h>

int
main(int argc, char *argv[])
{
	if (argc > 1 && strcmp(argv[1], "-V") == 0) {
		printf("blockrules %s\n", BLOCKD_VERSION);
		return 0;
	}
	fprintf(stderr, "usage: blockrules -V\n");
	return 1;
}
