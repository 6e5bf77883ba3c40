/* Outputs are created, and rewritten, without following a symbolic link in the last
 * component of their path: a link planted where a recording or a sidecar goes (or left there
 * by the user) must not make vcap write, as whoever runs it, into the file the link names.
 *
 * O_CREAT | O_EXCL already refuses any link, dangling or not (open(2)); O_NOFOLLOW makes the
 * open of an existing file under force fail with ELOOP on a link, which is then removed (the
 * link, never what it names) and the file created again in its place. Each step is atomic on
 * its own, so a path that changes between them sends the loop round again.
 */
#include "dio-internal.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#define CREATE_TRIES 8 /* each try lost to another process changing the path at that moment */

/* A link at path (ELOOP from O_NOFOLLOW) is removed: 0 to try again, or -errno. */
static int remove_link(const char *path)
{
	struct stat sb;

	if (lstat(path, &sb) < 0)
		return errno == ENOENT ? 0 : -errno; /* gone meanwhile: try again */
	if (!S_ISLNK(sb.st_mode))
		return 0; /* replaced meanwhile by something else: try again */
	if (unlink(path) < 0 && errno != ENOENT)
		return -errno;
	return 0;
}

int dio_create(const char *path, int flags, bool force)
{
	int fd, ret;

	for (unsigned i = 0; i < CREATE_TRIES; i++) {
		fd = open(path, flags | O_CREAT | O_EXCL | O_NOFOLLOW | O_NOCTTY | O_CLOEXEC, 0644);
		if (fd >= 0)
			return fd;
		if (errno != EEXIST || !force)
			return -errno;
		/* something is there: a file is opened as it is, a link makes ELOOP */
		fd = open(path, (flags & ~(O_CREAT | O_EXCL)) | O_NOFOLLOW | O_NOCTTY | O_CLOEXEC);
		if (fd >= 0)
			return fd;
		if (errno == ENOENT)
			continue; /* removed meanwhile: create it */
		if (errno != ELOOP)
			return -errno;
		ret = remove_link(path);
		if (ret < 0)
			return ret;
	}
	return -EAGAIN;
}

int dio_open_nofollow(const char *path, int flags)
{
	int fd = open(path, flags | O_NOFOLLOW | O_NOCTTY | O_CLOEXEC);

	return fd < 0 ? -errno : fd;
}
