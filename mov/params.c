/* Stream parameters: field modes, colour, timecode and whole-set validation. Pure logic. */
#include "mov-internal.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include <libavutil/pixdesc.h>

static const struct {
	const char *name;
	const char *alias;
	uint16_t fiel;
	enum AVFieldOrder av;
} fields[] = {
	[MOV_FIELD_PROGRESSIVE] = { "progressive", "p", 0x0100, AV_FIELD_PROGRESSIVE },
	[MOV_FIELD_TFF] = { "tff", "tb", 0x0209, AV_FIELD_TB },
	[MOV_FIELD_BFF] = { "bff", "bt", 0x020e, AV_FIELD_BT },
	[MOV_FIELD_SEP_TB] = { "sep-tb", "tt", 0x0201, AV_FIELD_TT },
	[MOV_FIELD_SEP_BT] = { "sep-bt", "bb", 0x0206, AV_FIELD_BB },
	[MOV_FIELD_UNKNOWN] = { "unknown", NULL, 0, AV_FIELD_UNKNOWN },
};

#define NFIELDS (sizeof(fields) / sizeof(fields[0]))

uint16_t mov_field_fiel(enum mov_field field)
{
	return (unsigned)field < NFIELDS ? fields[field].fiel : 0;
}

const char *mov_field_name(enum mov_field field)
{
	return (unsigned)field < NFIELDS ? fields[field].name : "unknown";
}

int mov_field_parse(const char *s, enum mov_field *ret_field)
{
	unsigned i;

	for (i = 0; s && i < MOV_FIELD_UNKNOWN; i++) {
		if (!strcasecmp(s, fields[i].name) || !strcasecmp(s, fields[i].alias)) {
			*ret_field = i;
			return 0;
		}
	}
	return -EINVAL;
}

enum AVFieldOrder mov_field_to_av(enum mov_field field)
{
	return (unsigned)field < NFIELDS ? fields[field].av : AV_FIELD_UNKNOWN;
}

enum mov_field mov_field_from_fiel(uint16_t fiel)
{
	unsigned i;

	for (i = 0; i < MOV_FIELD_UNKNOWN; i++)
		if (fields[i].fiel == fiel)
			return i;
	/* fiel 1,x is progressive whatever the detail byte says */
	return fiel >> 8 == 1 ? MOV_FIELD_PROGRESSIVE : MOV_FIELD_UNKNOWN;
}

static const struct {
	const char *name;
	const char *alias;
	enum AVColorPrimaries pri;
	enum AVColorTransferCharacteristic trc;
	enum AVColorSpace spc;
} colours[] = {
	[MOV_COLOUR_AUTO] = { "auto", NULL, AVCOL_PRI_UNSPECIFIED, AVCOL_TRC_UNSPECIFIED,
			      AVCOL_SPC_UNSPECIFIED },
	[MOV_COLOUR_NONE] = { "none", NULL, AVCOL_PRI_UNSPECIFIED, AVCOL_TRC_UNSPECIFIED,
			      AVCOL_SPC_UNSPECIFIED },
	[MOV_COLOUR_BT601] = { "bt601", NULL, AVCOL_PRI_UNSPECIFIED, AVCOL_TRC_UNSPECIFIED,
			       AVCOL_SPC_UNSPECIFIED },
	[MOV_COLOUR_BT601_525] = { "bt601-525", "smpte170m", AVCOL_PRI_SMPTE170M, AVCOL_TRC_BT709,
				   AVCOL_SPC_SMPTE170M },
	/* 5-1-6, not 5-1-5: Apple's TN2227 writes 625-line SD with the 170M matrix (the same
	 * BT.601 coefficients), which mediainfo and MediaConch policies call BT.601 */
	[MOV_COLOUR_BT601_625] = { "bt601-625", "bt470bg", AVCOL_PRI_BT470BG, AVCOL_TRC_BT709,
				   AVCOL_SPC_SMPTE170M },
	[MOV_COLOUR_BT709] = { "bt709", NULL, AVCOL_PRI_BT709, AVCOL_TRC_BT709, AVCOL_SPC_BT709 },
	[MOV_COLOUR_BT2020] = { "bt2020", NULL, AVCOL_PRI_BT2020, AVCOL_TRC_BT709,
				AVCOL_SPC_BT2020_NCL },
};

#define NCOLOURS (sizeof(colours) / sizeof(colours[0]))

const char *mov_colour_name(enum mov_colour colour)
{
	return (unsigned)colour < NCOLOURS ? colours[colour].name : "none";
}

