// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* check_flake: failures of tcpclose check --repeat counted by scenario and field */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "check_flake.h"

void check_flake__field(const char *line, char *buf, size_t len)
{
	snprintf(buf, len, "%.*s", (int)strcspn(line, ":"), line);
}

static struct check_flake *flakes__get(struct check_flakes *fl, const char *scenario,
				       const char *field)
{
	struct check_flake *v;

	for (int i = 0; i < fl->n; i++)
		if (!strcmp(fl->v[i].scenario, scenario) && !strcmp(fl->v[i].field, field))
			return &fl->v[i];
	if (fl->n == fl->cap) {
		v = realloc(fl->v, (fl->cap ? 2 * fl->cap : 16) * sizeof(*v));
		if (!v)
			return NULL;
		fl->v = v;
		fl->cap = fl->cap ? 2 * fl->cap : 16;
	}
	v = &fl->v[fl->n++];
	memset(v, 0, sizeof(*v));
	snprintf(v->scenario, sizeof(v->scenario), "%s", scenario);
	snprintf(v->field, sizeof(v->field), "%s", field);
	return v;
}

/* has an earlier line of d (before line i) the same field? */
static bool diffs__seen(const struct check_diffs *d, int i, const char *field)
{
	char other[CHECK_FLAKE_NAME];

	for (int k = 0; k < i; k++) {
		check_flake__field(d->line[k], other, sizeof(other));
		if (!strcmp(other, field))
			return true;
	}
	return false;
}

int check_flake__add_round(struct check_flakes *fl, const struct check_result *rs, int n)
{
	char field[CHECK_FLAKE_NAME];
	struct check_flake *f;
	bool failed = false;

	fl->rounds++;
	for (int i = 0; i < n; i++) {
		const struct check_diffs *d = &rs[i].diffs;

		if (rs[i].status == CHECK_PASS)
			continue;
		failed = true;
		fl->failures++;
		if (rs[i].status == CHECK_ERROR) {
			f = flakes__get(fl, rs[i].scenario, "error");
			if (!f)
				return -ENOMEM;
			f->rounds++;
			continue;
		}
		for (int k = 0; k < d->n; k++) {
			check_flake__field(d->line[k], field, sizeof(field));
			if (diffs__seen(d, k, field))
				continue;
			f = flakes__get(fl, rs[i].scenario, field);
			if (!f)
				return -ENOMEM;
			f->rounds++;
		}
	}
	fl->failed_rounds += failed;
	return 0;
}

void check_flake__print(FILE *f, const struct check_flakes *fl, const char *prefix)
{
	const struct check_flake **order = calloc(fl->n, sizeof(*order));
	int sw = 0, fw = 0, k;

	fprintf(f, "%sflakes over %d round%s: %d failed round%s, %d failure%s\n", prefix,
		fl->rounds, fl->rounds == 1 ? "" : "s", fl->failed_rounds,
		fl->failed_rounds == 1 ? "" : "s", fl->failures, fl->failures == 1 ? "" : "s");
	if (!order)
		return;
	/* the most frequent first; as first seen among equals (an insertion sort is stable) */
	for (int i = 0; i < fl->n; i++) {
		for (k = i; k > 0 && order[k - 1]->rounds < fl->v[i].rounds; k--)
			order[k] = order[k - 1];
		order[k] = &fl->v[i];
		if ((int)strlen(fl->v[i].scenario) > sw)
			sw = strlen(fl->v[i].scenario);
		if ((int)strlen(fl->v[i].field) > fw)
			fw = strlen(fl->v[i].field);
	}
	for (int i = 0; i < fl->n; i++)
		fprintf(f, "%s  %-*s %-*s  %d/%d\n", prefix, sw, order[i]->scenario, fw,
			order[i]->field, order[i]->rounds, fl->rounds);
	free(order);
}

void check_flake__free(struct check_flakes *fl)
{
	free(fl->v);
	memset(fl, 0, sizeof(*fl));
}
