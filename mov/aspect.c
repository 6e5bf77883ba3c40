/* The picture's shape: the sample aspect ratio written as 'pasp'.
 *
 * One convention throughout: the display aspect covers the whole stored frame, display =
 * width * sar / height, which is how ffprobe (display_aspect_ratio), mediainfo and FFmpeg's
 * decoders compute it (ISO/IEC 14496-12 12.1.4, PixelAspectRatioBox). A 720x576 frame shown
 * at 4:3 is written 16:15, a 720x486 one 9:10. The BT.601 pixel aspects that capture drivers
 * report (10:11 at 525 lines, 59:54 at 625, after SMPTE RP 187) describe the same picture
 * over a 704- or 702-sample clean aperture; applied to all 720 samples they show a picture 1%
 * to 2.4% too wide, so a driver's aspect is read as the display aspect it stands for. 'clap'
 * stays the whole frame, as libavformat's movenc writes it for uncompressed Y'CbCr. */
#include "mov-internal.h"

#include <errno.h>
#include <libavutil/mathematics.h>

static void reduce(uint64_t num, uint64_t den, unsigned *ret_num, unsigned *ret_den)
{
	uint64_t g = (uint64_t)av_gcd((int64_t)num, (int64_t)den);

	*ret_num = (unsigned)(num / g);
	*ret_den = (unsigned)(den / g);
}

int mov_sar_for_display(unsigned width, unsigned height, unsigned dar_num, unsigned dar_den,
			unsigned *ret_num, unsigned *ret_den)
{
	if (!width || !height || !dar_num || !dar_den)
		return -EINVAL;
	reduce((uint64_t)dar_num * height, (uint64_t)dar_den * width, ret_num, ret_den);
	return 0;
}

/* BT.601 sampling of a 525- or 625-line picture: 720 (or 704) samples a line, the active
 * lines with or without the extra ones some cards deliver. */
static bool bt601_frame(unsigned w, unsigned h)
{
	return (w == 720 || w == 704) &&
	       (h == 480 || h == 486 || h == 512 || h == 576 || h == 608);
}

/* Within 3% of num:den: a driver's BT.601 aspect is 1% (525) to 2.4% (625) off. */
static bool near(uint64_t w, uint64_t h, unsigned num, unsigned den)
{
	uint64_t a = w * den, b = h * num; /* display w/h against num/den */

	return a * 100 <= b * 103 && b * 100 <= a * 103;
}

int mov_aspect_choose(const struct mov_aspect_in *in, unsigned *ret_num, unsigned *ret_den,
		      const char **ret_source)
{
	unsigned w = in->width, h = in->height, n = in->device_num, d = in->device_den;

	if (!w || !h)
		return -EINVAL;
	if (in->ask_num && in->ask_den) {
		*ret_source = "--aspect";
		return mov_sar_for_display(w, h, in->ask_num, in->ask_den, ret_num, ret_den);
	}
	/* The V4L2 core answers 1:1 for a driver that does not say: not a claim at BT.601 sizes */
	if (n && d && !(n == d && bt601_frame(w, h))) {
		*ret_source = "the device";
		if (near((uint64_t)w * n, (uint64_t)h * d, 4, 3))
			return mov_sar_for_display(w, h, 4, 3, ret_num, ret_den);
		if (near((uint64_t)w * n, (uint64_t)h * d, 16, 9))
			return mov_sar_for_display(w, h, 16, 9, ret_num, ret_den);
		reduce(n, d, ret_num, ret_den);
		return 0;
	}
	*ret_source = bt601_frame(w, h) ? "the BT.601 frame size" : "square pixels";
	if (bt601_frame(w, h))
		return mov_sar_for_display(w, h, 4, 3, ret_num, ret_den);
	*ret_num = *ret_den = 1;
	return 0;
}
