/* The safe open-and-read, the private directory check, secrets, hex, and
 * endpoints.  Runs as root: "not root's" files are chowned to 65534. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "common/file.h"
#include "common/hex.h"
#include "common/net.h"
#include "common/secret.h"

#define NOBODY ((uid_t)65534)

static char tmpdir[64];

static const char *path_of(const char *name)
{
	static char path[4][256];
	static int next;

	next = (next + 1) % 4;
	snprintf(path[next], sizeof(path[next]), "%s/%s", tmpdir, name);
	return path[next];
}

static const char *put_file(const char *name, mode_t mode, uid_t uid,
			    const void *data, size_t len)
{
	const char *p = path_of(name);
	int fd;

	unlink(p);
	fd = open(p, O_WRONLY | O_CREAT | O_EXCL, 0600);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, data, len), (ssize_t)len);
	assert_int_equal(close(fd), 0);
	assert_int_equal(chown(p, uid, (gid_t)-1), 0);
	assert_int_equal(chmod(p, mode), 0); /* after chown, which clears */
	return p;
}

static const char *put_text(const char *name, mode_t mode, uid_t uid,
			    const char *text)
{
	return put_file(name, mode, uid, text, strlen(text));
}

static int open_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	int n = 0;

	assert_non_null(d);
	while (readdir(d) != NULL)
		n++;
	closedir(d);
	return n;
}

static void on_alarm(int sig)
{
	static const char msg[] = "FAIL: blocked on a FIFO\n";

	(void)sig;
	(void)!write(2, msg, sizeof(msg) - 1);
	_exit(1);
}

static int setup(void **state)
{
	(void)state;
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/pu-unit.XXXXXX");
	if (mkdtemp(tmpdir) == NULL)
		return -1;
	signal(SIGALRM, on_alarm);
	return 0;
}

static int teardown(void **state)
{
	char cmd[128];

	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf %s", tmpdir);
	return system(cmd);
}

static struct pu_file_rules rules(enum pu_file_trust t, size_t max)
{
	struct pu_file_rules r = { t, max, false, PU_UNAVAIL, "test" };

	return r;
}

/* pu_file_read's status, the data checked and freed when PU_OK */
static enum pu_status read_as(const char *path, const struct pu_file_rules *r,
			      const void *want, size_t want_len)
{
	struct pu_err err = { PU_OK, "" };
	char *data = (char *)"unset";
	size_t len = 99;
	enum pu_status st = pu_file_read(path, r, &data, &len, &err);

	if (st == PU_OK && want != NULL) {
		assert_non_null(data);
		assert_int_equal(len, want_len);
		assert_memory_equal(data, want, len);
		assert_int_equal(data[len], '\0');
	}
	if (st != PU_OK) {
		assert_null(data);
		assert_int_equal(len, 0);
		assert_true(err.msg[0] != '\0');
		assert_int_equal(err.status, st);
	}
	pu_file_free(data, len);
	return st;
}

/* ---------------- pu_file_read ---------------- */

static void reads_a_regular_file(void **state)
{
	static const char bin[] = "a\0b\nc";
	struct pu_file_rules r = rules(PU_TRUST_NONE, 100);
	const char *p = put_text("plain", 0644, 0, "hello\n");

	(void)state;
	assert_int_equal(read_as(p, &r, "hello\n", 6), PU_OK);
	p = put_file("bin", 0644, 0, bin, sizeof(bin) - 1);
	assert_int_equal(read_as(p, &r, bin, sizeof(bin) - 1), PU_OK);
	p = put_text("empty", 0644, 0, "");
	assert_int_equal(read_as(p, &r, "", 0), PU_OK);
	pu_file_free(NULL, 0);
}