int mov_colour_parse(const char *s, enum mov_colour *ret_colour)
{
	unsigned i;

	for (i = 0; s && i < NCOLOURS; i++) {
		if (!strcasecmp(s, colours[i].name) ||
		    (colours[i].alias && !strcasecmp(s, colours[i].alias))) {
			*ret_colour = i;
			return 0;
		}
	}
	return -EINVAL;
}

bool mov_format_is_rgb(const struct mov_format *f)
{
	const AVPixFmtDescriptor *d = av_pix_fmt_desc_get(f->pix_fmt);

	return d && (d->flags & AV_PIX_FMT_FLAG_RGB);
}

enum mov_colour mov_colour_resolve(enum mov_colour colour, const struct mov_format *f,
				   unsigned height)
{
	if (colour != MOV_COLOUR_AUTO && colour != MOV_COLOUR_BT601)
		return colour;
	if (colour == MOV_COLOUR_AUTO && (!f || mov_format_is_rgb(f)))
		return MOV_COLOUR_NONE;
	if (height <= 486)
		return MOV_COLOUR_BT601_525;
	if (height <= 576)
		return MOV_COLOUR_BT601_625;
	return colour == MOV_COLOUR_BT601 ? MOV_COLOUR_BT601_625 : MOV_COLOUR_BT709;
}

void mov_colour_to_av(enum mov_colour colour, AVCodecParameters *par)
{
	if ((unsigned)colour >= NCOLOURS)
		colour = MOV_COLOUR_NONE;
	par->color_primaries = colours[colour].pri;
	par->color_trc = colours[colour].trc;
	par->color_space = colours[colour].spc;
}

unsigned mov_timecode_fps(unsigned rate_num, unsigned rate_den)
{
	uint64_t fps;

	if (!rate_num || !rate_den)
		return 0;
	fps = ((uint64_t)rate_num + rate_den / 2) / rate_den;
	return fps <= MOV_TIMECODE_MAX_FPS ? (unsigned)fps : 0;
}

unsigned mov_timecode_drop_labels(unsigned fps)
{
	return fps % 30 == 0 ? 2 * (fps / 30) : 0;
}

/* Parse "HH:MM:SS:FF" into parts; *drop set for ';' or '.' separators. */
static int timecode_split(const char *tc, unsigned part[4], bool *drop)
{
	unsigned i;
	const char *s = tc;

	*drop = false;
	for (i = 0; i < 4; i++) {
		if (s[0] < '0' || s[0] > '9' || s[1] < '0' || s[1] > '9')
			return -EINVAL;
		part[i] = (s[0] - '0') * 10 + (s[1] - '0');
		s += 2;
		if (i == 3)
			break;
		if (*s == ';' || (*s == '.' && i == 2))
			*drop = true;
		else if (*s != ':')
			return -EINVAL;
		s++;
	}
	return *s ? -EINVAL : 0;
}

int mov_timecode_check(const char *tc, unsigned rate_num, unsigned rate_den,
		       const char **ret_why)
{
	const char *why = NULL;
	unsigned part[4], fps;
	bool drop;

	if (!rate_num || !rate_den) {
		why = "a timecode needs a frame rate";
	} else if (!tc || timecode_split(tc, part, &drop)) {
		why = "timecode must be HH:MM:SS:FF (or HH:MM:SS;FF for drop-frame)";
	} else if (part[0] > 23 || part[1] > 59 || part[2] > 59) {
		why = "timecode hours must be 00-23, minutes and seconds 00-59";
	} else if ((fps = mov_timecode_fps(rate_num, rate_den)) == 0) {
		why = "a timecode needs a frame rate between 0.5 and 1000 frames per second";
	} else if (part[3] >= fps) {
		why = "timecode frames must be below the frame rate";
	} else if (drop &&
		   !(rate_den == 1001 && rate_num % 30000 == 0 && mov_timecode_drop_labels(fps))) {
		/* 510000/1001 rounds to 509: no labels to drop (FFmpeg's av_timecode_init
		 * refuses it too, and the tmcd track would be left out) */
		why = "drop-frame timecode (';') is only defined for 30000/1001-type rates (29.97, "
		      "59.94); use ':' for non-drop";
	} else if (drop && part[2] == 0 && part[1] % 10 &&
		   part[3] < mov_timecode_drop_labels(fps)) {
		why = "that drop-frame label does not exist: frames 00 and 01 (00-03 at 59.94) are "
		      "skipped at the start of every minute not divisible by 10";
	}
	if (why && ret_why)
		*ret_why = why;
	return why ? -EINVAL : 0;
}

