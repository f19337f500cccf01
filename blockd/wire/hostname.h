/* Server names as readers take them: the labels at a name's right that blockd can match. */
#ifndef BLOCKD_HOSTNAME_H
#define BLOCKD_HOSTNAME_H

#include <stddef.h>
#include <stdint.h>

/*
 * hostname_label_ok(): 1 if l[0..n) is a label blockd can match: 1 to 63
 * letters (either case), digits, '-' or '_' (servers take an underscore).
 */
int hostname_label_ok(const uint8_t *l, size_t n);

/*
 * hostname_right(): where the longest run of whole matchable labels at the
 * right of name[0..end) starts, at most max bytes long; end if its last
 * label is not matchable. A name matchable whole returns 0. Pure.
 */
size_t hostname_right(const uint8_t *name, size_t end, size_t max);

#endif