static void symlink_refused(void **state)
{
	struct pu_file_rules r = rules(PU_TRUST_NONE, 100);
	struct pu_err err = { PU_OK, "" };
	char *data = NULL;
	size_t len = 0;
	const char *target = put_text("target", 0644, 0, "x");
	const char *link = path_of("link"), *dangling = path_of("dangling");

	(void)state;
	assert_int_equal(symlink(target, link), 0);
	assert_int_equal(read_as(target, &r, "x", 1), PU_OK);
	assert_int_equal(pu_file_read(link, &r, &data, &len, &err), PU_UNAVAIL);
	assert_null(data);
	assert_non_null(strstr(err.msg, "symbolic link"));
	/* a dangling link is not "missing", even when missing is fine */
	assert_int_equal(symlink(path_of("nothing-here"), dangling), 0);
	r.missing_ok = true;
	assert_int_equal(read_as(dangling, &r, NULL, 0), PU_UNAVAIL);
	/* the status is the caller's */
	r.fail = PU_CONFIG;
	assert_int_equal(read_as(link, &r, NULL, 0), PU_CONFIG);
	/* and without an err */
	assert_int_equal(pu_file_read(link, &r, &data, &len, NULL), PU_CONFIG);
	assert_null(data);
}

static void fifo_refused_without_blocking(void **state)
{
	struct pu_file_rules r = rules(PU_TRUST_NONE, 100);
	struct pu_err err = { PU_OK, "" };
	const char *fifo = path_of("fifo");
	int fd;

	(void)state;
	assert_int_equal(mkfifo(fifo, 0600), 0);
	alarm(5); /* a blocking open or read ends the test run */
	assert_int_equal(read_as(fifo, &r, NULL, 0), PU_UNAVAIL);
	r.missing_ok = true;
	assert_int_equal(read_as(fifo, &r, NULL, 0), PU_UNAVAIL);
	/* the replay store's lock file is opened read-write, creating */
	fd = pu_file_open(fifo, O_RDWR | O_CREAT, &r, NULL, &err);
	assert_int_equal(fd, -1);
	assert_non_null(strstr(err.msg, "not a regular file"));
}

/* also after a failed assertion: a stray alarm would end a later test */
static int cancel_alarm(void **state)
{
	(void)state;
	alarm(0);
	return 0;
}

static void not_a_regular_file(void **state)
{
	struct pu_file_rules r = rules(PU_TRUST_NONE, 1 << 20);
	struct pu_err err = { PU_OK, "" };
	char *data = NULL;
	size_t len = 0;
	const char *sock = path_of("sock");
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int s = socket(AF_UNIX, SOCK_STREAM, 0);

	(void)state;
	assert_int_equal(pu_file_read(tmpdir, &r, &data, &len, &err),
			 PU_UNAVAIL);
	assert_non_null(strstr(err.msg, "not a regular file"));
	assert_int_equal(read_as("/dev/null", &r, NULL, 0), PU_UNAVAIL);
	assert_int_equal(read_as("/", &r, NULL, 0), PU_UNAVAIL);
	/* a bound UNIX socket: open fails (ENXIO), refused all the same */
	assert_true(s >= 0);
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", sock);
	assert_int_equal(bind(s, (struct sockaddr *)&sa, sizeof(sa)), 0);
	r.missing_ok = true;
	assert_int_equal(read_as(sock, &r, NULL, 0), PU_UNAVAIL);
	close(s);
}

