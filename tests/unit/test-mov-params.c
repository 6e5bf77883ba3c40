/* Stream parameters: timecode validation (drop-frame rules), field order -> fiel, colour. */
#include "mov.h"
#include "t.h"

#include <errno.h>

static void test_timecode_syntax(struct t_state *st)
{
	const char *why = NULL;

	T_EQ(st, mov_timecode_check("01:00:00:00", 25, 1, NULL), 0);
	T_EQ(st, mov_timecode_check("23:59:59:24", 25, 1, NULL), 0);
	T_EQ(st, mov_timecode_check("1:00:00:00", 25, 1, &why), -EINVAL);
	T_ASSERT(st, why && *why);
	T_EQ(st, mov_timecode_check("01:00:00", 25, 1, NULL), -EINVAL);
	T_EQ(st, mov_timecode_check("01:00:00:00x", 25, 1, NULL), -EINVAL);
	T_EQ(st, mov_timecode_check("01-00-00-00", 25, 1, NULL), -EINVAL);
	T_EQ(st, mov_timecode_check("", 25, 1, NULL), -EINVAL);
	T_EQ(st, mov_timecode_check(NULL, 25, 1, NULL), -EINVAL);
}

static void test_timecode_ranges(struct t_state *st)
{
	const char *why = NULL;
	char buf[16];

	T_EQ(st, mov_timecode_check("24:00:00:00", 25, 1, NULL), -EINVAL);
	T_EQ(st, mov_timecode_check("00:60:00:00", 25, 1, NULL), -EINVAL);
	T_EQ(st, mov_timecode_check("00:00:60:00", 25, 1, NULL), -EINVAL);
	T_EQ(st, mov_timecode_check("00:00:00:25", 25, 1, NULL), -EINVAL); /* FF below 25 */
	T_EQ(st, mov_timecode_check("00:00:00:29", 30000, 1001, NULL), 0); /* rounds to 30 */
	T_EQ(st, mov_timecode_check("00:00:00:30", 30000, 1001, NULL), -EINVAL);
	T_EQ(st, mov_timecode_check("00:00:00:59", 60000, 1001, NULL), 0);
	T_EQ(st, mov_timecode_check("00:00:00:00", 0, 1, NULL), -EINVAL);
	/* rates beyond the 1000 fps ceiling have no labels: 2^30 fps made the minute's label
	 * count wrap to 0 in 32 bits (a division by zero printing the label) */
	T_EQ(st, mov_timecode_check("00:00:00:00", 1000, 1, NULL), 0);
	T_EQ(st, mov_timecode_check("00:00:00:00", 1001, 1, &why), -EINVAL);
	T_ASSERT(st, why && strstr(why, "1000"));
	T_EQ(st, mov_timecode_add("00:00:00:00", 1, 1u << 30, 1, buf, sizeof(buf)), -EINVAL);
	/* the rounding sum in 64 bits: (2^32-1)/(2^32-1) is 1 fps, not 0 */
	T_EQ(st, mov_timecode_check("00:00:00:00", UINT32_MAX, UINT32_MAX, NULL), 0);
}

static void test_timecode_drop_frame_rates(struct t_state *st)
{
	const char *why = NULL;

	T_EQ(st, mov_timecode_check("01:00:00;00", 30000, 1001, NULL), 0);
	T_EQ(st, mov_timecode_check("01;00;00;00", 30000, 1001, NULL), 0);
	T_EQ(st, mov_timecode_check("01:00:00.00", 30000, 1001, NULL), 0);
	T_EQ(st, mov_timecode_check("01:00:00;00", 60000, 1001, NULL), 0);
	T_EQ(st, mov_timecode_check("01:00:00;00", 25, 1, &why), -EINVAL);
	T_ASSERT(st, why && strstr(why, "drop-frame"));
	T_EQ(st, mov_timecode_check("01:00:00;00", 30, 1, NULL), -EINVAL);
	T_EQ(st, mov_timecode_check("01:00:00;00", 24000, 1001, NULL), -EINVAL);
	T_EQ(st, mov_timecode_check("01:00:00:00", 30000, 1001, NULL), 0); /* NDF at 29.97 */
}

static void test_timecode_drop_frame_labels(struct t_state *st)
{
	const char *why = NULL;

	/* minute 1: labels ;00 and ;01 do not exist; minute 10 keeps them */
	T_EQ(st, mov_timecode_check("00:01:00;00", 30000, 1001, &why), -EINVAL);
	T_ASSERT(st, why && strstr(why, "does not exist"));
	T_EQ(st, mov_timecode_check("00:01:00;01", 30000, 1001, NULL), -EINVAL);
	T_EQ(st, mov_timecode_check("00:01:00;02", 30000, 1001, NULL), 0);
	T_EQ(st, mov_timecode_check("00:10:00;00", 30000, 1001, NULL), 0);
	T_EQ(st, mov_timecode_check("00:01:01;00", 30000, 1001, NULL), 0);
	/* 59.94: four labels dropped */
	T_EQ(st, mov_timecode_check("00:01:00;03", 60000, 1001, NULL), -EINVAL);
	T_EQ(st, mov_timecode_check("00:01:00;04", 60000, 1001, NULL), 0);
	/* non-drop at 29.97 has every label */
	T_EQ(st, mov_timecode_check("00:01:00:00", 30000, 1001, NULL), 0);
}

