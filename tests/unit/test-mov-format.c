/* The format table: lookups by every kind of name, frame sizes, zero-copy checks. */
#include "mov.h"
#include "t.h"

#include <errno.h>

#define TAG(a, b, c, d) \
	((uint32_t)(a) | (uint32_t)(b) << 8 | (uint32_t)(c) << 16 | (uint32_t)(d) << 24)

static void test_find_by_name_fourcc_tag(struct t_state *st)
{
	T_STREQ(st, mov_format_name(mov_format_find("uyvy")), "UYVY");
	T_STREQ(st, mov_format_name(mov_format_find("2vuy")), "UYVY");
	T_STREQ(st, mov_format_name(mov_format_find("yuvs")), "YUYV");
	T_STREQ(st, mov_format_name(mov_format_find("YUY2")), "YUYV");
	T_STREQ(st, mov_format_name(mov_format_find("V210")), "v210");
	T_STREQ(st, mov_format_name(mov_format_find("RGB3")), "RGB24");
	T_ASSERT(st, mov_format_find("raw ") == NULL);
	T_ASSERT(st, mov_format_find("nope") == NULL);
	T_ASSERT(st, mov_format_find(NULL) == NULL);
}

/* V4L2 names its 32-bit formats opposite to memory order for ABGR32/BGRA32. */
static void test_rgb32_byte_orders(struct t_state *st)
{
	T_EQ(st, mov_format_v4l2(mov_format_find("ARGB32")), TAG('B', 'A', '2', '4'));
	T_EQ(st, mov_format_tag(mov_format_find("ARGB32")), TAG('r', 'a', 'w', ' '));
	T_EQ(st, mov_format_v4l2(mov_format_find("ABGR32")), TAG('A', 'R', '2', '4'));
	T_EQ(st, mov_format_tag(mov_format_find("ABGR32")), TAG('B', 'G', 'R', 'A'));
	T_EQ(st, mov_format_tag(mov_format_find("BGRA32")), TAG('A', 'B', 'G', 'R'));
	T_EQ(st, mov_format_tag(mov_format_find("RA24")), TAG('A', 'B', 'G', 'R'));
	T_STREQ(st, mov_format_name(mov_format_find("BGRA")), "ABGR32");
	T_STREQ(st, mov_format_name(mov_format_find("XR24")), "XBGR32");
	T_STREQ(st, mov_format_name(mov_format_find("BX24")), "XRGB32");
}

static void test_from_tag_and_v4l2(struct t_state *st)
{
	T_STREQ(st, mov_format_name(mov_format_from_tag(TAG('r', 'a', 'w', ' '), 24)), "RGB24");
	T_STREQ(st, mov_format_name(mov_format_from_tag(TAG('r', 'a', 'w', ' '), 32)), "ARGB32");
	T_STREQ(st, mov_format_name(mov_format_from_tag(TAG('2', 'v', 'u', 'y'), 24)), "UYVY");
	T_STREQ(st, mov_format_name(mov_format_from_tag(TAG('B', 'G', 'R', 'A'), 32)), "ABGR32");
	T_ASSERT(st, mov_format_from_tag(TAG('a', 'v', 'c', '1'), 24) == NULL);
	T_STREQ(st, mov_format_name(mov_format_from_v4l2(TAG('Y', 'U', 'Y', 'V'))), "YUYV");
	T_ASSERT(st, mov_format_from_v4l2(0) == NULL);
}

static void test_frame_sizes(struct t_state *st)
{
	T_EQ(st, mov_format_frame_size(mov_format_find("UYVY"), 1920, 1080), 4147200);
	T_EQ(st, mov_format_frame_size(mov_format_find("YUYV"), 720, 486), 699840);
	T_EQ(st, mov_format_frame_size(mov_format_find("RGB24"), 720, 576), 1244160);
	T_EQ(st, mov_format_frame_size(mov_format_find("ARGB32"), 1920, 1080), 8294400);
	/* v210: 1920 -> 40 blocks of 48 -> 5120 bytes; 1280 -> 27 blocks -> 3456; 720 -> 15 */
	T_EQ(st, mov_format_stride(mov_format_find("v210"), 1920), 5120);
	T_EQ(st, mov_format_stride(mov_format_find("v210"), 1280), 3456);
	T_EQ(st, mov_format_frame_size(mov_format_find("v210"), 720, 486), 15 * 128 * 486);
	T_EQ(st, mov_format_stride(mov_format_find("r210"), 720), 768 * 4);
	T_EQ(st, mov_format_bits(mov_format_find("v210")), 20);
	T_EQ(st, mov_format_bits(mov_format_find("UYVY")), 16);
}

static void test_check_zero_copy(struct t_state *st)
{
	const char *why = NULL;

	T_EQ(st, mov_format_check(mov_format_find("RGB24"), 720, 576, &why), 0);
	T_EQ(st, mov_format_check(mov_format_find("RGB24"), 721, 576, &why), -ENOTSUP);
	T_ASSERT(st, why && *why);
	T_EQ(st, mov_format_check(mov_format_find("UYVY"), 721, 576, NULL), -EINVAL);
	T_EQ(st, mov_format_check(mov_format_find("UYVY"), 0, 576, NULL), -EINVAL);
	T_EQ(st, mov_format_check(mov_format_find("ARGB32"), 721, 576, NULL), 0);
}

static void test_iteration_names_unique(struct t_state *st)
{
	const struct mov_format *f, *g;
	unsigned i, j;

	for (i = 0; (f = mov_format_at(i)); i++) {
		T_ASSERT(st, mov_format_desc(f) && *mov_format_desc(f));
		T_ASSERT(st, mov_format_find(mov_format_name(f)) == f);
		for (j = 0; (g = mov_format_at(j)); j++)
			T_ASSERT(st, i == j || mov_format_v4l2(f) == 0 ||
					     mov_format_v4l2(f) != mov_format_v4l2(g));
	}
	T_ASSERT(st, i >= 10);
}

int main(void)
{
	struct t_state st = { 0 };

	T_RUN(&st, test_find_by_name_fourcc_tag);
	T_RUN(&st, test_rgb32_byte_orders);
	T_RUN(&st, test_from_tag_and_v4l2);
	T_RUN(&st, test_frame_sizes);
	T_RUN(&st, test_check_zero_copy);
	T_RUN(&st, test_iteration_names_unique);
	return T_EXIT(&st);
}
