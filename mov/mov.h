/* mov: uncompressed video in QuickTime (MOV) files, indexed through libavformat's mov muxer
 * without the muxer ever copying or writing frame payload ("zero copy"): the disk engine puts
 * each frame at an aligned offset itself, and this module writes only ftyp/wide/mdat header and
 * the moov index around it.
 *
 * Return convention everywhere: >= 0 on success, -errno on failure; predicates return bool.
 * Output parameters named ret_* are written only on success. Nothing here prints.
 */
#ifndef VCAP_MOV_H
#define VCAP_MOV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#pragma GCC visibility push(default)

/* ---- pixel formats: name / V4L2 fourcc <-> FFmpeg pixel format or codec <-> MOV tag ---- */

/* One entry of a constant table; pointers to it stay valid for the life of the program. */
struct mov_format;

/* Look a format up by (case-insensitively) its name ("UYVY", "ARGB32", "v210"), its V4L2
 * fourcc ("BA24"), its MOV sample-entry tag ("2vuy", "yuvs", "BGRA") or its FFmpeg pixel
 * format name ("uyvy422", "bgra"). Names are tried first, then V4L2 fourccs, then MOV tags,
 * then FFmpeg names, so "BGRA32" is V4L2's BGRA32 (bytes A,B,G,R in memory, MOV 'ABGR') while
 * "BGRA" is the MOV tag (bytes B,G,R,A, V4L2's ABGR32). NULL when unknown. */
const struct mov_format *mov_format_find(const char *name);

/* By V4L2 fourcc value (V4L2_PIX_FMT_*). NULL when the table has no such format. */
const struct mov_format *mov_format_from_v4l2(uint32_t fourcc);

/* By MOV sample-entry tag as the demuxer reports it (MKTAG order: first character in the low
 * byte) and the sample entry's depth (only used to tell 'raw ' 24 from 'raw ' 32). */
const struct mov_format *mov_format_from_tag(uint32_t tag, unsigned depth);

/* Iteration for listings: the i-th format, NULL past the end. */
const struct mov_format *mov_format_at(unsigned i);

const char *mov_format_name(const struct mov_format *f); /* "UYVY", "v210", ... */
const char *mov_format_desc(const struct mov_format *f); /* one line for --help */
uint32_t mov_format_v4l2(const struct mov_format *f);    /* V4L2 fourcc, 0 if V4L2 has none */
uint32_t mov_format_tag(const struct mov_format *f);     /* MOV tag, MKTAG order */

/* Bits per pixel of the pixel data (16 for 4:2:2 8-bit, 20 for v210, 24, 32); row padding
 * of packed formats such as v210 is only in mov_format_stride()/mov_format_frame_size(). */
unsigned mov_format_bits(const struct mov_format *f);

/* Bytes in one row of width w, including the format's own row padding (v210: ((w+47)/48)*128,
 * r210: rows padded to 64 pixels). */
uint64_t mov_format_stride(const struct mov_format *f, unsigned w);

/* Bytes in one frame of w x h: stride(w) * h. This is exactly the sample size in the MOV. */
uint64_t mov_format_frame_size(const struct mov_format *f, unsigned w, unsigned h);

/* Can frames of w x h be stored zero-copy? 0 if yes. -EINVAL when the geometry is impossible
 * for the format (zero size, odd width for 4:2:2); -ENOTSUP when the muxer would rewrite the
 * payload (24-bit RGB rows that are not a multiple of 2 bytes get padded, i.e. copied). With
 * ret_why non-NULL, a constant one-line reason is stored there on failure. */
int mov_format_check(const struct mov_format *f, unsigned w, unsigned h, const char **ret_why);

/* The fourcc as a printable 4-character string in buf (at least 5 bytes); returns buf. */
const char *mov_fourcc_str(uint32_t fourcc, char *buf);

/* ---- stream parameters ---- */

/* How the two fields of an interlaced frame are stored (MOV 'fiel'). */
enum mov_field {
	MOV_FIELD_PROGRESSIVE = 0, /* fiel 1,0 */
	MOV_FIELD_TFF,             /* interleaved lines, top field first in time: fiel 2,9 */
	MOV_FIELD_BFF,             /* interleaved lines, bottom field first: fiel 2,14 */
	MOV_FIELD_SEP_TB,          /* the two fields stored one after the other, top first: 2,1 */
	MOV_FIELD_SEP_BT,          /* stored one after the other, bottom first: fiel 2,6 */
	MOV_FIELD_UNKNOWN,         /* reader only: no fiel box */
};

/* The 'fiel' box contents for a field mode: count << 8 | detail (0x0100, 0x0209, 0x020e,
 * 0x0201, 0x0206); 0 for MOV_FIELD_UNKNOWN. */
uint16_t mov_field_fiel(enum mov_field field);
/* "progressive", "tff", "bff", "sep-tb", "sep-bt", "unknown". */
const char *mov_field_name(enum mov_field field);
/* Parse a name from mov_field_name() (also "p", "tt"=sep-tb...): -EINVAL if unknown. */
int mov_field_parse(const char *s, enum mov_field *ret_field);

/* Colour description written as 'colr' (nclc primaries-transfer-matrix), after Apple's
 * TN2227 (Video Color Management in AV Foundation and QTKit): NTSC SD 6-1-6, PAL SD 5-1-6,
 * HD 1-1-1. AUTO: BT.601 (525 lines for heights up to 486, 625 up to 576), else BT.709, for
 * Y'CbCr formats; nothing for RGB formats. */
enum mov_colour {
	MOV_COLOUR_AUTO = 0,
	MOV_COLOUR_NONE,      /* no colr box */
	MOV_COLOUR_BT601,     /* BT601_525 for heights up to 486, else BT601_625 */
	MOV_COLOUR_BT601_525, /* nclc 6-1-6 */
	MOV_COLOUR_BT601_625, /* nclc 5-1-6 */
	MOV_COLOUR_BT709,     /* nclc 1-1-1 */
	MOV_COLOUR_BT2020,    /* nclc 9-1-9 */
};
const char *mov_colour_name(enum mov_colour colour); /* "auto", "none", "bt601-525", ... */
int mov_colour_parse(const char *s, enum mov_colour *ret_colour); /* also "bt601", "bt709" */
/* AUTO resolved for a format and height (never returns AUTO). */
enum mov_colour mov_colour_resolve(enum mov_colour colour, const struct mov_format *f,
				   unsigned height);