static void test_field_to_fiel(struct t_state *st)
{
	enum mov_field f;

	T_EQ(st, mov_field_fiel(MOV_FIELD_PROGRESSIVE), 0x0100);
	T_EQ(st, mov_field_fiel(MOV_FIELD_TFF), 0x0209);
	T_EQ(st, mov_field_fiel(MOV_FIELD_BFF), 0x020e);
	T_EQ(st, mov_field_fiel(MOV_FIELD_SEP_TB), 0x0201);
	T_EQ(st, mov_field_fiel(MOV_FIELD_SEP_BT), 0x0206);
	T_EQ(st, mov_field_fiel(MOV_FIELD_UNKNOWN), 0);
	T_EQ(st, mov_field_parse("bff", &f), 0);
	T_EQ(st, f, MOV_FIELD_BFF);
	T_EQ(st, mov_field_parse("TB", &f), 0);
	T_EQ(st, f, MOV_FIELD_TFF);
	T_EQ(st, mov_field_parse(mov_field_name(MOV_FIELD_SEP_BT), &f), 0);
	T_EQ(st, f, MOV_FIELD_SEP_BT);
	T_EQ(st, mov_field_parse("sideways", &f), -EINVAL);
}

static void test_colour_auto(struct t_state *st)
{
	const struct mov_format *uyvy = mov_format_find("UYVY"), *rgb = mov_format_find("RGB24");
	enum mov_colour c;

	T_EQ(st, mov_colour_resolve(MOV_COLOUR_AUTO, uyvy, 486), MOV_COLOUR_BT601_525);
	T_EQ(st, mov_colour_resolve(MOV_COLOUR_AUTO, uyvy, 480), MOV_COLOUR_BT601_525);
	T_EQ(st, mov_colour_resolve(MOV_COLOUR_AUTO, uyvy, 576), MOV_COLOUR_BT601_625);
	T_EQ(st, mov_colour_resolve(MOV_COLOUR_AUTO, uyvy, 720), MOV_COLOUR_BT709);
	T_EQ(st, mov_colour_resolve(MOV_COLOUR_AUTO, uyvy, 1080), MOV_COLOUR_BT709);
	T_EQ(st, mov_colour_resolve(MOV_COLOUR_AUTO, rgb, 1080), MOV_COLOUR_NONE);
	T_EQ(st, mov_colour_resolve(MOV_COLOUR_BT601, uyvy, 576), MOV_COLOUR_BT601_625);
	T_EQ(st, mov_colour_resolve(MOV_COLOUR_BT709, uyvy, 486), MOV_COLOUR_BT709);
	T_EQ(st, mov_colour_parse("bt709", &c), 0);
	T_EQ(st, c, MOV_COLOUR_BT709);
	T_EQ(st, mov_colour_parse("smpte170m", &c), 0);
	T_EQ(st, c, MOV_COLOUR_BT601_525);
	T_EQ(st, mov_colour_parse("xyz", &c), -EINVAL);
}

static void test_params_check(struct t_state *st)
{
	struct mov_params p = { .format = mov_format_find("UYVY"), .width = 1920, .height = 1080,
				.rate_num = 25, .rate_den = 1 };
	const char *why = NULL;

	T_EQ(st, mov_params_check(&p, NULL), 0);
	p.sar_num = 1;
	T_EQ(st, mov_params_check(&p, &why), -EINVAL);
	p.sar_den = 1;
	p.rate_den = 0;
	T_EQ(st, mov_params_check(&p, NULL), -EINVAL);
	/* terms beyond 10^9 do not fit libavformat's int rationals (a log's 25/2^32-1 made a
	 * file with an index no reader takes; found by fuzz-recover) */
	p.rate_den = 1000000000;
	T_EQ(st, mov_params_check(&p, NULL), 0);
	p.rate_den = 4294967295u;
	T_EQ(st, mov_params_check(&p, NULL), -EINVAL);
	p.rate_den = 1;
	p.width = 1921;
	T_EQ(st, mov_params_check(&p, NULL), -EINVAL);
	p.width = 1920;
	p.timecode = "10:00:00:25";
	T_EQ(st, mov_params_check(&p, &why), -EINVAL);
	p.format = NULL;
	T_EQ(st, mov_params_check(&p, NULL), -EINVAL);
}

