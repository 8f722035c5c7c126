// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* xml: text for XML documents (check's JUnit file, --ladder-svg) */
#include "xml.h"

/*
 * XML 1.0 text or attribute value: the five special characters as entities, a newline in an
 * attribute as a reference (or a parser makes it a space), and the control characters XML
 * does not allow even as references as U+FFFD.
 */
void xml__escape(FILE *f, const char *s, bool attr)
{
	for (; *s; s++) {
		unsigned char c = *s;

		switch (c) {
		case '&':
			fputs("&amp;", f);
			break;
		case '<':
			fputs("&lt;", f);
			break;
		case '>':
			fputs("&gt;", f);
			break;
		case '"':
			fputs("&quot;", f);
			break;
		case '\'':
			fputs("&apos;", f);
			break;
		case '\n':
		case '\t':
		case '\r':
			if (attr)
				fprintf(f, "&#%d;", c);
			else
				fputc(c, f);
			break;
		default:
			if (c < 0x20 || c == 0x7f)
				fputs("\xef\xbf\xbd", f);
			else
				fputc(c, f);
		}
	}
}