/* ---- aspect (aspect.c): 'pasp', the display aspect over the whole stored frame ---- */

/* The sample aspect ratio, reduced, that shows a width x height frame at the display aspect
 * dar_num:dar_den (display = width * sar / height, as ffprobe and mediainfo compute it):
 * 720x576 at 4:3 is 16:15, 720x486 at 4:3 is 9:10, 720x486 at 16:9 is 6:5. -EINVAL for a
 * zero term. */
int mov_sar_for_display(unsigned width, unsigned height, unsigned dar_num, unsigned dar_den,
			unsigned *ret_num, unsigned *ret_den);

/* What decides a recording's pasp. */
struct mov_aspect_in {
	unsigned width, height;
	unsigned ask_num, ask_den;       /* --aspect (display aspect); 0/0: not asked */
	unsigned device_num, device_den; /* the driver's pixel aspect x:y (VIDIOC_CROPCAP's
					  * pixelaspect is y/x); 0/0: no device */
};

/* The pasp for in, with where it came from in *ret_source (a constant: "--aspect",
 * "the device", "the BT.601 frame size", "square pixels"). In order: the asked display
 * aspect; the device's pixel aspect, read as 4:3 or 16:9 when within 3% of one (a BT.601 aspect such as
 * 59:54 on 720 samples), else as it is (a 1:1 answer at a BT.601 frame size is the V4L2
 * core's default, not the driver's, and is ignored); a BT.601 frame size (720 or 704 by 480,
 * 486, 512, 576 or 608) is 4:3 (SMPTE 170M, ITU-R BT.601); anything else square pixels.
 * -EINVAL for a zero width or height. */
int mov_aspect_choose(const struct mov_aspect_in *in, unsigned *ret_num, unsigned *ret_den,
		      const char **ret_source);

/* ---- sound: PCM tracks beside the picture ----
 *
 * Samples are interleaved little-endian PCM as the capture side gives them: 16 bits (MOV
 * 'sowt', sample description version 0), 24 bits packed in 3 bytes ('in24' version 1 with an
 * 'enda' little-endian flag) or 32 bits ('in32' likewise), each track with a 'chan' atom:
 * libavformat's mov muxer writes these sample descriptions (movenc.c mov_write_audio_tag);
 * "a sample" is one instant of all of a track's channels. */
enum mov_audio_tracks {
	MOV_AUDIO_ONE,	 /* one track with every channel (layout: FFmpeg's default for the count) */
	MOV_AUDIO_PAIRS, /* stereo tracks of channels 1+2, 3+4, ... (an odd last one mono) */
	MOV_AUDIO_MONO,	 /* one track per channel */
};
/* "one", "pairs", "mono"; parse takes the same. */
const char *mov_audio_tracks_name(enum mov_audio_tracks t);
int mov_audio_tracks_parse(const char *s, enum mov_audio_tracks *ret);

#define MOV_AUDIO_MAX_TRACKS 16

struct mov_audio {
	unsigned channels;	     /* 0: no sound; 1..16 */
	unsigned rate;		     /* samples per second (8000..192000) */
	unsigned bits;		     /* 16, 24, 32 */
	enum mov_audio_tracks tracks;
};

/* Tracks the channels split into, and the channels of track t. */
unsigned mov_audio_track_count(const struct mov_audio *a);
unsigned mov_audio_track_channels(const struct mov_audio *a, unsigned t);

/* Where a chunk of n samples keeps each track: track t's n x channels(t) x bits/8 bytes at
 * ret_off[t] from the chunk's start, each part starting on a 4096-byte boundary (so a track's
 * part is direct-I/O aligned in memory and in the file). Returns the chunk's bytes up to the
 * end of the last part (not padded further); ret_off may be NULL. */
uint64_t mov_audio_chunk_layout(const struct mov_audio *a, uint64_t n,
				uint64_t ret_off[MOV_AUDIO_MAX_TRACKS]);

/* Check an audio description: 0, or -EINVAL with a constant reason in *ret_why. */
int mov_audio_check(const struct mov_audio *a, const char **ret_why);

/* Everything the index needs to describe the stream. A plain value; strings are borrowed. */
struct mov_params {
	const struct mov_format *format;
	unsigned width, height;
	unsigned rate_num, rate_den; /* frames per second, e.g. 30000/1001 */
	enum mov_field field;
	enum mov_colour colour;
	unsigned sar_num, sar_den; /* sample (pixel) aspect ratio; 0/0: no 'pasp' */
	const char *timecode;      /* start timecode "HH:MM:SS:FF" (';' drop-frame); NULL: none */
	struct mov_audio audio;    /* channels 0: picture only */
};

/* Check a start timecode against a frame rate. "HH:MM:SS:FF" non-drop, or "HH:MM:SS;FF"
 * (also '.' before FF, or ';' everywhere) drop-frame. 0 if valid; -EINVAL with a constant
 * reason in *ret_why (may be NULL) for a bad syntax, a rate that rounds to 0 or above 1000
 * frames/s, a field out of range (FF must be below the rounded rate), drop-frame at a rate outside the 30000/1001 family (30000/1001,
 * 60000/1001, ..., while the rounded rate is a multiple of 30), or a drop-frame label that
 * does not exist (frames 00 and 01 (00-03 at 60000/1001) of every minute not divisible by
 * ten). */
int mov_timecode_check(const char *tc, unsigned rate_num, unsigned rate_den,
		       const char **ret_why);

/* A valid timecode (see mov_timecode_check) as the count of frames since 00:00:00:00 at the
 * rate, drop-frame labels counted as SMPTE 12M does: consecutive frames differ by one. */
int mov_timecode_frames(const char *tc, unsigned rate_num, unsigned rate_den, int64_t *ret_frames);

/* The label offset frames after (before, if negative) tc, wrapping round midnight, in the
 * same drop-frame mode as tc, into buf (at least 12 bytes). -EINVAL when tc is invalid. */
int mov_timecode_add(const char *tc, int64_t offset, unsigned rate_num, unsigned rate_den,
		     char *buf, size_t len);

/* Check a whole parameter set: format/geometry (mov_format_check), rate, SAR, timecode.
 * 0 or -EINVAL/-ENOTSUP/-EFBIG with a constant reason in *ret_why (may be NULL). */
