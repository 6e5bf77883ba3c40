/* Preview output "kms[:TARGET]": the frames on a display, through playback's kms sink (play.h:
 * the same connector choice, mode of the frame's size, page flips on vblank, PRIME import or
 * dumb buffers, 4:2:2 converted for XRGB-only planes, SEP fields woven).
 *
 * The preview thread copies each frame it takes into one of three slots of a small slab of
 * its own (one on the screen, one flip pending, one to fill); the sink shows those: by PRIME
 * import where the driver can (then that copy is the only one), else into its dumb buffers
 * (a second copy, said in the mode). Flips are not paced: each frame goes up on the next
 * vblank, and a frame offered while no slot is free is skipped by the engine.
 */
#include "cap-internal.h"
#include "play.h"
#include "preview-internal.h"

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NSTAGE 3

struct kms_out {
	struct cap_preview_out base;
	const struct play_sink_ops *ops;
	struct play_sink *sink;
	struct dio_slab *slab;
	unsigned free_slots[NSTAGE], nfree;
	uint64_t index, shown;
	bool started;
	char mode[320];
};

static void kms_out_free(struct kms_out *k)
{
	if (k->sink)
		k->ops->close(k->sink);
	dio_slab_free(k->slab);
	free(k);
}

static void say_open_error(const struct cap_preview_config *cfg, int err, struct cap_why *why)
{
	const char *target = cfg->spec[3] == ':' ? cfg->spec + 4 : "";

	snprintf(why->what, sizeof(why->what), "--preview %s", cfg->spec);
	if (err == -ENOENT)
		snprintf(why->hint, sizeof(why->hint),
			 "no DRM card%s%s here (ls /dev/dri; on a desktop, use --preview - | "
			 "ffplay ...)",
			 *target ? " or connector " : "", target);
	else if (err == -ENODEV)
		snprintf(why->hint, sizeof(why->hint),
			 "no connected display (or no CRTC for it) on %s",
			 *target ? target : "the first card");
	else if (err == -ERANGE || err == -EINVAL)
		snprintf(why->hint, sizeof(why->hint),
			 "the display has no mode of %ux%u or cannot show this format (the preview "
			 "does not scale; modetest -c lists the modes)",
			 cfg->width, cfg->height);
	else if (err == -EACCES || err == -EBUSY)
		snprintf(why->hint, sizeof(why->hint),
			 "another program is the display's master (stop the desktop, or use "
			 "--preview -)");
}

static int kms_out_open(const struct cap_preview_config *cfg, struct cap_why *why,
			struct cap_preview_out **ret_out)
{
	struct play_config pc = {
		.format = cfg->format,
		.width = cfg->width,
		.height = cfg->height,
		.rate_num = cfg->rate_num,
		.rate_den = cfg->rate_den,
		.field = cfg->field,
		.target = cfg->spec[3] == ':' ? cfg->spec + 4 : NULL,
		.paced = false,
	};
	struct play_sink_stats ss;
	struct kms_out *k = calloc(1, sizeof(*k));
	int ret;

	if (!k)
		return -ENOMEM;
	k->ops = play_sink_find("kms");
	ret = dio_slab_new(cfg->frame_bytes, NSTAGE, 0, &k->slab);
	if (ret >= 0)
		ret = k->ops->open(&pc, k->slab, &k->sink);
	if (ret < 0) {
		say_open_error(cfg, ret, why);
		kms_out_free(k);
		return ret;
	}
	for (unsigned i = 0; i < NSTAGE; i++)
		k->free_slots[k->nfree++] = NSTAGE - 1 - i;
	k->ops->stats(k->sink, &ss);
	snprintf(k->mode, sizeof(k->mode),
		 "kms %.60s: one copy into the preview's buffers; to the screen: %s",
		 pc.target ? pc.target : "(the first connected display)",
		 strstr(ss.mode, "zero copy") ? "PRIME import of them" : ss.mode);
	k->base.ops = &cap_preview_kms_ops;
	*ret_out = &k->base;
	return 0;
}

static void *kms_out_buffer(struct cap_preview_out *out)
{
	struct kms_out *k = cap_container_of(out, struct kms_out, base);

	return dio_slab_slot(k->slab, k->free_slots[k->nfree - 1]);
}

/* Slots the screen has moved past come back; each was shown. */
static int take_back(struct kms_out *k, int timeout_ms)
{
	struct play_done d;
	int ret = k->ops->dequeue(k->sink, timeout_ms, &d);

	if (ret < 0)
		return ret;
	k->free_slots[k->nfree++] = d.slot;
	k->shown++;
	return 0;
}

static bool stopping(int stop_fd)
{
	struct pollfd p = { .fd = stop_fd, .events = POLLIN };

	return poll(&p, 1, 0) > 0;
}

static int kms_out_show(struct cap_preview_out *out, int stop_fd, uint64_t *ret_shown)
{
	struct kms_out *k = cap_container_of(out, struct kms_out, base);
	struct play_frame f = { .slot = k->free_slots[--k->nfree], .index = k->index++ };
	int ret = k->ops->queue(k->sink, &f);

	if (ret >= 0 && !k->started) {
		ret = k->ops->start(k->sink);
		k->started = ret >= 0;
	}
	/* drive the flips: the sink moves the screen on inside dequeue() */
	while (ret >= 0) {
		ret = take_back(k, k->nfree ? 5 : 20);
		if (ret == -EAGAIN) {
			ret = 0;
			if (k->nfree || stopping(stop_fd))
				break;
		}
	}
	*ret_shown = k->shown;
	return ret;
}

static void kms_out_close(struct cap_preview_out *out, uint64_t *ret_shown)
{
	struct kms_out *k;

	if (!out)
		return;
	k = cap_container_of(out, struct kms_out, base);
	/* what is queued goes up (a flip or two), then every slot comes back */
	if (k->started && k->ops->drain(k->sink) >= 0)
		while (take_back(k, 0) >= 0)
			;
	*ret_shown = k->shown;
	kms_out_free(k);
}

static const char *kms_out_mode(const struct cap_preview_out *out)
{
	return cap_container_of(out, const struct kms_out, base)->mode;
}

const struct cap_preview_out_ops cap_preview_kms_ops = {
	.name = "kms",
	.open = kms_out_open,
	.buffer = kms_out_buffer,
	.show = kms_out_show,
	.close = kms_out_close,
	.mode = kms_out_mode,
};
