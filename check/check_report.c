// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* check_report: tcpclose check's results as a table, as TAP version 13, and as JUnit XML */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include "check_report.h"
#include "xml.h"

#define NAME_W 18

static const char *const status_names[] = {
	[CHECK_PASS] = "pass",
	[CHECK_FAIL] = "FAIL",
	[CHECK_ERROR] = "ERROR",
};

const char *check_report__status_name(enum check_status s)
{
	return s <= CHECK_ERROR ? status_names[s] : "?";
}

/* the lines of a multi-line text, each with a prefix */
static void lines__print(FILE *f, const char *prefix, const char *text)
{
	const char *p = text, *nl;

	while (p && *p) {
		nl = strchr(p, '\n');
		fprintf(f, "%s%.*s\n", prefix, nl ? (int)(nl - p) : (int)strlen(p), p);
		p = nl ? nl + 1 : NULL;
	}
}

void check_report__table_header(FILE *f)
{
	fprintf(f, "%-*s %-6s %7s  %s\n", NAME_W, "SCENARIO", "RESULT", "TIME", "WHAT DIFFERED");
}

void check_report__table_row(FILE *f, const struct check_result *r, bool verbose)
{
	const struct check_diffs *d = &r->diffs;
	char indent[64];

	fprintf(f, "%-*s %-6s %5.1f s%s%s\n", NAME_W, r->scenario,
		check_report__status_name(r->status), r->seconds, d->n ? "  " : "",
		d->n ? d->line[0] : "");
	snprintf(indent, sizeof(indent), "%*s", NAME_W + 17, "");
	for (int i = 1; i < d->n; i++)
		fprintf(f, "%s%s\n", indent, d->line[i]);
	if (d->more)
		fprintf(f, "%s(%d more differences)\n", indent, d->more);
	if (verbose || r->status == CHECK_FAIL)
		lines__print(f, verbose ? "    record: " : "    got: ", r->records);
	lines__print(f, "    ", r->ladders);
	fflush(f);
}

/* TAP */

void check_report__tap_plan(FILE *f, int n)
{
	fprintf(f, "TAP version 13\n1..%d\n", n);
	fflush(f);
}

/* a description may not hold a '#' unescaped: it would start a directive */
void check_report__tap_description(FILE *f, const char *s)
{
	for (; *s; s++) {
		if (*s == '#' || *s == '\\')
			fputc('\\', f);
		fputc(*s == '\n' ? ' ' : *s, f);
	}
}

/* a YAML double-quoted scalar */
void check_report__yaml_string(FILE *f, const char *s)
{
	fputc('"', f);
	for (; *s; s++) {
		unsigned char c = *s;

		if (c == '"' || c == '\\')
			fprintf(f, "\\%c", c);
		else if (c == '\n')
			fputs("\\n", f);
		else if (c == '\t')
			fputs("\\t", f);
		else if (c < 0x20 || c == 0x7f)
			fprintf(f, "\\x%02x", c);
		else
			fputc(c, f);
	}
	fputc('"', f);
}

static void yaml__list(FILE *f, const char *key, const char *text)
{
	const char *p = text, *nl;
	char line[512];

	if (!text || !*text)
		return;
	fprintf(f, "  %s:\n", key);
	while (p && *p) {
		nl = strchr(p, '\n');
		snprintf(line, sizeof(line), "%.*s", nl ? (int)(nl - p) : (int)strlen(p), p);
		fputs("    - ", f);
		check_report__yaml_string(f, line);
		fputc('\n', f);
		p = nl ? nl + 1 : NULL;
	}
}

void check_report__tap(FILE *f, int num, const struct check_result *r, bool verbose)
{
	const struct check_diffs *d = &r->diffs;

	fprintf(f, "%s %d - ", r->status == CHECK_PASS ? "ok" : "not ok", num);
	check_report__tap_description(f, r->scenario);
	fputc('\n', f);
	if (r->status == CHECK_PASS && !verbose) {
		fflush(f);
		return;
	}
	fputs("  ---\n", f);
	if (d->n) {
		fputs("  message: ", f);
		check_report__yaml_string(f, d->line[0]);
		fputc('\n', f);
	}
	fprintf(f, "  severity: %s\n", r->status == CHECK_PASS ? "none" :
		r->status == CHECK_FAIL ? "fail" : "error");
	fprintf(f, "  duration_ms: %.0f\n", r->seconds * 1e3);
	if (d->n) {
		fputs(r->status == CHECK_ERROR ? "  error:\n" : "  differences:\n", f);
		for (int i = 0; i < d->n; i++) {
			fputs("    - ", f);
			check_report__yaml_string(f, d->line[i]);
			fputc('\n', f);
		}
	}
	yaml__list(f, "records", r->records);
	yaml__list(f, "ladders", r->ladders);
	fputs("  ...\n", f);
	fflush(f);
}