int mov_params_check(const struct mov_params *p, const char **ret_why);

/* ---- writer: the index around payload that the caller writes itself ---- */

struct mov_writer;

/* Start a MOV on fd (an ordinary, seekable fd open for writing; not O_DIRECT; borrowed, not
 * closed): ftyp, wide and the mdat header (and the timecode sample) are written at offset 0
 * right away with pwrite. Parameters are checked with mov_params_check() first. */
int mov_writer_open(int fd, const struct mov_params *p, struct mov_writer **ret_writer);

/* Bytes of header written: the first frame may go at any offset >= this (normally the next
 * alignment unit). */
uint64_t mov_writer_data_start(const struct mov_writer *w);

/* Index one frame whose payload is already at [offset, offset + size) in the file; frames
 * must come in file order without overlap, offset >= data_start, and size must be the
 * format's frame size. data is the frame's memory (never written to the file, never kept); it
 * may be NULL when the payload is only on disk (recovery). pts counts frame periods from 0
 * and must increase; a gap means dropped frames (the previous sample lasts longer).
 * A repeat: offset equal to the previous frame's offset indexes that frame's payload once more
 * as a new sample at pts (a filled drop; stco then lists the offset twice, which QuickTime and
 * FFmpeg read as the same picture shown again). */
int mov_writer_add(struct mov_writer *w, uint64_t offset, const void *data, size_t size,
		   int64_t pts);

/* Frames indexed so far. */
uint64_t mov_writer_count(const struct mov_writer *w);
/* Index one chunk of n samples of sound (every audio track's part of it, laid out as
 * mov_audio_chunk_layout() says) already at [offset, offset + layout bytes) in the file, not
 * overlapping a frame. first is the index of its first sample: chunks follow each other
 * without a gap (a PCM track has one duration for all samples, so a gap could not be told;
 * silence stands in for lost sound), else -EINVAL. data is the chunk's memory (never written,
 * never kept), or NULL when it is only on disk (recovery). One packet per track goes through
 * libavformat (av_write_frame) as the video's does. -EINVAL also without sound in the
 * parameters or for n == 0. */
int mov_writer_add_audio(struct mov_writer *w, uint64_t offset, const void *data, uint64_t n,
			 uint64_t first);

/* Samples of sound indexed so far. */
uint64_t mov_writer_audio_count(const struct mov_writer *w);


/* Write the moov at moov_at (0: right after the last frame; the capture tool passes
 * dio_writer_end() so the moov never shares a range with an O_DIRECT batch; must be >= the
 * end of the last frame), then fix the mdat size so mdat covers everything up to the moov.
 * *ret_size (may be NULL) gets the final file size: the caller truncates the file to it (the
 * writer does not). All payload must be on disk before this is called. After finish only
 * mov_writer_free() may be called. */
int mov_writer_finish(struct mov_writer *w, uint64_t moov_at, uint64_t *ret_size);

/* Free; accepts NULL and writers that were never finished (the file then has no moov: see
 * mov_recover()). */
void mov_writer_free(struct mov_writer *w);

/* ---- journal: per-frame sidecar log that makes an unfinished file recoverable ----
 *
 * A text file, normally "<file>.vcj", one line per item, fields separated by one space:
 *
 *   vcj 1                                 magic and version, first line
 *   format UYVY                           mov_format_name()
 *   size 1920x1080
 *   rate 30000/1001
 *   field tff                             mov_field_name()
 *   colour bt709                          mov_colour_name(), resolved
 *   sar 0/0
 *   timecode 01:00:00;00                  or "-"
 *   data_start 4096                       offset of the first frame
 *   pid 1234                              the recording process (names a lock's holder)
 *   recording 0f3a...                     128 random bits in hex, also stamped in the file
 *   sidecar /abs/a.md5                    optional: where the framemd5 sidecar goes
 *   columns frame offset size pts sequence field flags timestamp timecode md5 note
 *   0 4096 4147200 0 17 interlaced 0x00002001 1234.000001000 01:00:00;00 - -
 *   ...
 *   batch 0 8 1834 12 40 1234.300001000 -  one per write, after its frame and chunk lines
 *                                         (mov_journal_append_batch)
 *   synced F C                            the first F frame lines and C chunk lines
 *                                         are durable (mov_journal_synced)
 *   end frames=N size=S                   written by a clean finish (mov_journal_close)
 *
 * Frame lines start with a digit; "-" marks an absent value; the timestamp is seconds.ns;
 * md5 is 32 hex digits or "-". A last line without its newline (a crash mid-write) is ignored.
 * A clean finish keeps the journal: it is the capture log, marked complete by its end line.
 * The note column (added in version 1; readers take the columns they know and ignore the
 * rest) is "-" or comma-separated words from the capture tool: "lost=N" (N frames lost just
 * before this one), "lost-fields=N", "starved" (no buffer was free for the device),
 * "fill" (a repeat of the previous frame's payload at the same offset, standing in for a lost
 * one: its sequence is the lost one's), "tc-break" (the device timecode did not follow on).
 * A header key may appear again before the first frame line; the last value counts
 * (mov_journal_set_timecode() uses that for a start timecode learnt from the first frame).
 */

struct mov_journal;

/* One frame record. All fields are copied. */
struct mov_journal_frame {
	uint64_t offset;
	uint32_t size;
	int64_t pts;           /* as given to mov_writer_add() */
	uint32_t sequence;     /* driver sequence number (v4l2_buffer.sequence) */
	uint32_t field;        /* V4L2 field (enum v4l2_field value) */
	uint32_t flags;        /* V4L2 buffer flags */
	uint64_t timestamp_ns; /* capture timestamp */
	const char *timecode;  /* NULL: derived from the start timecode and pts (or "-") */
	const uint8_t *md5;    /* 16 bytes, or NULL */
	const char *note;      /* the note column (no spaces), or NULL for "-" */
};

/* "<mov_path>.vcj" into buf. -ENAMETOOLONG if it does not fit. */
int mov_journal_path(const char *mov_path, char *buf, size_t len);
/* Whether mov_path has a capture log beside it: only then can mov_recover() rebuild it, so
 * only then do the tools suggest it for a file they cannot read. */
bool mov_journal_exists(const char *mov_path);

