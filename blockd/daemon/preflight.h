/* What start needs, checked without changing anything: blockd -n runs it, and so does every start, first. */
#ifndef BLOCKD_PREFLIGHT_H
#define BLOCKD_PREFLIGHT_H

#include <stddef.h>

#include "base/config.h"

#define NOTICE_TEMPLATE_MAX 8192 /* bytes of a notice template file */

/*
 * preflight(): every file, user, group and directory cfg names is there and
 * usable: the service user and the control and override groups, the notice
 * template, the trusted keys (a readable keys_dir; one with no key yet is
 * only warned about, as nothing can be accepted until one comes), the public
 * suffix list, the shared-infrastructure lists, the allowlist, the state and
 * log directories. Nothing is created or changed. 0, or -1 with every problem
 * in err, one a line, each naming the key or the file.
 */
int preflight(const struct blockd_config *cfg, char *err, size_t errlen);

/*
 * notice_template_load(): the notice page template at path, read and checked
 * (size, known {{...}} fields). 0 and *out (malloc'd, the caller frees), or -1
 * with "[http] notice_template: PATH: reason" in err.
 */
int notice_template_load(const char *path, char **out, char *err, size_t errlen);

#endif