static void trust_rules(void **state)
{
	static const struct {
		enum pu_file_trust trust;
		mode_t mode;
		uid_t uid;
		enum pu_status st;
	} rows[] = {
		{ PU_TRUST_NONE, 0666, NOBODY, PU_OK },
		{ PU_TRUST_NONE, 0000, 0, PU_OK },
		{ PU_TRUST_CONFIG, 0644, 0, PU_OK },
		{ PU_TRUST_CONFIG, 0600, 0, PU_OK },
		{ PU_TRUST_CONFIG, 0444, 0, PU_OK },
		{ PU_TRUST_CONFIG, 0755, 0, PU_OK },
		{ PU_TRUST_CONFIG, 0664, 0, PU_CONFIG },
		{ PU_TRUST_CONFIG, 0646, 0, PU_CONFIG },
		{ PU_TRUST_CONFIG, 0620, 0, PU_CONFIG },
		{ PU_TRUST_CONFIG, 0602, 0, PU_CONFIG },
		{ PU_TRUST_CONFIG, 0644, NOBODY, PU_CONFIG },
		{ PU_TRUST_CONFIG, 0600, NOBODY, PU_CONFIG },
		{ PU_TRUST_SECRET, 0600, 0, PU_OK },
		{ PU_TRUST_SECRET, 0400, 0, PU_OK },
		{ PU_TRUST_SECRET, 0640, 0, PU_CONFIG },
		{ PU_TRUST_SECRET, 0604, 0, PU_CONFIG },
		{ PU_TRUST_SECRET, 0644, 0, PU_CONFIG },
		{ PU_TRUST_SECRET, 0700, 0, PU_CONFIG },
		{ PU_TRUST_SECRET, 0500, 0, PU_CONFIG },
		{ PU_TRUST_SECRET, 0200, 0, PU_CONFIG },
		{ PU_TRUST_SECRET, 0000, 0, PU_CONFIG },
		{ PU_TRUST_SECRET, 0440, 0, PU_CONFIG },
		{ PU_TRUST_SECRET, 04600, 0, PU_CONFIG },
		{ PU_TRUST_SECRET, 01600, 0, PU_CONFIG },
		{ PU_TRUST_SECRET, 0600, NOBODY, PU_CONFIG },
		{ PU_TRUST_SECRET, 0400, NOBODY, PU_CONFIG },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		struct pu_file_rules r = rules(rows[i].trust, 100);
		const char *p = put_text("trust", rows[i].mode, rows[i].uid,
					 "data");
		enum pu_status st;

		r.fail = PU_CONFIG;
		st = read_as(p, &r, "data", 4);
		if (st != rows[i].st)
			fail_msg("row %zu (trust %d, mode %04o, uid %u): %s",
				 i, rows[i].trust, (unsigned)rows[i].mode,
				 (unsigned)rows[i].uid, pu_status_name(st));
	}
}

static void size_cap(void **state)
{
	struct pu_file_rules r = rules(PU_TRUST_NONE, 10);
	char big[70000];
	const char *p;

	(void)state;
	p = put_text("ten", 0600, 0, "0123456789");
	assert_int_equal(read_as(p, &r, "0123456789", 10), PU_OK);
	p = put_text("eleven", 0600, 0, "0123456789a");
	assert_int_equal(read_as(p, &r, NULL, 0), PU_UNAVAIL);
	r.max = 0;
	assert_int_equal(read_as(p, &r, NULL, 0), PU_UNAVAIL);
	p = put_text("none", 0600, 0, "");
	assert_int_equal(read_as(p, &r, "", 0), PU_OK);
	/* larger than one read */
	memset(big, 'b', sizeof(big));
	p = put_file("big", 0600, 0, big, sizeof(big));
	r.max = sizeof(big);
	assert_int_equal(read_as(p, &r, big, sizeof(big)), PU_OK);
	r.max = sizeof(big) - 1;
	assert_int_equal(read_as(p, &r, NULL, 0), PU_UNAVAIL);
}

static void missing(void **state)
{
	struct pu_file_rules r = rules(PU_TRUST_SECRET, 100);
	struct pu_err err = { PU_OK, "" };
	char *data = (char *)"unset";
	size_t len = 99;
	const char *p = path_of("absent");
	bool gone = false;

	(void)state;
	/* missing_ok: PU_OK, no data */
	r.missing_ok = true;
	assert_int_equal(pu_file_read(p, &r, &data, &len, &err), PU_OK);
	assert_null(data);
	assert_int_equal(len, 0);
	/* not ok: the caller's failure, naming the path */
	r.missing_ok = false;
	assert_int_equal(pu_file_read(p, &r, &data, &len, &err), PU_UNAVAIL);
	assert_non_null(strstr(err.msg, "absent"));
	/* a missing directory on the way is missing too */
	r.missing_ok = true;
	assert_int_equal(read_as(path_of("no-dir/file"), &r, NULL, 0), PU_OK);
	assert_int_equal(pu_file_open(p, O_RDONLY, &r, &gone, &err), -1);
	assert_true(gone);
	assert_int_equal(pu_file_open(tmpdir, O_RDONLY, &r, &gone, &err), -1);
	assert_false(gone);
}