/* Create the journal at path with dio_create() (never through a symbolic link: -EEXIST for
 * anything at path unless force, which replaces a file's content or a link itself) and write
 * its header. The journal is the caller's, to close or free. -errno of dio_create(), of
 * writing, -EINVAL for parameters mov_params_check() refuses. */
int mov_journal_open(const char *path, const struct mov_params *p, uint64_t data_start,
		     bool force, struct mov_journal **ret_journal);

/* Queue one frame's line in memory. Append only frames whose payload is on disk (their batch
 * has completed), in file order. */
int mov_journal_append(struct mov_journal *j, const struct mov_journal_frame *fr);

/* One chunk of sound (mov_writer_add_audio), logged like a frame once its batch is on disk,
 * after the batch's frames: "chunk OFFSET FIRST SAMPLES MD5 NOTE", md5 over the chunk's
 * bytes as mov_audio_chunk_layout() lays them out, note "-" or "xrun=N" (N samples of the
 * chunk are silence standing in for sound the device lost), "late=N" (silence for sound
 * that never came). A journal of a recording with sound has the header line
 * "audio RATE CHANNELS BITS TRACKS" (mov_audio_tracks_name()). */
struct mov_journal_chunk {
	uint64_t offset;
	uint64_t first;	   /* index of its first sample */
	uint64_t samples;
	const uint8_t *md5; /* 16 bytes, or NULL */
	const char *note;   /* no spaces, or NULL for "-" */
};
int mov_journal_append_audio(struct mov_journal *j, const struct mov_journal_chunk *ch);

/* One write of frames (and its chunk of sound) that has completed, logged after its frame
 * and chunk lines, for the capture report (mov_report_open): "batch FIRST FRAMES LATENCY_US
 * HELD SLOTS DONE DRIFT_PPM". FIRST and FRAMES are the frame lines the batch added (the
 * journal counts them: the lines since the last batch line, fills included); LATENCY_US the
 * write's submit-to-completion time in microseconds; HELD of SLOTS the buffers (slots) the
 * recording held, not queued at the device, when the write was submitted (the buffer fill:
 * SLOTS of SLOTS means the device had none free); DONE the CLOCK_MONOTONIC time the write
 * completed, seconds.ns (the clock of the frame timestamps); DRIFT_PPM the audio clock's
 * drift against the video clock known then, or "-". Added after version 1's first
 * recordings: readers that predate it ignore the line (an unknown key), and a log without
 * batch lines has no batch data. Readers take the columns they know and ignore more. */
struct mov_journal_batch {
	uint64_t latency_ns;  /* submit to completion */
	unsigned held, slots; /* buffer fill when submitted */
	uint64_t done_ns;     /* CLOCK_MONOTONIC at completion */
	bool drift_known;
	double drift_ppm;
};
int mov_journal_append_batch(struct mov_journal *j, const struct mov_journal_batch *b);

/* Set the start timecode once it is known (a device's first frame), before the first frame
 * is appended: a "timecode" line follows the header and frames without their own timecode
 * are labelled from it. -EBUSY after the first frame, -EINVAL for an invalid timecode. */
int mov_journal_set_timecode(struct mov_journal *j, const char *tc, unsigned rate_num,
			     unsigned rate_den);

/* How many frame lines and chunk lines have been appended so far: what a durability point
 * started now covers (mov_journal_synced()). */
void mov_journal_counts(const struct mov_journal *j, uint64_t *ret_frames, uint64_t *ret_chunks);

/* A durability point: the payload of the first frames frame lines and chunks chunk lines
 * (counts taken with mov_journal_counts() before the recording's fdatasync began) has been
 * made durable. Appends "synced FRAMES CHUNKS" and writes it out like mov_journal_flush();
 * once the log itself is synced (fdatasync of mov_journal_fd()), the promise holds after a
 * power cut: mov_recover() requires every entry it covers, and keeps an entry after it only
 * when its payload is found on disk. -EINVAL for counts beyond what was appended. */
int mov_journal_synced(struct mov_journal *j, uint64_t frames, uint64_t chunks);

/* The log's file descriptor, owned by j: for an fdatasync the caller runs (asynchronously,
 * dio_writer_submit_sync()) after mov_journal_synced(); never write to it. */
int mov_journal_fd(const struct mov_journal *j);

/* Write the queued lines to the file (one write(); survives the process being killed, not a
 * power cut: mov_journal_synced() and mov_journal_close() mark what is durable). Call once
 * per completed batch. */
int mov_journal_flush(struct mov_journal *j);

/* Flush, write the end line with the final frame count and file size, fdatasync, close and
 * free. Returns the first error met; j is freed either way. */
int mov_journal_close(struct mov_journal *j, uint64_t frames, uint64_t file_size);

/* Close and free without an end line (the capture failed; the journal stays for recovery).
 * Accepts NULL. */
void mov_journal_free(struct mov_journal *j);

/* Stamp the journal's recording id into the MOV file fd: MOV_STAMP_SIZE bytes ending at
 * data_start (the first frame), in mdat bytes no sample uses, so that recovery can tell this
 * journal from one of another recording even without md5s; and before them the file's self
 * description (MOV_SELF_SIZE bytes: the log's header lines and slot, the bytes from one
 * frame's start to the next's), from which recovery rebuilds a recording without sound when
 * the log is lost. Write it before the header can grow there: mov_writer_open() checks its
 * header ends before data_start, and the header (ftyp, wide, mdat) is far shorter than the
 * room left. -ERANGE when data_start leaves no room (it must be >= 2048), -ENAMETOOLONG when
 * the description does not fit; -errno from pwrite(). */
int mov_journal_stamp(const struct mov_journal *j, int fd, uint64_t data_start, uint64_t slot);

/* Record the absolute path of the framemd5 sidecar the recording writes at its end, so that
 * recovery can write it when the recording never got there. Before the first frame: -EBUSY
 * after it; -EINVAL for a path with a newline; -errno from getcwd() for a relative path. */
int mov_journal_set_sidecar(struct mov_journal *j, const char *path);

/* The value of header key "key" in the journal at path (the last one before the first frame
 * line), into buf. -ENOENT when the key is absent, -ENAMETOOLONG when it does not fit in len,
 * -errno from opening the journal. */
int mov_journal_key(const char *path, const char *key, char *buf, size_t len);

