// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* intern: shared copies of fixed-size values; see intern.h */
#include <stdlib.h>
#include <string.h>
#include "intern.h"

void intern__init(struct intern *in, size_t size)
{
	memset(in, 0, sizeof(*in));
	in->size = size;
}

void intern__free(struct intern *in)
{
	free(in->vals);
	free(in->refs);
	free(in->index);
	memset(in, 0, sizeof(*in));
}

static size_t val__hash(const struct intern *in, const void *val)
{
	const unsigned char *p = val;
	__u64 h = 0xcbf29ce484222325ULL, w;
	size_t i;

	/* eight bytes a step, not one: every head kept interns two values */
	for (i = 0; i + sizeof(w) <= in->size; i += sizeof(w)) {
		memcpy(&w, p + i, sizeof(w));
		h = (h ^ w) * 0x9e3779b97f4a7c15ULL;
		h ^= h >> 32;
	}
	for (; i < in->size; i++)
		h = (h ^ p[i]) * 0x100000001b3ULL;
	return (h ^ (h >> 29)) & (in->capindex - 1);
}

/* the slot of val's index, or the empty one where it would go */
static size_t val__slot(const struct intern *in, const void *val)
{
	size_t i = val__hash(in, val);

	while (in->index[i] &&
	       memcmp(in->vals + (size_t)(in->index[i] - 1) * in->size, val, in->size))
		i = (i + 1) & (in->capindex - 1);
	return i;
}

static int index__grow(struct intern *in)
{
	size_t cap = in->capindex ? in->capindex * 2 : 64;
	__u32 *old = in->index;
	size_t oldcap = in->capindex;

	in->index = calloc(cap, sizeof(*in->index));
	if (!in->index) {
		in->index = old;
		return -1;
	}
	in->capindex = cap;
	for (size_t i = 0; i < oldcap; i++)
		if (old[i])
			in->index[val__slot(in, in->vals + (size_t)(old[i] - 1) * in->size)] = old[i];
	free(old);
	return 0;
}

static long val__new(struct intern *in)
{
	__u32 id;

	if (in->free) {
		id = in->free - 1;
		in->free = in->refs[id];
		return id;
	}
	if (in->nvals == in->capvals) {
		__u32 cap = in->capvals ? in->capvals * 2 : 64;
		unsigned char *vals = realloc(in->vals, (size_t)cap * in->size);
		__u32 *refs;

		if (!vals)
			return -1;
		in->vals = vals;
		refs = realloc(in->refs, (size_t)cap * sizeof(*refs));
		if (!refs)
			return -1;
		in->refs = refs;
		in->capvals = cap;
	}
	return in->nvals++;
}

long intern__get(struct intern *in, const void *val)
{
	size_t slot;
	long id;

	if ((in->used + 1) * 4 > in->capindex * 3 && index__grow(in))
		return -1;
	slot = val__slot(in, val);
	if (in->index[slot]) {
		in->refs[in->index[slot] - 1]++;
		return in->index[slot] - 1;
	}
	id = val__new(in);
	if (id < 0)
		return -1;
	memcpy(in->vals + (size_t)id * in->size, val, in->size);
	in->refs[id] = 1;
	in->index[slot] = id + 1;
	in->used++;
	return id;
}

const void *intern__val(const struct intern *in, __u32 id)
{
	return in->vals + (size_t)id * in->size;
}

void intern__put(struct intern *in, __u32 id)
{
	size_t i, k, home;

	if (--in->refs[id])
		return;
	/* out of the index, the slots after it that probed past it moved back */
	i = val__slot(in, in->vals + (size_t)id * in->size);
	in->index[i] = 0;
	for (k = (i + 1) & (in->capindex - 1); in->index[k]; k = (k + 1) & (in->capindex - 1)) {
		home = val__hash(in, in->vals + (size_t)(in->index[k] - 1) * in->size);
		if (i <= k ? (home > i && home <= k) : (home > i || home <= k))
			continue;
		in->index[i] = in->index[k];
		in->index[k] = 0;
		i = k;
	}
	in->refs[id] = in->free;
	in->free = id + 1;
	in->used--;
}

size_t intern__bytes(const struct intern *in)
{
	return (size_t)in->capvals * (in->size + sizeof(__u32)) + in->capindex * sizeof(__u32);
}
