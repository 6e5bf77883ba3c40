/* The checks of a recording's configuration that need no device: what contradicts itself, a
 * timecode no rate has (SMPTE ST 12-1 labels, through mov_timecode_check), the amount as a
 * frame count. Run by the front end before anything is touched (vcap: exit 2), and again by
 * open once the device has said its rate or field mode.
 */
#include "record-internal.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static const char tc_hint[] = "e.g. 01:00:00:00, or 01:00:00;00 for drop-frame at 29.97";

/* Fill why; returns -EINVAL for the caller to pass on. */
__attribute__((format(printf, 3, 4))) static int say(struct cap_why *why, const char *hint,
						     const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why->what, sizeof(why->what), fmt, ap);
	va_end(ap);
	snprintf(why->hint, sizeof(why->hint), "%s", hint ? hint : "");
	return -EINVAL;
}

static int bad_tc(const struct cap_record_config *c, const char *opt, const char *tc,
		  struct cap_why *why)
{
	const char *w = NULL;

	if (!tc || mov_timecode_check(tc, c->cap.rate_num, c->cap.rate_den, &w) == 0)
		return 0;
	return say(why, tc_hint, "invalid %s '%s' at %u/%u fps: %s", opt, tc, c->cap.rate_num,
		   c->cap.rate_den, w);
}

/* --fields counts the fields of interlaced frames. */
static int fields_on_progressive(const struct cap_record_config *c, struct cap_why *why)
{
	if (c->cap.field != CAP_FIELD_NONE)
		return 0;
	return say(why, "use -n for progressive video", "--fields %llu with --field none",
		   (unsigned long long)c->fields);
}

/* A timecode no frame rate has (25:00:00:00; 00:01:00;00, a drop-frame label none of the
 * drop-frame rates has): wrong on the command line alone, before a device says its rate. */
static int bad_tc_at_any_rate(const char *opt, const char *tc, struct cap_why *why)
{
	static const unsigned rates[][2] = {
		{ 30000, 1001 }, { 60000, 1001 }, { 120000, 1001 }, { 1000, 1 }
	};
	const char *w = NULL, *first = NULL;

	if (!tc)
		return 0;
	for (unsigned i = 0; i < sizeof(rates) / sizeof(rates[0]); i++) {
		if (mov_timecode_check(tc, rates[i][0], rates[i][1], &w) == 0)
			return 0;
		if (!first)
			first = w;
	}
	return say(why, tc_hint, "invalid %s '%s': %s", opt, tc, first);
}

/* What needs neither the rate nor the field mode (--fields with an explicit --field none is
 * refused here too). */
static int check_amount_args(const struct cap_record_config *c, struct cap_why *why)
{
	if (!!c->frames + !!c->fields + (c->seconds > 0 || c->duration_tc) > 1)
		return say(why, "give one of them", "-n, --fields and -t all say when to stop");
	if (c->fields % 2)
		return say(why, "give an even number (a MOV sample is a whole frame)",
			   "--fields %llu", (unsigned long long)c->fields);
	if (c->fields && !c->cap.field_auto && fields_on_progressive(c, why) < 0)
		return -EINVAL;
	if (c->start_tc && c->stop_tc && !strcmp(c->start_tc, c->stop_tc))
		return say(why, "--stop-timecode is inclusive: give a later one",
			   "--start-timecode and --stop-timecode are both %s", c->start_tc);
	return 0;
}

int cap_rec_check_policies(struct cap_record_config *c, struct cap_why *why)
{
	int64_t n;

	if (bad_tc(c, "--start-timecode", c->start_tc, why) ||
	    bad_tc(c, "--stop-timecode", c->stop_tc, why) ||
	    bad_tc(c, "--pattern timecode", c->cap.pattern.timecode, why))
		return -EINVAL;
	if (c->fields && fields_on_progressive(c, why) < 0)
		return -EINVAL;
	if (c->fields)
		c->frames = c->fields / 2;
	if (c->duration_tc) {
		/* a duration in timecode labels: HH:MM:SS:FF frames at the capture rate */
		if (mov_timecode_frames(c->duration_tc, c->cap.rate_num, c->cap.rate_den, &n) < 0 ||
		    n < 1)
			return say(why, "seconds, or HH:MM:SS:FF with FF below the rate",
				   "invalid --duration '%s'", c->duration_tc);
		c->frames = n;
		c->by_duration = true;
	}
	if (c->seconds > 0) {
		double f = ceil(c->seconds * c->cap.rate_num / c->cap.rate_den - 1e-9);

		/* as many frames as -n takes at most: a count the conversion below can hold */
		if (!(f <= 4000000000.0))
			return say(why, "-n and -t count 4000000000 frames at most",
				   "--duration %g s: more frames than that at %u/%u fps",
				   c->seconds, c->cap.rate_num, c->cap.rate_den);
		c->frames = f < 1 ? 1 : (uint64_t)f;
		c->by_duration = true;
	}
	return 0;
}