/* ---- the recording lock: one writer of a file at a time ----
 *
 * An OFD write lock (fcntl F_OFD_SETLK, Linux 3.15, fcntl(2)) on the whole MOV file, held by
 * the recording from before its first frame to its end, and by recovery while it rewrites
 * the index. It is an open-file-description lock, so the recording's other descriptors of
 * the file (its O_DIRECT one, the reader that writes the sidecar) neither take nor drop it,
 * and it goes away with the process, even after kill -9. OFD locks do not name their
 * holder (F_OFD_GETLK gives l_pid -1): the holder is the journal's "pid" when that process
 * is alive. */
struct mov_lock;

/* Lock mov_path, which must exist (it is opened O_RDWR, never created or truncated, and
 * never through a symbolic link: -ELOOP for a link, what it names is not opened).
 * -EBUSY when another open file holds the lock: *holder (may be NULL) is then the pid of
 * the recording named by the journal, or 0 when none is known; other -errno from open() and
 * fcntl() (-ENOLCK, -EINVAL: a filesystem without OFD locks). Free with mov_lock_free(). */
int mov_lock_take(const char *mov_path, struct mov_lock **ret_lock, int *holder);

/* Release the lock and free it. Accepts NULL. */
void mov_lock_free(struct mov_lock *l);

/* ---- recovery ---- */

struct mov_recover_result {
	uint64_t frames;    /* frames indexed */
	uint64_t dropped;   /* journaled frames whose payload lies past the end of the file */
	uint64_t durable;   /* frames the log's last durability point ("synced") covers */
	uint64_t not_durable; /* frames after it whose payload is not on disk (a power cut):
			       * they and everything after them are left out */
	uint64_t checked;   /* frames whose payload was checked against the journal's md5 */
	uint64_t size;      /* final file size */
	bool was_complete;  /* the journal had its end line */
	bool was_recovered; /* that end line was written by a recovery */
	uint64_t bad_frame; /* -EILSEQ, -EMEDIUMTYPE: the journal's frame that does not fit */
	uint64_t audio_samples; /* samples of sound indexed (every audio track has them all) */
	uint64_t audio_dropped; /* journaled samples left out: past the end of the file */
	int holder;	    /* -EBUSY: the recording's pid, 0 when unknown */
	/* Rebuilt without the log (lost: log_err -ENOENT; damaged: -EBADMSG) from the file's
	 * self description (mov_journal_stamp): frames one per slot from data_start, in file
	 * order, a frame period each; drops, fills and timestamps unknown, no md5 checked.
	 * by_extents: found by the extents written (FIEMAP), else by the file's size. */
	bool from_file, by_extents;
	int log_err;
	/* The md5 of each indexed frame, in sample order, from the journal (malloc'd, the
	 * caller frees it; NULL when the journal has none): what a framemd5 sidecar needs. */
	uint8_t (*md5)[16];
};

/* Rebuild the index of path from its journal (journal_path NULL: "<path>.vcj"): a fresh
 * header, every journaled frame whose payload is inside the file, the moov after the last
 * one, mdat fixed, file truncated and synced. A journal with an end line means the file was
 * finished cleanly (or recovered already): -EEXIST unless force, with was_complete and
 * was_recovered set in *ret_result.
 *
 * Before anything is changed, the journal is checked against the file, so that a journal of
 * another recording is refused: a recording id stamped in the file (mov_journal_stamp) that
 * is not the journal's gives -ESTALE (a file without a stamp is not checked for it); every
 * frame must be of the journal's format's frame size (mov_format_frame_size) at or past
 * data_start, else -EMEDIUMTYPE; when the journal has
 * md5s, each frame's payload inside the file is read and hashed, and any that differs means
 * the journal does not belong to the file (recordings of the same source can share their
 * first frames): -EILSEQ, bad_frame says which; -EUCLEAN instead when that payload is not on
 * disk (FIEMAP: a hole or an unwritten extent) although the log's last durability point
 * covers it: the filesystem lost data it acknowledged.
 *
 * After a power cut (the rules of mov_journal_synced()): entries the log's last "synced" line
 * covers are required as above; an entry after it is kept only while its payload is on disk
 * (inside the file, in written extents, matching its md5 when the log has one); from the
 * first that is not, it and every later entry are left out (not_durable, audio_dropped).
 *
 * When the log is missing or cannot be parsed, a recording without sound is rebuilt from the
 * file alone (from_file, see mov_recover_result): -ENOMSG when the file has no self
 * description (not from vcap, or cut before its first page), -EOPNOTSUPP for a recording
 * with sound (its chunks vary in size; only the log places them), -EEXIST when the file's
 * index is whole (unless force).
 *
 * The file is locked (mov_lock_take) for the whole rewrite: -EBUSY while a recording holds
 * it (holder says who). The file and the journal are rewritten in place, so neither is opened
 * through a symbolic link: -ELOOP, before anything is changed, when either path is one.
 * -EBADMSG for a journal that cannot be parsed, or cannot be replayed: frames and chunks of
 * sound out of file order or overlapping (but for a frame repeating the one before, a filled
 * drop), or pts that do not rise from 0 (bad_frame says which), or anything else the index
 * writer (libavformat) refuses when the whole index is rehearsed on a scratch memfd before
 * the file is touched. A log with no frame at all
 * (the recording was killed before its first) makes an empty MOV, if the file holds nothing
 * written past data_start (else -ENODATA); -ENODATA when no frame survives. These are found
 * before anything is changed; other -errno from I/O. *ret_result (may be NULL) is written on
 * every return, as far as the work got; its md5 is non-NULL only on success. */
int mov_recover(const char *path, const char *journal_path, bool force,
		struct mov_recover_result *ret_result);

/* The md5 sidecar a recovered recording meant to write. */
struct mov_sidecar_result {
	char path[4096]; /* the log's "sidecar" key; "" when it has none */
	enum mov_sidecar_status {
		MOV_SIDECAR_NONE,    /* recorded without an md5 sidecar: nothing to do */
		MOV_SIDECAR_NO_MD5,  /* the log has no md5 for every frame: not written */
		MOV_SIDECAR_KEPT,    /* a sidecar with lines exists and force was not given */
		MOV_SIDECAR_WRITTEN, /* written from the log's md5s */
	} status;
};

