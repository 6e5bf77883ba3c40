/* vbench's report: human text on stdout, or one JSON object. */
#include "dio.h"
#include "mov.h"
#include "tool.h"
#include "vbench.h"

#include <stdio.h>
#include <string.h>

/* "1920x1080 UYVY 29.97i" */
static const char *format_label(const struct vb_conf *c, char *buf, size_t len)
{
	char rate[32];

	if (c->rate_num % c->rate_den == 0)
		snprintf(rate, sizeof(rate), "%u", c->rate_num / c->rate_den);
	else
		snprintf(rate, sizeof(rate), "%.2f", (double)c->rate_num / c->rate_den);
	snprintf(buf, len, "%ux%u %s %s%s", c->w, c->h, mov_format_name(c->fmt), rate,
		 c->field == CAP_FIELD_NONE ? "p" : "i");
	return buf;
}

static double mbps(const struct dio_bench_phase *ph)
{
	return ph->seconds > 0 ? ph->bytes / 1e6 / ph->seconds : 0;
}

static double cpu_per_gb(const struct dio_bench_phase *ph)
{
	return ph->bytes ? ph->cpu_seconds / (ph->bytes / 1e9) : 0;
}

static void text_phase(const char *name, const struct dio_bench_phase *ph, bool lat)
{
	printf("%-9s %.2f GB in %.2f s: %.1f MB/s, %.3f CPU-s/GB", name, ph->bytes / 1e9,
	       ph->seconds, mbps(ph), cpu_per_gb(ph));
	if (lat)
		printf(", worst batch latency %.1f ms", ph->max_lat_ns / 1e6);
	printf("\n");
}

static void text_placement(const struct dio_bench_result *r)
{
	char unit[32], stripe[32];
	uint64_t st = r->geom.stripe ? r->geom.stripe : r->geom.align;

	dio_human_bytes(r->geom.align, unit, sizeof(unit));
	dio_human_bytes(st, stripe, sizeof(stripe));
	printf("%-9s %u %s, %u at file offsets that are multiples of %s", "placement", r->nbatches,
	       tool_plural(r->nbatches, "batch", "batches"), r->batches_aligned, unit);
	if (r->fiemap_mapped < 0) {
		printf("; device placement unknown (FIEMAP not supported here)\n");
		return;
	}
	printf("; on %s %d of %d %s %s-aligned (FIEMAP)\n",
	       r->geom.dev[0] ? r->geom.dev : "the device", r->fiemap_aligned, r->fiemap_mapped,
	       tool_plural(r->fiemap_aligned, "starts", "start"), stripe);
	/* advice only where there is a stripe to straddle */
	if (r->geom.stripe && r->fiemap_aligned < r->fiemap_mapped)
		printf("%-9s the file offsets are aligned, but the filesystem's allocator placed "
		       "extents off the %s stripe, so those writes straddle stripes: %s\n", "", stripe,
		       strcmp(r->geom.source, "xfs") == 0 ?
		       "mount XFS with -o swalloc and make its AG size a multiple of the stripe width "
		       "(mkfs.xfs -d agsize=)" :
		       "make the filesystem stripe-aware (mkfs.xfs -d su=CHUNK,sw=DISKS and mount "
		       "-o swalloc; mkfs.ext4 -E stride=,stripe_width=)");
}

void vb_report_io(const struct dio_bench_result *r)
{
	const struct dio_bench_phase *w = &r->write, *rd = &r->read;

	if (w->done)
		tool_note_io("vbench", w->mode, w->mode_why);
	/* the read phase has an engine of its own; it falls back the same way, said once */
	if (rd->done && (!w->done || rd->mode != w->mode || strcmp(rd->mode_why, w->mode_why)))
		tool_note_io("vbench", rd->mode, rd->mode_why);
}

