/* Fuzzes the configuration file loader (config_load) through a memory file. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

#include "config.h"
#include "fuzz.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int fd = -1;
	static FILE *sink;
	static char path[64];
	struct blockd_config c;

	if (fd == -1) {
		fd = memfd_create("fuzz.conf", MFD_CLOEXEC);
		sink = fopen("/dev/null", "w");
		if (fd == -1 || sink == NULL)
			abort();
		snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	}
	if (ftruncate(fd, 0) == -1 || pwrite(fd, data, size, 0) != (ssize_t)size)
		abort();
	if (config_load(&c, path, sink) == 0)
		config_print(&c, sink);
	return 0;
}