/* After mov_recover() of path (res its result): write the framemd5 sidecar the recording
 * meant to write (mov_journal_set_sidecar) from the journal's md5s, as mov_framemd5_write()
 * does at the end of a recording. An existing sidecar is replaced only with force, or when it
 * is the empty one the recording created and never filled (a symbolic link is never that, and
 * force replaces the link itself: mov_framemd5_write()). journal_path NULL: "<path>.vcj".
 * 0 with *ret_side saying what was done, or -errno writing it (ret_side->path names it). */
int mov_recover_sidecar(const char *path, const char *journal_path,
			const struct mov_recover_result *res, bool force,
			struct mov_sidecar_result *ret_side);

/* ---- reader: the index of any MOV (also ffmpeg-made, unaligned) ---- */

struct mov_reader;

struct mov_sample {
	uint64_t offset;
	uint32_t size;
	int64_t pts; /* in the stream time base, mov_info.tb_num/tb_den */
};

/* Describes the first video stream. A plain value. */
struct mov_info {
	const struct mov_format *format; /* NULL when the tag is not in the table */
	uint32_t tag;                    /* sample-entry tag, MKTAG order */
	unsigned depth;
	/* FFmpeg codec name of a table format ("rawvideo", "v210"), else "unknown" */
	char codec[32];
	unsigned width, height;
	unsigned rate_num, rate_den; /* 0/0 when unknown */
	unsigned tb_num, tb_den;
	enum mov_field field;
	int primaries, transfer, matrix; /* ISO/IEC 23091-2 codes, 2 = unspecified */
	unsigned sar_num, sar_den;       /* 0/0 when not set */
	char timecode[16];               /* "" when no timecode track */
	unsigned timecode_breaks;        /* tmcd samples after the first (label jumps) */
	uint64_t samples;
	uint32_t frame_size; /* bytes of every sample (all are one size) */
	uint32_t stride;     /* bytes per row as stored: the format's, or ffmpeg's padded rows */
	uint64_t file_size;
	double duration; /* seconds */
	/* Sound beside the picture: every audio track counted, the rest of the first one;
	 * audio_tracks 0 when there is none. */
	unsigned audio_tracks;
	unsigned audio_channels; /* over all audio tracks */
	unsigned audio_rate;	 /* samples per second */
	unsigned audio_bits;	 /* bits per sample as stored (16, 24, 32; 0 when not PCM) */
	uint64_t audio_samples;	 /* the first audio track's duration in samples */
	char audio_codec[32];	 /* FFmpeg's codec name, "pcm_s24le" */
};

/* Open path and read its index through libavformat's mov demuxer (avformat_open_input, no
 * payload read): the first video track's samples as ffmpeg plays them (after edit lists and
 * across fragments), and its timecode track whole. What a player of whole frames cannot play
 * right is refused, with a one-line reason in why (len bytes, may be NULL/0):
 *   -EINVAL     not a MOV libavformat can read (no moov, damaged boxes)
 *   -ENOMEDIUM  no video track
 *   -ENODATA    a video track without frames
 *   -ENOTSUP    more than one sample description in the video track ("2 sample
 *               descriptions (2vuy, yuvs) in one track"): FFmpeg's mov.c plays only the first
 *   -EBADMSG    frames of different sizes, or a size that is not the format's frame with
 *               (possibly padded) rows; more frames than the file has bytes; a damaged
 *               timecode track
 *   -EFBIG      more than 2^27 frames; -ENOENT/-EACCES from open, -ENOMEM.
 * *ret_reader is the caller's, for mov_reader_free(). */
int mov_reader_open(const char *path, struct mov_reader **ret_reader, char *why, size_t len);
void mov_reader_info(const struct mov_reader *r, struct mov_info *ret_info);
uint64_t mov_reader_count(const struct mov_reader *r);
/* Sample i; -ERANGE past the end. */
int mov_reader_sample(const struct mov_reader *r, uint64_t i, struct mov_sample *ret_sample);
/* The whole table (count entries), owned by the reader. */
const struct mov_sample *mov_reader_samples(const struct mov_reader *r);
/* The timecode label of frame i ("HH:MM:SS:FF", ';' drop-frame) into buf (len bytes, 16 is
 * enough): from the tmcd sample in force at the frame's time, counting on one label per
 * frameDuration, round the 24-hour clock. -ENOENT without a timecode track, -ERANGE past the
 * last frame. */
int mov_reader_timecode(const struct mov_reader *r, uint64_t i, char *buf, size_t len);
/* The first frame labelled label ("HH:MM:SS:FF" or "HH:MM:SS;FF") into *ret_i. -ENOENT without
 * a timecode track, -EINVAL for a label invalid at the track's rate, -EDOM when its drop-frame
 * style differs from the track's, -ESRCH when no frame of the file carries it. */
int mov_reader_find_timecode(const struct mov_reader *r, const char *label, uint64_t *ret_i);
/* Accepts NULL. */
void mov_reader_free(struct mov_reader *r);

/* ---- audio reader: the sound of any MOV, every PCM track, through libavformat ----
 *
 * The PCM tracks of a file (16, 24 or 32 bits, little- or big-endian: 'sowt', 'twos', 'in24',
 * 'in32', 'lpcm' as FFmpeg's mov demuxer reads them) read with av_read_frame on a second
 * demuxer, video discarded unread, and handed out as one interleaved little-endian stream at
 * the file's bit depth (16: s16le, 24: packed s24le, 32: s32le): the channels of every track in
 * track order, the first track's channels first. Sound is small next to video: it is copied.
 */
struct mov_audio_reader;

struct mov_audio_info {
	unsigned rate;	   /* samples per second */
	unsigned channels; /* all tracks' together */
	unsigned bits;	   /* 16, 24, 32: the output's (every track's) sample width */
	unsigned tracks;   /* PCM tracks played */
	uint64_t samples;  /* the shortest track's length, in samples */
	char codec[32];	   /* the first track's FFmpeg codec name ("pcm_s24le") */
};

/* Open path's PCM tracks. With a one-line reason in why (len bytes, may be NULL/0):
 *   -ENOMEDIUM  no audio track
 *   -ENOTSUP    an audio track that is not 16/24/32-bit integer PCM, or tracks that differ in
 *               rate or bits, or more than MOV_AUDIO_MAX_TRACKS tracks or 32 channels
 *   -EINVAL     not a MOV libavformat can read; -ENOENT/-EACCES from open, -ENOMEM.
 * *ret_reader is the caller's, for mov_audio_reader_free(). */