static void open_flags(void **state)
{
	struct pu_file_rules r = rules(PU_TRUST_CONFIG, 100);
	struct pu_err err = { PU_OK, "" };
	const char *p = put_text("flags", 0644, 0, "x");
	int fd;

	(void)state;
	fd = pu_file_open(p, O_RDONLY, &r, NULL, &err);
	assert_true(fd >= 0);
	/* O_NONBLOCK only guarded the open; CLOEXEC stays */
	assert_int_equal(fcntl(fd, F_GETFL) & O_NONBLOCK, 0);
	assert_int_not_equal(fcntl(fd, F_GETFD) & FD_CLOEXEC, 0);
	close(fd);
	/* creating, as the lock file is */
	r.trust = PU_TRUST_NONE;
	fd = pu_file_open(path_of("created"), O_RDWR | O_CREAT, &r, NULL, &err);
	assert_true(fd >= 0);
	close(fd);
}

static void no_fd_leaks(void **state)
{
	struct pu_file_rules r = rules(PU_TRUST_SECRET, 4);
	const char *big = put_text("leak-big", 0600, 0, "12345");
	const char *loose = put_text("leak-loose", 0644, 0, "1");
	const char *ok = put_text("leak-ok", 0600, 0, "1");
	int before = open_fds();

	(void)state;
	for (int i = 0; i < 20; i++) {
		assert_int_equal(read_as(big, &r, NULL, 0), PU_UNAVAIL);
		assert_int_equal(read_as(loose, &r, NULL, 0), PU_UNAVAIL);
		assert_int_equal(read_as(tmpdir, &r, NULL, 0), PU_UNAVAIL);
		assert_int_equal(read_as(ok, &r, "1", 1), PU_OK);
	}
	assert_int_equal(open_fds(), before);
}

/* ---------------- pu_dir_check_private ---------------- */

static void dir_private(void **state)
{
	static const struct {
		mode_t mode;
		uid_t uid;
		enum pu_status st;
	} rows[] = {
		{ 0700, 0, PU_OK },
		{ 0500, 0, PU_OK },
		{ 0750, 0, PU_UNAVAIL },
		{ 0710, 0, PU_UNAVAIL },
		{ 0701, 0, PU_UNAVAIL },
		{ 0704, 0, PU_UNAVAIL },
		{ 0777, 0, PU_UNAVAIL },
		{ 01777, 0, PU_UNAVAIL },
		{ 0700, NOBODY, PU_UNAVAIL },
	};
	struct pu_err err = { PU_OK, "" };
	const char *d = path_of("private"), *link = path_of("private-link");

	(void)state;
	assert_int_equal(mkdir(d, 0700), 0);
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		enum pu_status st;

		assert_int_equal(chown(d, rows[i].uid, (gid_t)-1), 0);
		assert_int_equal(chmod(d, rows[i].mode), 0);
		err.msg[0] = '\0';
		st = pu_dir_check_private(d, PU_UNAVAIL, &err);
		if (st != rows[i].st)
			fail_msg("mode %04o uid %u: %s", (unsigned)rows[i].mode,
				 (unsigned)rows[i].uid, pu_status_name(st));
		if (st != PU_OK)
			assert_true(err.msg[0] != '\0');
	}
	assert_int_equal(chown(d, 0, (gid_t)-1), 0);
	assert_int_equal(chmod(d, 0700), 0);
	/* the status is the caller's */
	assert_int_equal(chmod(d, 0755), 0);
	assert_int_equal(pu_dir_check_private(d, PU_CONFIG, &err), PU_CONFIG);
	assert_int_equal(chmod(d, 0700), 0);
	/* a link to a good directory, a file, nothing */
	assert_int_equal(symlink(d, link), 0);
	assert_int_equal(pu_dir_check_private(d, PU_UNAVAIL, &err), PU_OK);
	assert_int_equal(pu_dir_check_private(link, PU_UNAVAIL, &err),
			 PU_UNAVAIL);
	assert_non_null(strstr(err.msg, "symbolic link"));
	assert_int_equal(pu_dir_check_private(put_text("notdir", 0600, 0, ""),
					      PU_UNAVAIL, &err), PU_UNAVAIL);
	assert_int_equal(pu_dir_check_private(path_of("nodir"), PU_UNAVAIL,
					      &err), PU_UNAVAIL);
	assert_int_equal(pu_dir_check_private(path_of("nodir"), PU_UNAVAIL,
					      NULL), PU_UNAVAIL);
}