void vb_report_text(const struct vb_conf *c, const struct dio_bench_result *r)
{
	char label[96];

	format_label(c, label, sizeof(label));
	if (r->temporary)
		printf("%-9s %s (a temporary file in %s, %s)\n", "path", r->path, c->bench.path,
		       c->bench.keep ? "kept" : "removed at the end");
	else
		printf("%-9s %s\n", "path", r->path);
	printf("%-9s %s (%s), %zu bytes a %s, slot %zu, batch %u, depth %u; needs %.1f MB/s\n",
	       "format", label, cap_field_name(c->field), r->frame_bytes,
	       c->field == CAP_FIELD_ALTERNATE ? "field" : "frame", r->slot_bytes, c->bench.batch, c->bench.depth,
	       c->need_mbps);
	printf("%-9s %s\n", "alignment", r->geom.why);
	if (r->write.done) {
		text_phase("write", &r->write, true);
		text_placement(r);
	}
	if (r->read.done)
		text_phase("read", &r->read, false);
	if (r->write.done && !r->write.err && c->need_mbps > 0)
		printf("%-9s records %.1f x %s\n", "headroom", mbps(&r->write) / c->need_mbps, label);
	if (r->read.done && !r->read.err && c->need_mbps > 0)
		printf("%-9s plays   %.1f x %s\n", r->write.done ? "" : "headroom",
		       mbps(&r->read) / c->need_mbps, label);
	if (r->interrupted)
		printf("%-9s interrupted: partial figures\n", "note");
}

static void json_phase(const char *name, const struct dio_bench_phase *ph)
{
	printf(",\"%s\":{\"bytes\":%llu,\"frames\":%llu,\"seconds\":%.6f,\"mbps\":%.3f,"
	       "\"cpu_seconds\":%.6f,\"cpu_s_per_gb\":%.6f,\"max_lat_ms\":%.3f,\"mode\":",
	       name, (unsigned long long)ph->bytes, (unsigned long long)ph->frames, ph->seconds,
	       mbps(ph), ph->cpu_seconds, cpu_per_gb(ph), ph->max_lat_ns / 1e6);
	tool_json_str(stdout, dio_mode_name(ph->mode));
	printf(",\"mode_why\":");
	tool_json_str(stdout, ph->mode_why);
	printf(",\"error\":");
	tool_json_str(stdout, ph->err ? strerror(-ph->err) : "");
	printf(",\"bad_frames\":%llu}", (unsigned long long)ph->bad_frames);
}

void vb_report_json(const struct vb_conf *c, const struct dio_bench_result *r)
{
	const struct dio_geom *g = &r->geom;
	char label[96];

	printf("{\"path\":");
	tool_json_str(stdout, r->path);
	printf(",\"temporary\":%s", r->temporary ? "true" : "false");
	printf(",\"format\":\"%s\",\"width\":%u,\"height\":%u,\"rate\":\"%u/%u\",\"field\":\"%s\"",
	       mov_format_name(c->fmt), c->w, c->h, c->rate_num, c->rate_den, cap_field_name(c->field));
	printf(",\"label\":");
	tool_json_str(stdout, format_label(c, label, sizeof(label)));
	printf(",\"frame_bytes\":%zu,\"slot_bytes\":%zu,\"batch\":%u,\"depth\":%u,"
	       "\"need_mbps\":%.3f",
	       r->frame_bytes, r->slot_bytes, c->bench.batch, c->bench.depth, c->need_mbps);
	printf(",\"align\":{\"unit\":%llu,\"stripe\":%llu,\"chunk\":%llu,\"data_disks\":%u,"
	       "\"part_start\":%llu,\"dio_offset_align\":%u,\"dev\":",
	       (unsigned long long)g->align, (unsigned long long)g->stripe,
	       (unsigned long long)g->chunk, g->data_disks, (unsigned long long)g->part_start,
	       g->offset_align);
	tool_json_str(stdout, g->dev);
	printf(",\"source\":");
	tool_json_str(stdout, g->source);
	printf(",\"why\":");
	tool_json_str(stdout, g->why);
	printf("},\"batches\":%u,\"batch_offsets_aligned\":%u", r->nbatches, r->batches_aligned);
	printf(",\"fiemap\":{\"mapped\":%d,\"aligned\":%d}", r->fiemap_mapped, r->fiemap_aligned);
	if (r->write.done)
		json_phase("write", &r->write);
	if (r->read.done)
		json_phase("read", &r->read);
	printf(",\"mode\":");
	tool_json_str(stdout, dio_mode_name(r->write.done ? r->write.mode : r->read.mode));
	printf(",\"headroom_write\":%.3f,\"headroom_read\":%.3f,\"interrupted\":%s}\n",
	       c->need_mbps > 0 ? mbps(&r->write) / c->need_mbps : 0,
	       c->need_mbps > 0 ? mbps(&r->read) / c->need_mbps : 0,
	       r->interrupted ? "true" : "false");
}
