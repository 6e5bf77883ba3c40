/* The recording session (capture/record*.c) through its public face: the events a front end
 * gets agree with the stats, a refusal leaves nothing behind, a stop finishes the file. */
#include "cap.h"
#include "t.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

struct seen {
	unsigned errors, drops, flagged, breaks;
	uint64_t drop_at[16], flagged_at[16], break_at[16];
	char last_error[1024], last_hint[512];
};

static void collect(void *user, const struct cap_event *ev)
{
	struct seen *s = user;

	switch (ev->type) {
	case CAP_EVENT_DROP:
		if (s->drops < 16)
			s->drop_at[s->drops] = ev->drop->before_frame;
		s->drops++;
		return;
	case CAP_EVENT_FLAGGED:
		if (s->flagged < 16)
			s->flagged_at[s->flagged] = ev->frame;
		s->flagged++;
		return;
	case CAP_EVENT_TC_BREAK:
		if (s->breaks < 16)
			s->break_at[s->breaks] = ev->frame;
		s->breaks++;
		return;
	default:
		break;
	}
	if (ev->kind == CAP_EVENT_ERROR) {
		s->errors++;
		snprintf(s->last_error, sizeof(s->last_error), "%s", ev->text);
		snprintf(s->last_hint, sizeof(s->last_hint), "%s", ev->hint ? ev->hint : "");
	}
}

/* A small pattern recording in dir (a disk, for O_DIRECT), as vcap's defaults set it. */
static struct cap_record_config small(const char *out)
{
	return (struct cap_record_config){
		.out = out,
		.source = cap_source_find("pattern"),
		.cap = { .format = mov_format_find("UYVY"),
			 .width = 320,
			 .height = 240,
			 .rate_num = 25,
			 .rate_den = 1,
			 .field = CAP_FIELD_INTERLACED_TB },
		.batch = 4,
		.depth = 2,
	};
}

/* The test files' directory, on a disk (O_DIRECT), made by main. */
static char dir[] = "/var/tmp/vcap-test-record.XXXXXX";

static void path(char *buf, const char *name)
{
	snprintf(buf, 256, "%s/%s", dir, name);
}

static void test_events_agree_with_stats(struct t_state *st)
{
	char out[256];
	struct cap_record_config c;
	struct cap_why why = { "", "" };
	struct seen s = { 0 };
	struct cap_record *r;
	const struct cap_record_stats *rs;

	path(out, "events.mov");
	c = small(out);
	c.frames = 40;
	c.cap.pattern.drop_every = 6, c.cap.pattern.error_every = 7;
	c.cap.pattern.timecode = "01:00:00:00", c.cap.pattern.tc_jump_every = 11;
	T_EQ(st, cap_record_check(&c, &why), 0);
	T_EQ(st, cap_record_open(&c, collect, &s, &r), 0);
	T_EQ(st, cap_record_run(r), 0);
	T_EQ(st, cap_record_finish(r), 0);
	rs = cap_record_stats(r);
	T_EQ(st, rs->frames, 40);
	T_EQ(st, rs->err, 0);
	T_STREQ(st, rs->stop_reason, "frames");
	T_ASSERT(st, rs->gaps > 0 && rs->flagged > 0 && rs->tc_breaks > 0);
	T_EQ(st, s.drops, rs->gaps);
	T_EQ(st, s.flagged, rs->flagged);
	T_EQ(st, s.breaks, rs->tc_breaks);
	for (unsigned i = 0; i < s.drops && i < 16; i++)
		T_EQ(st, s.drop_at[i], rs->drop[i].before_frame);
	for (unsigned i = 0; i < s.flagged && i < 16; i++)
		T_EQ(st, s.flagged_at[i], rs->flagged_at[i]);
	for (unsigned i = 0; i < s.breaks && i < 16; i++)
		T_EQ(st, s.break_at[i], rs->tc_break_at[i]);
	T_EQ(st, s.errors, 0);
	cap_record_close(r);
}

static void test_existing_output_refused_untouched(struct t_state *st)
{
	char out[256], log[300];
	struct cap_record_config c;
	struct cap_why why = { "", "" };
	struct seen s = { 0 };
	struct cap_record *r = NULL;
	struct stat sb;
	FILE *f;

	path(out, "exists.mov");
	snprintf(log, sizeof(log), "%s.vcj", out);
	f = fopen(out, "w");
	T_ASSERT(st, f);
	fputs("keep me", f);
	fclose(f);
	c = small(out);
	c.frames = 4;
	T_EQ(st, cap_record_check(&c, &why), 0);
	T_EQ(st, cap_record_open(&c, collect, &s, &r), -EEXIST);
	T_EQ(st, s.errors, 1);
	T_ASSERT(st, strstr(s.last_error, out));
	T_ASSERT(st, strstr(s.last_hint, "--force"));
	T_EQ(st, stat(out, &sb), 0);
	T_EQ(st, sb.st_size, 7);
	T_ASSERT(st, access(log, F_OK) < 0);
}

static void test_contradiction_refused_by_check(struct t_state *st)
{
	struct cap_record_config c = small("/nonexistent/x.mov");
	struct cap_why why = { "", "" };

	c.frames = 10;
	c.fields = 20;
	T_EQ(st, cap_record_check(&c, &why), -EINVAL);
	T_STREQ(st, why.what, "-n, --fields and -t all say when to stop");
	T_STREQ(st, why.hint, "give one of them");
}

static void test_stop_finishes_the_file(struct t_state *st)
{
	char out[256];
	struct cap_record_config c;
	struct cap_why why = { "", "" };
	struct cap_record *r;
	struct mov_reader *rd;
	uint64_t frames;

	path(out, "stop.mov");
	c = small(out);
	c.cap.paced = false; /* as fast as the disk takes them */
	T_EQ(st, cap_record_check(&c, &why), 0);
	T_EQ(st, cap_record_open(&c, NULL, NULL, &r), 0);
	for (unsigned i = 0; i < 20; i++)
		T_EQ(st, cap_record_step(r), 1);
	cap_record_stop(r, "asked");
	T_EQ(st, cap_record_step(r), 0);
	T_EQ(st, cap_record_finish(r), 0);
	T_STREQ(st, cap_record_stats(r)->stop_reason, "asked");
	frames = cap_record_stats(r)->frames;
	T_ASSERT(st, frames > 0);
	cap_record_close(r);
	T_EQ(st, mov_reader_open(out, &rd, NULL, 0), 0);
	T_EQ(st, mov_reader_count(rd), frames);
	mov_reader_free(rd);
}

int main(void)
{
	struct t_state st = { 0 };
	int ret;
	char rm[300];

	if (!mkdtemp(dir)) {
		perror("mkdtemp");
		return 1;
	}
	T_RUN(&st, test_events_agree_with_stats);
	T_RUN(&st, test_existing_output_refused_untouched);
	T_RUN(&st, test_contradiction_refused_by_check);
	T_RUN(&st, test_stop_finishes_the_file);
	ret = T_EXIT(&st);
	snprintf(rm, sizeof(rm), "rm -rf '%s'", dir);
	if (system(rm) != 0)
		ret = 1;
	return ret;
}