/* ---------------- pu_secret_read ---------------- */

static void secrets(void **state)
{
	static const struct {
		const char *text;
		const char *want; /* NULL: refused */
	} rows[] = {
		{ "s3cret", "s3cret" },
		{ "s3cret\n", "s3cret" },
		{ "s3cret\r\n", "s3cret" },
		{ "s3cret \t\r\n\n\n", "s3cret" },
		{ "  lead", "  lead" },
		{ "in side\n", "in side" },
		{ "\ttab\tx \n", "\ttab\tx" },
		{ "x", "x" },
		{ "", NULL },
		{ "\n", NULL },
		{ " \t\r\n", NULL },
	};
	struct pu_err err = { PU_OK, "" };

	(void)state;
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		const char *p = put_text("secret", 0600, 0, rows[i].text);
		char *s = (char *)"unset";
		size_t len = 99;
		enum pu_status st = pu_secret_read(p, &s, &len, &err);

		if (rows[i].want == NULL) {
			if (st != PU_CONFIG)
				fail_msg("row %zu accepted", i);
			assert_null(s);
			assert_int_equal(len, 0);
			continue;
		}
		if (st != PU_OK)
			fail_msg("row %zu: %s", i, err.msg);
		assert_int_equal(len, strlen(rows[i].want));
		assert_string_equal(s, rows[i].want);
		pu_secret_free(s);
	}
	pu_secret_free(NULL);
}

static void secret_file_rules(void **state)
{
	char big[PU_SECRET_MAX + 1], *s = NULL;
	struct pu_err err = { PU_OK, "" };
	size_t len = 0;
	const char *p;

	(void)state;
	/* PU_SECRET_MAX - 1 bytes: the largest */
	memset(big, 'k', sizeof(big));
	p = put_file("big", 0400, 0, big, PU_SECRET_MAX - 1);
	assert_int_equal(pu_secret_read(p, &s, &len, &err), PU_OK);
	assert_int_equal(len, PU_SECRET_MAX - 1);
	assert_int_equal(s[len], '\0');
	pu_secret_free(s);
	p = put_file("big", 0400, 0, big, PU_SECRET_MAX);
	assert_int_equal(pu_secret_read(p, &s, &len, &err), PU_CONFIG);
	assert_null(s);
	p = put_text("loose", 0644, 0, "secret");
	assert_int_equal(pu_secret_read(p, &s, &len, &err), PU_CONFIG);
	assert_null(s);
	p = put_text("theirs", 0600, NOBODY, "secret");
	assert_int_equal(pu_secret_read(p, &s, &len, &err), PU_CONFIG);
	assert_null(s);
	assert_int_equal(pu_secret_read(path_of("absent"), &s, &len, &err),
			 PU_CONFIG);
	assert_null(s);
}

/* ---------------- hex ---------------- */

