/* Server names as readers take them: the labels at a name's right that blockd can match. */
#include "hostname.h"

int
hostname_label_ok(const uint8_t *l, size_t n)
{
	if (n == 0 || n > 63)
		return 0;
	for (size_t i = 0; i < n; i++) {
		uint8_t c = l[i];
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
			c == '-' || c == '_'))
			return 0;
	}
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