int mov_audio_reader_open(const char *path, struct mov_audio_reader **ret_reader, char *why,
			  size_t len);
void mov_audio_reader_info(const struct mov_audio_reader *r, struct mov_audio_info *ret_info);
/* Bytes of one sample (all channels): channels x bits / 8. */
unsigned mov_audio_reader_sample_bytes(const struct mov_audio_reader *r);
/* The next read starts at sample (0 is the first of the file). -ERANGE past the end; -EIO
 * when the demuxer cannot seek there. */
int mov_audio_reader_seek(struct mov_audio_reader *r, uint64_t sample);
/* Up to n samples (n x sample_bytes into buf), interleaved as above: returns how many, fewer
 * than n only at the end of the shortest track (0: the end). -EIO, -ENOMEM. */
int64_t mov_audio_reader_read(struct mov_audio_reader *r, void *buf, uint64_t n);
/* Accepts NULL. */
void mov_audio_reader_free(struct mov_audio_reader *r);

/* FFmpeg framemd5 sidecars, byte for byte as "ffmpeg -i FILE -c copy -f framemd5 -" prints
 * them, so the two can be compared with cmp or diff. */

/* Write to out_path (created by dio_create(): never through a symbolic link; anything there
 * is -EEXIST unless force, which replaces a file's content, or a link itself by a new file)
 * one line per sample of the MOV at mov_path: its dts/pts/duration/size from the file's own
 * index and md5[i], the MD5 of sample i that the caller computed while the frame was in
 * memory. n must equal the file's sample count (else -EINVAL). */
int mov_framemd5_write(const char *out_path, const char *mov_path, const uint8_t (*md5)[16],
			uint64_t n, int force);
/* The same into fd, a file the caller opened for writing (and keeps, and closes): whatever it
 * held is replaced. Lets a recorder create its sidecar before the recording and fill it at
 * the end. */
int mov_framemd5_write_fd(int fd, const char *mov_path, const uint8_t (*md5)[16], uint64_t n);

/* The same lines written one at a time, for a player that checksums frames as they go out:
 * open creates out_path as mov_framemd5_write() does (dio_create(); with force a device or a
 * fifo there is written as it is) and writes the header; each line is sample i's line exactly
 * as ffmpeg prints it for that sample, so a list of lines for any frames, in any order or
 * repeated, can be compared with the matching lines of ffmpeg's output. */
struct mov_framemd5;

int mov_framemd5_open(const char *out_path, const char *mov_path, int force,
		       struct mov_framemd5 **ret_md5);
/* -ERANGE when i is not a sample of the file. */
int mov_framemd5_line(struct mov_framemd5 *m, uint64_t i, const uint8_t md5[16]);
/* Flush, close, free; returns the first write error. Accepts NULL. */
int mov_framemd5_close(struct mov_framemd5 *m);



/* ---- Checks of a file's index (verify.c), for vmov verify ---- */

/* Findings kept in a result: the first MOV_VERIFY_LIST; the counts count them all. */
#define MOV_VERIFY_LIST 10

struct mov_verify_sample {
	uint64_t sample, offset;  /* index in the file, byte offset */
	uint32_t size, want_size; /* bytes; want_size: the sidecar's (md5) */
	const char *why;	  /* structure: what is wrong, a static string */
	char md5[33], want_md5[33]; /* md5: the sample's, the sidecar's (hex) */
};

struct mov_verify_result {
	uint64_t bad;		/* findings; for md5 also 1 when the frame counts differ */
	uint64_t mismatches;	/* md5: samples whose md5 or size differ */
	uint64_t sidecar_frames; /* md5: stream 0 lines in the sidecar */
	/* md5, the sound: the sidecar's lines of streams 1, 2, ... (the audio tracks in file
	 * order), the file's audio packets as libavformat's demuxer cuts them, and the lines
	 * whose packet differs or is missing (the first one's stream and dts, in its track's
	 * samples) */
	uint64_t sidecar_audio, audio_packets, audio_mismatches;
	unsigned audio_first_bad_stream;
	int64_t audio_first_bad_dts;
	struct mov_verify_sample list[MOV_VERIFY_LIST];
	enum { MOV_VERIFY_OK, MOV_VERIFY_FAILED_SIDECAR, MOV_VERIFY_FAILED_OPEN,
	       MOV_VERIFY_FAILED_FRAME } failed; /* what an error return failed at */
	uint64_t failed_frame;			 /* MOV_VERIFY_FAILED_FRAME: which sample */
};

/* Samples of r whose offset is a multiple of align (bytes). */
uint64_t mov_count_aligned(const struct mov_reader *r, uint64_t align);

/* Every sample inside the file, in order and not overlapping (a repeat of the sample before,
 * as vcap --fill-drops writes, is fine), and of the format's frame size when the format is
 * in the table. Returns 0; findings in *res. */
int mov_verify_structure(const struct mov_reader *r, struct mov_verify_result *res);

/* Each sample's MD5, read from mov_path, against md5_path, an FFmpeg framemd5 file
 * (libavformat/hashenc.c; lines of stream 0), then the sound: lines of streams 1, 2, ...
 * against the file's audio packets (a count that differs is one finding more). 0 with the
 * mismatches in *res, or -errno with
 * res->failed saying at what: -EBADMSG (the sidecar is not framemd5), -ENOENT..., -ENODATA (a
 * sample past the end of the file). */
int mov_verify_md5(const struct mov_reader *r, const char *mov_path, const char *md5_path,
		   struct mov_verify_result *res);

/* ---- the capture report (report.c, report-log.c, report-av.c), for vmov report ----
 *
 * What happened in a recording, frame by frame and write by write, for a person to read
 * (vmov report draws it) or a script: the file's own description, what its capture log says
 * (drops, fills, flagged frames, timecode breaks, the disk's latency and buffer fill per
 * batch, the sound's xruns and drift), and per-frame signal statistics computed by
 * libavfilter's signalstats filter, as QCTools and "ffmpeg -vf signalstats" compute them,
 * plus thumbnails. A file from another tool has no log: only the log's parts are missing. */

/* The signalstats values kept per frame (FFmpeg libavfilter/vf_signalstats.c, the metadata
 * keys "lavfi.signalstats.NAME"), then MSEF_Y: the mean squared error between the frame's two
 * fields (lavfi.psnr.mse.y of the field=top and field=bottom halves, QCTools' MSEf). */