static void hex(void **state)
{
	static const unsigned char bytes[] = { 0x00, 0x01, 0x7f, 0x80, 0xab,
					       0xff };
	unsigned char all[256], back[256];
	char out[2 * 256 + 1];

	(void)state;
	pu_hex_encode(bytes, sizeof(bytes), out);
	assert_string_equal(out, "00017f80abff");
	pu_hex_encode(bytes, 0, out);
	assert_string_equal(out, "");
	assert_true(pu_hex_decode("00017f80abff", 12, back, 6));
	assert_memory_equal(back, bytes, 6);
	assert_true(pu_hex_decode("00017F80ABFF", 12, back, 6));
	assert_memory_equal(back, bytes, 6);
	assert_true(pu_hex_decode("", 0, back, 0));
	/* exactly 2 * n digits */
	assert_false(pu_hex_decode("00017f80abf", 11, back, 6));
	assert_false(pu_hex_decode("00017f80abff00", 14, back, 6));
	assert_false(pu_hex_decode("00017f80abff", 12, back, 5));
	/* digits only */
	assert_false(pu_hex_decode("0g", 2, back, 1));
	assert_false(pu_hex_decode("g0", 2, back, 1));
	assert_false(pu_hex_decode(" 1", 2, back, 1));
	assert_false(pu_hex_decode("-1", 2, back, 1));
	assert_false(pu_hex_decode("0x", 2, back, 1));
	assert_false(pu_hex_decode("\0" "1", 2, back, 1));
	/* every byte value both ways */
	for (int i = 0; i < 256; i++)
		all[i] = (unsigned char)i;
	pu_hex_encode(all, sizeof(all), out);
	assert_int_equal(strlen(out), 512);
	assert_int_equal(strspn(out, "0123456789abcdef"), 512);
	assert_true(pu_hex_decode(out, 512, back, sizeof(back)));
	assert_memory_equal(all, back, sizeof(all));
}

/* ---------------- pu_endpoint_parse ---------------- */

static void endpoints(void **state)
{
	static const struct {
		const char *spec;
		bool is_unix;
		const char *path_or_host, *port;
	} good[] = {
		{ "unix:/run/redis/redis.sock", true, "/run/redis/redis.sock", "" },
		{ "unix:/", true, "/", "" },
		{ "tcp://127.0.0.1:6379", false, "127.0.0.1", "6379" },
		{ "127.0.0.1:6379", false, "127.0.0.1", "6379" },
		{ "localhost:1", false, "localhost", "1" },
		{ "10.0.0.2:65535", false, "10.0.0.2", "65535" },
		{ "[::1]:6379", false, "::1", "6379" },
		{ "tcp://[::1]:26379", false, "::1", "26379" },
		{ "[fe80::1%eth0]:6379", false, "fe80::1%eth0", "6379" },
		{ "[2001:db8::2]:7000", false, "2001:db8::2", "7000" },
	};
	static const char *const bad[] = {
		"", "unix:", "unix:relative", "unix:./x", "unix:~/x",
		"UNIX:/x", "tcp://", "host", "tcp://host", ":6379",
		"tcp://:6379", "host:", "tcp://host:",
		"::1:6379", "tcp://::1:6379", "2001:db8::2:7000",
		"[::1]", "[::1]6379", "[]:6379", "[::1:6379", "::1]:6379",
		"h:0", "h:65536", "h:99999", "h:123456789", "h:abc", "h:-1",
		"h:+80", "h: 80", "h:80 ", "h:0x50", "h:8o", "h:6379/x",
		"[::1]:0", "[::1]:65536",
	};
	struct pu_endpoint ep;
	struct pu_err err = { PU_OK, "" };

	(void)state;
	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		memset(&ep, 0x5a, sizeof(ep));
		if (pu_endpoint_parse(good[i].spec, &ep, &err) != PU_OK)
			fail_msg("\"%s\" refused: %s", good[i].spec, err.msg);
		assert_int_equal(ep.is_unix, good[i].is_unix);
		if (good[i].is_unix) {
			assert_string_equal(ep.path, good[i].path_or_host);
			assert_string_equal(ep.host, "");
		} else {
			assert_string_equal(ep.host, good[i].path_or_host);
			assert_string_equal(ep.path, "");
		}
		assert_string_equal(ep.port, good[i].port);
	}
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		err.msg[0] = '\0';
		if (pu_endpoint_parse(bad[i], &ep, &err) != PU_CONFIG)
			fail_msg("\"%s\" accepted", bad[i]);
		assert_true(err.msg[0] != '\0');
	}
}