int mov_params_check(const struct mov_params *p, const char **ret_why)
{
	const char *why = NULL;
	int ret;

	if (!p->format) {
		why = "no pixel format";
		ret = -EINVAL;
	} else if ((ret = mov_format_check(p->format, p->width, p->height, &why)) < 0) {
		/* why set */
	} else if (!p->rate_num || !p->rate_den || p->rate_num > 1000000 * 1000ull ||
		   p->rate_den > 1000000 * 1000ull || p->rate_num / p->rate_den > 1000) {
		/* both terms within 10^9: libavformat keeps them as int (AVRational); a period of
		 * 2^32 - 1 came back negative and the file had an index no reader takes */
		why = "the frame rate must be a fraction above 0 and up to 1000";
		ret = -EINVAL;
	} else if ((unsigned)p->field >= MOV_FIELD_UNKNOWN) {
		why = "unknown field mode";
		ret = -EINVAL;
	} else if ((unsigned)p->colour >= NCOLOURS) {
		why = "unknown colour description";
		ret = -EINVAL;
	} else if (!p->sar_num != !p->sar_den) {
		why = "the sample aspect ratio needs both terms (or 0/0 for none)";
		ret = -EINVAL;
	} else if (p->timecode && (ret = mov_timecode_check(p->timecode, p->rate_num,
							    p->rate_den, &why)) < 0) {
		/* why set */
	} else if ((ret = mov_audio_check(&p->audio, &why)) < 0) {
		/* why set */
	}
	if (ret < 0 && ret_why)
		*ret_why = why;
	return ret < 0 ? ret : 0;
}

int mov_timecode_parse(const char *tc, unsigned rate_num, unsigned rate_den,
		       struct mov_timecode *ret_tc)
{
	unsigned part[4], fps, minutes;
	struct mov_timecode t;
	bool drop;
	int ret;

	ret = mov_timecode_check(tc, rate_num, rate_den, NULL);
	if (ret < 0)
		return ret;
	timecode_split(tc, part, &drop);
	fps = mov_timecode_fps(rate_num, rate_den);
	minutes = part[0] * 60 + part[1];
	t.fps = fps;
	t.drop = drop ? mov_timecode_drop_labels(fps) : 0;
	t.start = ((int64_t)minutes * 60 + part[2]) * fps + part[3];
	t.start -= (int64_t)t.drop * (minutes - minutes / 10);
	*ret_tc = t;
	return 0;
}

void mov_timecode_string(const struct mov_timecode *tc, int64_t offset, char *buf, size_t len)
{
	int64_t n = tc->start + offset, per10, permin, d, m;
	unsigned fps = tc->fps;

	if (n < 0)
		n = 0;
	if (tc->drop) {
		/* label arithmetic of SMPTE 12M drop-frame: skip drop labels per minute except
		 * every tenth */
		per10 = (int64_t)fps * 600 - 9 * tc->drop;
		permin = (int64_t)fps * 60 - tc->drop;
		d = n / per10;
		m = n % per10;
		n += 9 * tc->drop * d;
		if (m > tc->drop)
			n += tc->drop * ((m - tc->drop) / permin);
	}
	snprintf(buf, len, "%02u:%02u:%02u%c%02u", (unsigned)(n / (fps * 3600ll) % 24),
		 (unsigned)(n / (fps * 60) % 60), (unsigned)(n / fps % 60), tc->drop ? ';' : ':',
		 (unsigned)(n % fps));
}

int mov_timecode_frames(const char *tc, unsigned rate_num, unsigned rate_den, int64_t *ret_frames)
{
	struct mov_timecode t;
	int ret = mov_timecode_parse(tc, rate_num, rate_den, &t);

	if (ret < 0)
		return ret;
	*ret_frames = t.start;
	return 0;
}

int mov_timecode_add(const char *tc, int64_t offset, unsigned rate_num, unsigned rate_den,
		     char *buf, size_t len)
{
	struct mov_timecode t;
	int64_t day;
	int ret = mov_timecode_parse(tc, rate_num, rate_den, &t);

	if (ret < 0)
		return ret;
	/* labels run round the clock: 24 hours of them, fewer with drop-frame */
	day = ((int64_t)t.fps * 86400 - (int64_t)t.drop * 24 * 54);
	offset %= day;
	t.start = (t.start + offset + day) % day;
	mov_timecode_string(&t, 0, buf, len);
	return 0;
}