enum mov_report_stat {
	MOV_STAT_YMIN,
	MOV_STAT_YLOW,
	MOV_STAT_YAVG,
	MOV_STAT_YHIGH,
	MOV_STAT_YMAX,
	MOV_STAT_UAVG,
	MOV_STAT_VAVG,
	MOV_STAT_SATMIN,
	MOV_STAT_SATAVG,
	MOV_STAT_SATMAX,
	MOV_STAT_HUEAVG,
	MOV_STAT_YDIF,
	MOV_STAT_TOUT,
	MOV_STAT_VREP,
	MOV_STAT_BRNG,
	MOV_STAT_MSEF_Y,
	MOV_REPORT_STATS,
};
/* "YMIN", ..., "BRNG" (signalstats' own key), "MSEfY". NULL past the end. */
const char *mov_report_stat_name(unsigned stat);

enum mov_report_event_kind {
	MOV_EVENT_DROP,	    /* frames lost before frame (count, fields; starved: buffers full) */
	MOV_EVENT_FILL,	    /* frame is a repeat standing in for a lost one (vcap --fill-drops) */
	MOV_EVENT_FLAGGED,  /* the device flagged frame V4L2_BUF_FLAG_ERROR */
	MOV_EVENT_TC_BREAK, /* the timecode does not follow on at frame */
	MOV_EVENT_XRUN,	    /* count samples of sound lost (silence) in the chunk at frame */
	MOV_EVENT_LATE,	    /* count samples of sound that never came (silence) */
	MOV_EVENT_MD5,	    /* frame's bytes differ from the log's md5 */
};
/* "drop", "fill", "flagged", "tc-break", "xrun", "late", "md5-mismatch". */
const char *mov_report_event_name(enum mov_report_event_kind kind);

struct mov_report_event {
	enum mov_report_event_kind kind;
	uint64_t frame;	   /* the file's frame (sample index) it is at */
	uint64_t count;	   /* drop: frames lost; xrun, late: samples */
	uint32_t fields;   /* drop: fields lost */
	uint64_t sequence; /* drop: the device sequence of the first frame lost (as vcap's
			    * drop line and --json drop_list give it) */
	bool starved;	   /* drop: every buffer was held (the disk was too slow) */
};

struct mov_report_frame {
	double t; /* seconds from the first frame, by the index's pts */
	/* from the capture log (mov_report.has_log and frame < log_frames) */
	uint64_t sequence;
	uint32_t flags;	   /* V4L2 buffer flags */
	double timestamp;  /* capture time, CLOCK_MONOTONIC seconds */
	char timecode[16]; /* the log's label, or the timecode track's; "" for none */
	/* signalstats (has_stats) */
	bool has_stats;
	double stat[MOV_REPORT_STATS]; /* NaN where the filter gave none (MSEfY: odd heights) */
};

/* One write (a "batch" line of the log). */
struct mov_report_batch {
	uint64_t first, frames; /* its frames */
	double t;		/* completion, seconds from the first frame's capture time */
	double latency_ms;	/* submit to completion */
	unsigned held, slots;	/* buffers held at submit, of all: the fill is held / slots */
	bool drift_known;
	double drift_ppm; /* audio clock against video, when known */
};

/* One thumbnail: a PNG made by libavcodec from a frame scaled by libavfilter. */
struct mov_report_thumb {
	uint64_t frame;
	double t;
	unsigned width, height;
	uint8_t *png; /* size bytes, owned by the report */
	size_t size;
};

struct mov_report_opts {
	const char *journal;  /* the capture log; NULL: "<path>.vcj" when there is one */
	double thumb_every;   /* seconds between thumbnails; 0: about 24 over the file; < 0:
			       * none */
	unsigned thumb_width; /* pixels; 0: 160 */
	bool no_stats;	      /* read no frame: neither statistics nor thumbnails nor md5s */
};

struct mov_report {
	struct mov_info info;
	char log_path[4096];
	bool has_log;	     /* the capture log was read */
	int log_err;	     /* why not: -ENOENT (none), -EBADMSG (not a capture log), ... */
	bool log_complete;   /* it has its end line (a clean finish, or recovered) */
	bool log_recovered;  /* that end line was written by vmov recover */
	char recording[40];  /* the recording id, "" without a log */
	char sidecar[4096];  /* the log's md5 sidecar path, "" for none */
	uint64_t log_frames; /* frame lines in the log (beyond the file's: not indexed) */
	uint64_t log_synced; /* frames its last durability point covers (all of them with the
			      * end line: a clean finish syncs the file, then the log) */
	unsigned audio_rate; /* the log's audio rate, 0 without sound */
	uint64_t frames;     /* the file's frames: frame[] has them all */
	struct mov_report_frame *frame;
	uint64_t batches;
	struct mov_report_batch *batch;
	uint64_t events;
	struct mov_report_event *event; /* by frame, then kind */
	unsigned thumbs;
	struct mov_report_thumb *thumb;
	bool stats;		/* the frames were read and their statistics computed */
	char stats_filter[256]; /* the libavfilter graph the statistics came from */
	/* md5: the frames' bytes against the log's md5s (when it has them) */
	uint64_t md5_checked, md5_mismatches;
	double drift_ppm; /* the last batch's audio drift, when known (drift_known) */
	bool drift_known;
	uint8_t (*log_md5)[16]; /* the log's md5 of each frame (frames entries); NULL when the
				 * log has none for some frame */
};

/* Build the report of the MOV at path (every frame is read and decoded unless
 * opts->no_stats). *ret_report is the caller's, for mov_report_free(); nothing is printed.
 * A log that is missing or not a capture log is no error (has_log false, log_err why); a log
 * of another recording (its frame count or sizes do not fit the file) neither, but its data
 * is not used: log_err -ESTALE. -errno from mov_reader_open() with a one-line reason in why
 * (len bytes); -ENOSYS when this libavfilter lacks signalstats, -ENOMEM, -EIO reading. */
int mov_report_open(const char *path, const struct mov_report_opts *opts,
		    struct mov_report **ret_report, char *why, size_t len);
/* Accepts NULL. */
void mov_report_free(struct mov_report *r);

#pragma GCC visibility pop
#endif