static void endpoint_lengths(void **state)
{
	char spec[600];
	struct pu_endpoint ep;
	struct pu_err err = { PU_OK, "" };
	size_t pmax = sizeof(ep.path) - 1, hmax = sizeof(ep.host) - 1;

	(void)state;
	/* the longest socket path that fits sun_path with its NUL */
	memcpy(spec, "unix:/", 6);
	memset(spec + 6, 'p', pmax - 1);
	spec[5 + pmax] = '\0';
	assert_int_equal(pu_endpoint_parse(spec, &ep, &err), PU_OK);
	assert_int_equal(strlen(ep.path), pmax);
	spec[5 + pmax] = 'p';
	spec[6 + pmax] = '\0';
	assert_int_equal(pu_endpoint_parse(spec, &ep, &err), PU_CONFIG);
	/* the longest host */
	memset(spec, 'h', hmax);
	memcpy(spec + hmax, ":1", 3);
	assert_int_equal(pu_endpoint_parse(spec, &ep, &err), PU_OK);
	assert_int_equal(strlen(ep.host), hmax);
	memset(spec, 'h', hmax + 1);
	memcpy(spec + hmax + 1, ":1", 3);
	assert_int_equal(pu_endpoint_parse(spec, &ep, &err), PU_CONFIG);
	/* brackets hold an IPv6 address, with at most a short zone */
	snprintf(spec, sizeof(spec), "[%.*s]:1", (int)hmax - 2,
		 "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
		 "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa");
	assert_int_equal(pu_endpoint_parse(spec, &ep, &err), PU_CONFIG);
	assert_int_equal(pu_endpoint_parse("[fe80::1%0123456789abcdef]:1", &ep,
					   &err), PU_OK);
	assert_string_equal(ep.host, "fe80::1%0123456789abcdef");
	assert_int_equal(pu_endpoint_parse("[ffff:ffff:ffff:ffff:ffff:ffff:"
		"255.255.255.255%0123456789abcdefghijklmnop]:1", &ep, &err),
		PU_CONFIG);
	assert_int_equal(pu_endpoint_parse("[fe80::1%]:1", &ep, &err), PU_CONFIG);
	assert_int_equal(pu_endpoint_parse("[fe80::1%a/b]:1", &ep, &err),
			 PU_CONFIG);
}

/* ---------------- pu_unix_check_path ---------------- */

