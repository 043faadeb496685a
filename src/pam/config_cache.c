/*
 * The configuration file, parsed once per file version and looked up once
 * per PAM handle.
 *
 * Per handle (pam_set_data): the first call of a handle finds the parsed
 * file, and the handle's later calls reuse it without a system call.
 *
 * Per process: the parse itself is shared by every handle while the file
 * stays the same version (device, inode, size, mode, owner, mtime and
 * ctime from lstat), errors included.  This is one of the module's two
 * mutable globals (the other: stream.c's TLS contexts and sessions), a
 * small table behind a mutex, holding reference-counted,
 * immutable parses.  It keeps a long-running host from parsing the file
 * at every login, and from libconfig 1.5's 64-byte leak per parse of a
 * file with a syntax error.
 *
 * The lock is never waited on for long: a child forked while another
 * thread held it would wait forever, so after a short while a call goes
 * without the table (it parses the file itself, and a reference it could
 * not drop is left behind rather than a login hung).
 */
#define _GNU_SOURCE
#include "config_cache.h"

#include "common/file.h"

#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define DATA_NAME "pam_unified_config"
#define SLOTS 4

struct parsed {
	unsigned refs;           /* under cache_mu */
	struct pu_config *cfg;   /* NULL: err says why */
	struct pu_err err;
};

struct slot {
	char *path;
	bool explicit_path;
	struct pu_file_version v;
	struct parsed *p;
};

static pthread_mutex_t cache_mu = PTHREAD_MUTEX_INITIALIZER;
static struct slot cache[SLOTS];

static bool lock_cache(void)
{
	return pu_lock_briefly(&cache_mu);
}

/* under cache_mu */
static void unref(struct parsed *p)
{
	if (p != NULL && --p->refs == 0) {
		pu_config_free(p->cfg);
		free(p);
	}
}

static struct parsed *parse(const char *path, bool explicit_path)
{
	struct parsed *p = calloc(1, sizeof(*p));

	if (p == NULL)
		return NULL;
	p->refs = 1;
	if (pu_config_load(path, explicit_path, &p->cfg, &p->err) != PU_OK)
		p->cfg = NULL;
	return p;
}

/* The parse for this version of path, shared; a new reference. */
static struct parsed *shared_parse(const char *path, bool explicit_path)
{
	struct pu_file_version v;
	struct parsed *p = NULL;
	struct slot *s = NULL;

	pu_file_version(path, &v);
	if (!lock_cache())
		return parse(path, explicit_path); /* a private parse */
	for (int i = 0; i < SLOTS; i++) {
		if (cache[i].path != NULL && cache[i].explicit_path == explicit_path &&
		    strcmp(cache[i].path, path) == 0) {
			s = &cache[i];
			break;
		}
	}
	if (s != NULL && pu_file_version_same(&s->v, &v)) {
		p = s->p;
		p->refs++;
	}
	pthread_mutex_unlock(&cache_mu);
	if (p != NULL)
		return p;

	p = parse(path, explicit_path);
	if (p == NULL || !lock_cache())
		return p;
	if (s == NULL || s->path == NULL || strcmp(s->path, path) != 0) {
		/* a free slot, or the first one (a host with more than
		 * SLOTS config files parses the rest more often) */
		s = &cache[0];
		for (int i = 0; i < SLOTS; i++)
			if (cache[i].path == NULL) {
				s = &cache[i];
				break;
			}
		unref(s->p);
		free(s->path);
		s->p = NULL;
		s->path = strdup(path);
	} else {
		unref(s->p);
		s->p = NULL;
	}
	if (s->path != NULL) {
		s->explicit_path = explicit_path;
		s->v = v;
		s->p = p;
		p->refs++; /* the table's reference */
	}
	pthread_mutex_unlock(&cache_mu);
	return p;
}

/* ---------------- per handle ---------------- */

struct entry {
	struct entry *next;
	char *path;
	bool explicit_path;
	struct parsed *p;
};

static void cleanup(pam_handle_t *pamh, void *data, int error_status)
{
	struct entry *e = data;

	(void)pamh;
	/* replaced by a new head that links to this list: it owns it now */
	if (error_status & PAM_DATA_REPLACE)
		return;
	while (e != NULL) {
		struct entry *next = e->next;

		if (lock_cache()) {
			unref(e->p);
			pthread_mutex_unlock(&cache_mu);
		}
		free(e->path);
		free(e);
		e = next;
	}
}

enum pu_status pu_config_for_handle(pam_handle_t *pamh, const char *path,
				    bool explicit_path,
				    const struct pu_config **cfg,
				    struct pu_err *err)
{
	const void *data = NULL;
	struct entry *head = NULL, *e;

	*cfg = NULL;
	if (pam_get_data(pamh, DATA_NAME, &data) == PAM_SUCCESS)
		head = (struct entry *)data;
	for (e = head; e != NULL; e = e->next)
		if (e->explicit_path == explicit_path && strcmp(e->path, path) == 0)
			break;
	if (e == NULL) {
		e = calloc(1, sizeof(*e));
		if (e == NULL || (e->path = strdup(path)) == NULL ||
		    (e->p = shared_parse(path, explicit_path)) == NULL) {
			if (e != NULL)
				free(e->path);
			free(e);
			return pu_fail(err, PU_NOMEM, "out of memory");
		}
		e->explicit_path = explicit_path;
		e->next = head;
		if (pam_set_data(pamh, DATA_NAME, e, cleanup) != PAM_SUCCESS) {
			e->next = NULL;
			cleanup(pamh, e, 0);
			return pu_fail(err, PU_NOMEM, "pam_set_data failed");
		}
	}
	if (e->p->cfg == NULL) {
		if (err != NULL)
			*err = e->p->err;
		return e->p->err.status;
	}
	*cfg = e->p->cfg;
	return PU_OK;
}
