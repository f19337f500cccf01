/* Server names as readers take them: the labels at a name's right that blockd can match. */
#include "hostname.h"

/* The bytes a label may hold: letters, digits, '-' and '_'. */
static const uint8_t label_byte[256] = {
    ['0' ... '9'] = 1,
    ['A' ... 'Z'] = 1,
    ['a' ... 'z'] = 1,
    ['-'] = 1,
    ['_'] = 1,
};

int
hostname_label_ok(const uint8_t *l, size_t n)
{
	if (n == 0 || n > 63)
		return 0;
	for (size_t i = 0; i < n; i++)
		if (!label_byte[l[i]])
			return 0;
	return 1;
}

size_t
hostname_right(const uint8_t *name, size_t end, size_t max)
{
	size_t start = end, pos = end;

	while (pos > 0) {
		size_t l = pos;
		while (l > 0 && name[l - 1] != '.')
			l--;
		/* A run longer than any name is no matchable one. */
		if (end - l > max || !hostname_label_ok(name + l, pos - l))
			break;
		start = l;
		if (l == 0)
			break;
		pos = l - 1;
	}
	return start;
}