/* a listening socket DIR/s in a new directory DIR (0755, root's) */
static int bound_socket(const char *dir, char *sock, size_t size)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int s = socket(AF_UNIX, SOCK_STREAM, 0);

	assert_true(s >= 0);
	assert_int_equal(mkdir(dir, 0755), 0);
	snprintf(sock, size, "%s/s", dir);
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", sock);
	assert_int_equal(bind(s, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(listen(s, 8), 0);
	return s;
}

static void unix_socket_trust(void **state)
{
	struct pu_err err = { PU_OK, "" };
	const char *dir = path_of("sockdir");
	char sock[200];
	int s;

	(void)state;
	s = bound_socket(dir, sock, sizeof(sock));
	assert_int_equal(pu_unix_check_path(sock, 0, &err), PU_OK);
	/* the socket's owner: root or peer_uid */
	assert_int_equal(chown(sock, NOBODY, (gid_t)-1), 0);
	assert_int_equal(pu_unix_check_path(sock, 0, &err), PU_UNAVAIL);
	assert_int_equal(pu_unix_check_path(sock, NOBODY, &err), PU_OK);
	assert_int_equal(chown(sock, 0, (gid_t)-1), 0);
	/* the directory: root or peer_uid, not group/other-writable */
	assert_int_equal(chmod(dir, 0775), 0);
	assert_int_equal(pu_unix_check_path(sock, 0, &err), PU_UNAVAIL);
	assert_int_equal(chmod(dir, 01777), 0);
	assert_int_equal(pu_unix_check_path(sock, 0, &err), PU_UNAVAIL);
	assert_int_equal(chmod(dir, 0755), 0);
	assert_int_equal(chown(dir, NOBODY, (gid_t)-1), 0);
	assert_int_equal(pu_unix_check_path(sock, 0, &err), PU_UNAVAIL);
	assert_int_equal(pu_unix_check_path(sock, NOBODY, &err), PU_OK);
	assert_int_equal(chown(dir, 0, (gid_t)-1), 0);
	/* not a socket, not there, not absolute, too long */
	assert_int_equal(pu_unix_check_path(put_text("sockdir/f", 0600, 0, ""),
					    0, &err), PU_UNAVAIL);
	assert_non_null(strstr(err.msg, "not a socket"));
	assert_int_equal(pu_unix_check_path(path_of("sockdir/none"), 0, &err),
			 PU_UNAVAIL);
	assert_int_equal(pu_unix_check_path("relative/s", 0, &err), PU_CONFIG);
	assert_int_equal(pu_unix_check_path(NULL, 0, &err), PU_CONFIG);
	memset(sock, 'x', sizeof(sock));
	sock[0] = '/';
	sock[sizeof(sock) - 1] = '\0';
	assert_int_equal(pu_unix_check_path(sock, 0, &err), PU_CONFIG);
	close(s);
}

/* pu_unix_connect_owned: an owner by name, looked up as the rules say */
static void unix_socket_owner_by_name(void **state)
{
	struct pu_err err = { PU_OK, "" };
	const char *dir = path_of("ownerdir");
	const struct pu_unix_owner by_default = { 0, "pu-no-such-user", true,
						  "redis_owner" };
	const struct pu_unix_owner typo = { 0, "pu-no-such-user", false,
					    "redis_owner" };
	const struct pu_unix_owner nobody = { 0, "nobody", false,
					      "redis_owner" };
	const struct pu_unix_owner nobody_default = { 0, "nobody", true,
						      "redis_owner" };
	struct pu_deadline dl;
	char sock[200];
	int s, fd = -1;

	(void)state;
	s = bound_socket(dir, sock, sizeof(sock));
	pu_deadline_start(&dl, 2000);
	/* all root: a default name that does not exist is never needed */
	assert_int_equal(pu_unix_connect_owned(sock, &by_default, &dl, &fd,
					       &err), PU_OK);
	close(fd);
	/* a chosen name that does not exist is a configuration error */
	assert_int_equal(pu_unix_connect_owned(sock, &typo, &dl, &fd, &err),
			 PU_CONFIG);
	assert_non_null(strstr(err.msg, "redis_owner=pu-no-such-user"));
	/* a socket owned by nobody: trusted only when nobody is the owner */
	assert_int_equal(chown(sock, NOBODY, (gid_t)-1), 0);
	assert_int_equal(pu_unix_connect_owned(sock, &by_default, &dl, &fd,
					       &err), PU_UNAVAIL);
	assert_non_null(strstr(err.msg, "not root or redis_owner"));
	assert_int_equal(pu_unix_connect_owned(sock, &nobody, &dl, &fd, &err),
			 PU_OK);
	close(fd);
	assert_int_equal(pu_unix_connect_owned(sock, &nobody_default, &dl, &fd,
					       &err), PU_OK);
	close(fd);
	close(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(reads_a_regular_file),
		cmocka_unit_test(symlink_refused),
		cmocka_unit_test_teardown(fifo_refused_without_blocking,
					  cancel_alarm),
		cmocka_unit_test(not_a_regular_file),
		cmocka_unit_test(trust_rules),
		cmocka_unit_test(size_cap),
		cmocka_unit_test(missing),
		cmocka_unit_test(open_flags),
		cmocka_unit_test(no_fd_leaks),
		cmocka_unit_test(dir_private),
		cmocka_unit_test(unix_socket_owner_by_name),
		cmocka_unit_test(secrets),
		cmocka_unit_test(secret_file_rules),
		cmocka_unit_test(hex),
		cmocka_unit_test(endpoints),
		cmocka_unit_test(endpoint_lengths),
		cmocka_unit_test(unix_socket_trust),
	};

	return cmocka_run_group_tests_name("file", tests, setup, teardown);
}
