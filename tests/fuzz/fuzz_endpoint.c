/*
 * Redis and sentinel addresses (src/common/net.h): pu_endpoint_parse().
 * What parses must be exactly "unix:" PATH, or [tcp://]HOST:PORT with
 * PORT 1..65535 in digits and an IPv6 HOST in brackets, and the parts
 * must put the input back together.
 */
#include "common/net.h"
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct pu_endpoint ep;
	struct pu_err err = { PU_OK, "" };
	enum pu_status st;
	char *spec, back[512];
	unsigned long port;

	if (size > 2048)
		return -1;
	spec = fuzz_cstr(data, size);
	if (spec == NULL)
		return -1;
	memset(&ep, 0x5a, sizeof(ep));
	st = pu_endpoint_parse(spec, &ep, &err);
	if (st != PU_OK) {
		fuzz_check_err(st, &err);
		FUZZ_CHECK(st == PU_CONFIG);
		free(spec);
		return 0;
	}
	FUZZ_TERMINATED(ep.path);
	FUZZ_TERMINATED(ep.host);
	FUZZ_TERMINATED(ep.port);
	if (ep.is_unix) {
		FUZZ_CHECK(ep.path[0] == '/');
		snprintf(back, sizeof(back), "unix:%s", ep.path);
		FUZZ_CHECK(strcmp(back, spec) == 0);
		free(spec);
		return 0;
	}
	FUZZ_CHECK(ep.host[0] != '\0');
	FUZZ_CHECK(ep.port[0] != '\0' &&
		   strspn(ep.port, "0123456789") == strlen(ep.port));
	port = strtoul(ep.port, NULL, 10);
	FUZZ_CHECK(port >= 1 && port <= 65535);
	{
		bool tls = strncmp(spec, "rediss://", 9) == 0;
		const char *hp = strncmp(spec, "tcp://", 6) == 0 ? spec + 6 :
				 tls ? spec + 9 : spec;
		bool bracket = hp[0] == '[';

		FUZZ_CHECK(ep.tls == tls);

		/* an IPv6 address only in brackets */
		if (!bracket)
			FUZZ_CHECK(strchr(ep.host, ':') == NULL);
		snprintf(back, sizeof(back), "%.*s%s%s%s:%s", (int)(hp - spec),
			 spec, bracket ? "[" : "", ep.host, bracket ? "]" : "",
			 ep.port);
	}
	FUZZ_CHECK(strcmp(back, spec) == 0);
	free(spec);
	return 0;
}