/* Timecode arithmetic: consecutive frames differ by one count, drop-frame labels included. */
static void test_timecode_frames_add(struct t_state *st)
{
	char buf[16];
	int64_t a, b;

	T_EQ(st, mov_timecode_frames("01:00:00:00", 25, 1, &a), 0);
	T_EQ(st, a, 90000);
	T_EQ(st, mov_timecode_add("01:00:00:24", 1, 25, 1, buf, sizeof(buf)), 0);
	T_STREQ(st, buf, "01:00:01:00");
	T_EQ(st, mov_timecode_add("00:00:59;29", 1, 30000, 1001, buf, sizeof(buf)), 0);
	T_STREQ(st, buf, "00:01:00;02");
	T_EQ(st, mov_timecode_frames("00:00:59;29", 30000, 1001, &a), 0);
	T_EQ(st, mov_timecode_frames("00:01:00;02", 30000, 1001, &b), 0);
	T_EQ(st, b - a, 1);
	T_EQ(st, mov_timecode_add("23:59:59:24", 1, 25, 1, buf, sizeof(buf)), 0);
	T_STREQ(st, buf, "00:00:00:00");
	T_EQ(st, mov_timecode_add("00:00:00:00", -1, 25, 1, buf, sizeof(buf)), 0);
	T_STREQ(st, buf, "23:59:59:24");
	T_EQ(st, mov_timecode_frames("01:00:00:25", 25, 1, &a), -EINVAL);
	T_EQ(st, mov_timecode_frames("00:01:00;02", 30000, 1001, &a), 0);
	T_EQ(st, a, 1800); /* labels ;00 and ;01 of minute 1 do not exist */
	T_EQ(st, mov_timecode_frames("00:10:00;00", 30000, 1001, &a), 0);
	T_EQ(st, a, 17982); /* ten minutes of 29.97 drop-frame */
	T_EQ(st, mov_timecode_frames("01:00:00;00", 30000, 1001, &a), 0);
	T_EQ(st, a, 107892);
	T_EQ(st, mov_timecode_frames("00:01:00;00", 30000, 1001, &a), -EINVAL);
}

/* pasp: one convention (the display aspect over the whole frame); a driver's BT.601 pixel
 * aspect stands for 4:3 or 16:9; the V4L2 core's 1:1 default at SD sizes is no claim. */
static void test_aspect_choose(struct t_state *st)
{
	static const struct {
		struct mov_aspect_in in;
		unsigned num, den;
		const char *source;
	} c[] = {
		{ { 720, 576, 0, 0, 59, 54 }, 16, 15, "the device" },	  /* vivid PAL */
		{ { 720, 486, 0, 0, 10, 11 }, 9, 10, "the device" },	  /* vivid NTSC */
		{ { 720, 480, 0, 0, 40, 33 }, 32, 27, "the device" },	  /* 16:9 anamorphic */
		{ { 720, 576, 0, 0, 118, 81 }, 64, 45, "the device" },	  /* PAL 16:9 */
		{ { 720, 576, 0, 0, 1, 1 }, 16, 15, "the BT.601 frame size" },	  /* core default */
		{ { 1280, 720, 0, 0, 1, 1 }, 1, 1, "the device" },	  /* HDMI */
		{ { 1920, 1080, 0, 0, 2, 1 }, 2, 1, "the device" },	  /* kept as it is */
		{ { 720, 486, 0, 0, 0, 0 }, 9, 10, "the BT.601 frame size" },	  /* pattern NTSC */
		{ { 704, 576, 0, 0, 0, 0 }, 12, 11, "the BT.601 frame size" },	  /* 704 samples */
		{ { 640, 480, 0, 0, 0, 0 }, 1, 1, "square pixels" },
		{ { 720, 576, 16, 9, 59, 54 }, 64, 45, "--aspect" },	  /* asked wins */
		{ { 1920, 1080, 4, 3, 0, 0 }, 3, 4, "--aspect" },
	};
	unsigned n, d;
	const char *src;

	for (unsigned i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
		T_EQ(st, mov_aspect_choose(&c[i].in, &n, &d, &src), 0);
		T_EQ(st, n, c[i].num);
		T_EQ(st, d, c[i].den);
		T_STREQ(st, src, c[i].source);
	}
	T_EQ(st, mov_aspect_choose(&(struct mov_aspect_in){ 0 }, &n, &d, &src), -EINVAL);
	T_EQ(st, mov_sar_for_display(720, 486, 16, 9, &n, &d), 0);
	T_EQ(st, n * 10 + d, 65u); /* 6:5 */
}

int main(void)
{
	struct t_state st = { 0 };

	T_RUN(&st, test_timecode_syntax);
	T_RUN(&st, test_timecode_ranges);
	T_RUN(&st, test_timecode_drop_frame_rates);
	T_RUN(&st, test_timecode_drop_frame_labels);
	T_RUN(&st, test_field_to_fiel);
	T_RUN(&st, test_colour_auto);
	T_RUN(&st, test_params_check);
	T_RUN(&st, test_timecode_frames_add);
	T_RUN(&st, test_aspect_choose);
	return T_EXIT(&st);
}
