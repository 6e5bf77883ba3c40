/* FFmpeg framemd5 sidecars, byte for byte as "ffmpeg -i FILE -c copy -f framemd5 -" prints
 * them, so the two can be compared with cmp or diff. */
#ifndef VCAP_FRAMEMD5_H
#define VCAP_FRAMEMD5_H

#include <stdint.h>

/* Write to out_path (O_EXCL unless force) one line per sample of the MOV at mov_path: its
 * dts/pts/duration/size from the file's own index and md5[i], the MD5 of sample i that the
 * caller computed while the frame was in memory. n must equal the file's sample count
 * (else -EINVAL). */
int tool_framemd5_write(const char *out_path, const char *mov_path, const uint8_t (*md5)[16],
			uint64_t n, int force);
/* The same into fd, a file the caller opened for writing (and keeps, and closes): whatever it
 * held is replaced. Lets a recorder create its sidecar before the recording and fill it at
 * the end. */
int tool_framemd5_write_fd(int fd, const char *mov_path, const uint8_t (*md5)[16], uint64_t n);

/* The same lines written one at a time, for a player that checksums frames as they go out:
 * open creates out_path (O_EXCL unless force) and writes the header; each line is sample i's
 * line exactly as ffmpeg prints it for that sample, so a list of lines for any frames, in any
 * order or repeated, can be compared with the matching lines of ffmpeg's output. */
struct tool_framemd5;

int tool_framemd5_open(const char *out_path, const char *mov_path, int force,
		       struct tool_framemd5 **ret_md5);
/* -ERANGE when i is not a sample of the file. */
int tool_framemd5_line(struct tool_framemd5 *m, uint64_t i, const uint8_t md5[16]);
/* Flush, close, free; returns the first write error. Accepts NULL. */
int tool_framemd5_close(struct tool_framemd5 *m);

#endif