/* The pattern source's defaults for what was left "auto". */
static void pattern_defaults(struct cap_config *k)
{
	if (!k->format)
		k->format = mov_format_find("UYVY");
	if (!k->width)
		k->width = 1920, k->height = 1080;
	if (!k->rate_num)
		k->rate_num = 30000, k->rate_den = 1001;
	if (k->field_auto)
		k->field = CAP_FIELD_NONE, k->field_auto = false;
	/* a jump needs a timecode to jump in: without timecode=, the device's starts at zero
	 * (it silently did nothing) */
	if (k->pattern.tc_jump_every && !k->pattern.timecode)
		k->pattern.timecode = "00:00:00:00";
}

/* A device: values are checked against it at open; here only what the configuration alone
 * decides: a timecode no rate has, or, with a rate, one that rate does not have (the device
 * must then run at it, or open stops). */
static int check_device_conf(struct cap_record_config *c, struct cap_why *why)
{
	if (!c->cap.paced)
		return say(why, "the device sets the pace; leave --rate max out",
			   "--rate max: only the pattern source");
	if (check_amount_args(c, why) < 0 || bad_tc_at_any_rate("--timecode", c->timecode, why) ||
	    bad_tc_at_any_rate("--start-timecode", c->start_tc, why) ||
	    bad_tc_at_any_rate("--stop-timecode", c->stop_tc, why) ||
	    bad_tc_at_any_rate("--duration", c->duration_tc, why))
		return -EINVAL;
	if (c->cap.rate_num && bad_tc(c, "--timecode", c->timecode, why))
		return -EINVAL;
	/* rate or field mode from the device: open checks the policies after negotiation */
	c->policies_deferred = !c->cap.rate_num || c->cap.field_auto;
	return c->policies_deferred ? 0 : cap_rec_check_policies(c, why);
}

/* md5_path naming the file or its capture log: the sidecar would overwrite the recording. */
static bool md5_is_output(const struct cap_record_config *c)
{
	char log[4096];

	if (!c->md5_path)
		return false;
	if (!strcmp(c->md5_path, c->out))
		return true;
	return mov_journal_path(c->out, log, sizeof(log)) == 0 && !strcmp(c->md5_path, log);
}

int cap_record_check(struct cap_record_config *c, struct cap_why *why)
{
	const char *w;

	if (!c->out)
		return say(why, "add -o FILE.mov", "no output file");
	if (md5_is_output(c))
		return say(why, "give the sidecar its own name, e.g. take1.md5",
			   "--md5 %s: the file -o records to, or its capture log", c->md5_path);
	if (c->preview && strcmp(c->preview, "-") && strcmp(c->preview, "kms") &&
	    strncmp(c->preview, "kms:", 4))
		return say(why, "use kms, kms:CONNECTOR (e.g. kms:HDMI-A-1) or - (raw frames on "
				"standard output)",
			   "--preview %s: no such preview", c->preview);
	if (c->source != cap_source_find("pattern"))
		return check_device_conf(c, why);
	pattern_defaults(&c->cap);
	if (c->cap.field == CAP_FIELD_ALTERNATE)
		return say(why, "use interlaced-tb/-bt or seq-tb/-bt",
			   "--field alternate: the %s source delivers whole frames",
			   c->source->name);
	if (mov_format_check(c->cap.format, c->cap.width, c->cap.height, &w) < 0)
		return say(why, "pick another --size or --format", "%s at %ux%u: %s",
			   mov_format_name(c->cap.format), c->cap.width, c->cap.height, w);
	if (c->timecode &&
	    mov_timecode_check(c->timecode, c->cap.rate_num, c->cap.rate_den, &w) < 0)
		return say(why, tc_hint, "invalid --timecode '%s': %s", c->timecode, w);
	if (check_amount_args(c, why) < 0 || cap_rec_check_policies(c, why) < 0)
		return -EINVAL;
	return 0; /* buffers is completed at open, from the rate */
}
