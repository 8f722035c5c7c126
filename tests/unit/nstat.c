// SPDX-License-Identifier: GPL-2.0
/* nstat: parsing the kernel's counter files into nstat names, and deltas */
#include "nstat.h"
#include "test.h"

static const char netstat_text[] =
	"TcpExt: SyncookiesSent TW TWRecycled TCPTimeWaitOverflow\n"
	"TcpExt: 0 12 1 0\n"
	"IpExt: InNoRoutes InOctets\n"
	"IpExt: 0 123456789012\n";

static const char snmp_text[] =
	"Tcp: RtoAlgorithm MaxConn ActiveOpens RetransSegs\n"
	"Tcp: 1 -1 3 7\n";

static const char snmp6_text[] =
	"Ip6InReceives                   	42\n"
	"Ip6InHdrErrors                  	0\n"
	"Icmp6InMsgs                     	3\n";

void test_nstat_parse_table(void)
{
	struct nstat s = { 0 };

	if (!ASSERT_OK(nstat__parse_table(&s, netstat_text), "parse netstat"))
		goto out;
	ASSERT_OK(nstat__parse_table(&s, snmp_text), "parse snmp");
	ASSERT_EQ(s.n, 10, "counters");
	ASSERT_EQ(nstat__get(&s, "TcpExtTW"), 12, "TcpExtTW");
	ASSERT_EQ(nstat__get(&s, "TcpExtTWRecycled"), 1, "TcpExtTWRecycled");
	ASSERT_EQ(nstat__get(&s, "IpExtInOctets"), 123456789012LL, "64-bit value");
	ASSERT_EQ(nstat__get(&s, "TcpMaxConn"), -1, "negative value");
	ASSERT_EQ(nstat__get(&s, "TcpRetransSegs"), 7, "TcpRetransSegs");
	ASSERT_EQ(nstat__get(&s, "TcpExtNoSuchCounter"), 0, "missing reads as 0");
out:
	nstat__free(&s);
}

void test_nstat_parse_list(void)
{
	struct nstat s = { 0 };
	long long v = -1;

	ASSERT_OK(nstat__parse_list(&s, snmp6_text), "parse snmp6");
	ASSERT_EQ(s.n, 3, "counters");
	ASSERT_OK(nstat__find(&s, "Ip6InReceives", &v), "find Ip6InReceives");
	ASSERT_EQ(v, 42, "Ip6InReceives");
	ASSERT_EQ(nstat__find(&s, "Ip6Nope", &v), -2, "missing is -ENOENT");
	nstat__free(&s);
}

void test_nstat_parse_malformed(void)
{
	struct nstat s = { 0 };

	ASSERT_NEQ(nstat__parse_table(&s, "TcpExt: A B\nTcpExt: 1\n"), 0, "fewer values");
	nstat__free(&s);
	ASSERT_NEQ(nstat__parse_table(&s, "TcpExt: A\nIpExt: 1\n"), 0, "prefixes differ");
	nstat__free(&s);
	ASSERT_NEQ(nstat__parse_table(&s, "TcpExt: A\nTcpExt: x\n"), 0, "not a number");
	nstat__free(&s);
	ASSERT_NEQ(nstat__parse_list(&s, "Ip6InReceives 1 2\n"), 0, "three fields");
	nstat__free(&s);
}

void test_nstat_delta(void)
{
	struct nstat a = { 0 }, b = { 0 }, d = { 0 };

	nstat__parse_table(&a, "TcpExt: TW TWKilled\nTcpExt: 5 2\n");
	nstat__parse_table(&b, "TcpExt: TW TWKilled TCPTimeWaitOverflow\nTcpExt: 9 2 1\n");
	if (ASSERT_OK(nstat__delta(&a, &b, &d), "delta")) {
		ASSERT_EQ(nstat__get(&d, "TcpExtTW"), 4, "TW delta");
		ASSERT_EQ(nstat__get(&d, "TcpExtTWKilled"), 0, "unchanged");
		ASSERT_EQ(nstat__get(&d, "TcpExtTCPTimeWaitOverflow"), 1, "new counter");
	}
	nstat__free(&a);
	nstat__free(&b);
	nstat__free(&d);
}

/* the real files of this namespace parse, and name what the tests rely on */
void test_nstat_read(void)
{
	struct nstat s = { 0 };
	long long v;

	if (!ASSERT_OK(nstat__read(&s), "read /proc/net"))
		return;
	ASSERT_GE(s.n, 100, "counters");
	ASSERT_OK(nstat__find(&s, "TcpExtTW", &v), "TcpExtTW present");
	ASSERT_OK(nstat__find(&s, "TcpRetransSegs", &v), "TcpRetransSegs present");
	ASSERT_OK(nstat__find(&s, "TcpExtTCPLossProbes", &v), "TcpExtTCPLossProbes present");
	nstat__free(&s);
}