/* JUnit */

void check_report__xml_text(FILE *f, const char *s)
{
	xml__escape(f, s, false);
}

static void junit__attr(FILE *f, const char *name, const char *value)
{
	fprintf(f, " %s=\"", name);
	xml__escape(f, value ? value : "", true);
	fputc('"', f);
}

static void junit__counts(FILE *f, const struct check_result *rs, int n, double seconds)
{
	int failures = 0, errors = 0;

	for (int i = 0; i < n; i++) {
		failures += rs[i].status == CHECK_FAIL;
		errors += rs[i].status == CHECK_ERROR;
	}
	fprintf(f, " tests=\"%d\" failures=\"%d\" errors=\"%d\" time=\"%.3f\"", n, failures,
		errors, seconds);
}

static void junit__testcase(FILE *f, const struct check_result *r)
{
	const struct check_diffs *d = &r->diffs;
	const char *what = r->status == CHECK_ERROR ? "error" : "failure";

	fputs("    <testcase", f);
	junit__attr(f, "name", r->scenario);
	junit__attr(f, "classname", "tcpclose.check");
	fprintf(f, " time=\"%.3f\">\n", r->seconds);
	if (r->status != CHECK_PASS) {
		fprintf(f, "      <%s", what);
		junit__attr(f, "message", d->n ? d->line[0] : "failed");
		junit__attr(f, "type", r->status == CHECK_ERROR ? "scenario" : "deviation");
		fputc('>', f);
		for (int i = 0; i < d->n; i++) {
			xml__escape(f, d->line[i], false);
			fputc('\n', f);
		}
		if (d->more)
			fprintf(f, "(%d more differences)\n", d->more);
		fprintf(f, "</%s>\n", what);
	}
	if (r->description) {
		fputs("      <system-out>", f);
		xml__escape(f, r->description, false);
		fputc('\n', f);
		xml__escape(f, r->records ? r->records : "", false);
		fputs("</system-out>\n", f);
	}
	fputs("    </testcase>\n", f);
}

static void junit__property(FILE *f, const char *name, const char *value)
{
	fputs("      <property", f);
	junit__attr(f, "name", name);
	junit__attr(f, "value", value);
	fputs("/>\n", f);
}

static void junit__suite(FILE *f, const char *name, const struct check_result *rs, int n,
			 double seconds, const struct check_run_info *info)
{
	char num[32];

	fputs("  <testsuite", f);
	junit__attr(f, "name", name);
	junit__counts(f, rs, n, seconds);
	fputs(" skipped=\"0\"", f);
	junit__attr(f, "timestamp", info->timestamp);
	junit__attr(f, "hostname", info->hostname);
	fputs(">\n    <properties>\n", f);
	junit__property(f, "kernel", info->kernel);
	snprintf(num, sizeof(num), "%u", info->hz);
	junit__property(f, "hz", num);
	fputs("    </properties>\n", f);
	for (int i = 0; i < n; i++)
		junit__testcase(f, &rs[i]);
	fputs("  </testsuite>\n", f);
}

int check_report__junit(const char *path, const struct check_result *rs, int n,
			const struct check_run_info *info)
{
	int rounds = info->rounds ? info->rounds : 1, err = 0;
	char name[64];
	FILE *f = fopen(path, "w");

	if (!f)
		return -errno;
	fputs("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites", f);
	junit__attr(f, "name", "tcpclose check");
	junit__counts(f, rs, rounds * n, info->seconds);
	fputs(">\n", f);
	if (!info->rounds)
		junit__suite(f, "tcpclose check", rs, n, info->seconds, info);
	for (int k = 0; k < info->rounds; k++) {
		snprintf(name, sizeof(name), "tcpclose check round %d", k + 1);
		junit__suite(f, name, rs + k * n, n, info->round_seconds[k], info);
	}
	fputs("</testsuites>\n", f);
	if (ferror(f))
		err = -EIO;
	if (fclose(f) && !err)
		err = -errno;
	return err;
}
