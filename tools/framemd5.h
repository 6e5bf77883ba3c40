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

#endif
