/* Record frames from the pattern source, or a V4L2 device, to a QuickTime file: libvcap's
 * recording session in its simplest use.
 *
 *   record OUT.mov [FRAMES [/dev/videoN]]      (default 30 frames of the pattern source)
 *
 * Ctrl-C stops the recording early; the file is finished with every frame recorded so far.
 *
 * Build: cc record.c $(pkg-config --cflags --libs libvcap) -o record
 */
#include <cap.h>

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The session never prints: errors, drops and notes arrive here. */
static void show(void *user, const struct cap_event *ev)
{
	(void)user;
	if (ev->kind == CAP_EVENT_INFO)
		return;
	fprintf(stderr, "record: %s%s%s%s%s%s\n", ev->text, ev->err ? ": " : "",
		ev->err ? strerror(-ev->err) : "", ev->hint ? " (" : "", ev->hint ? ev->hint : "",
		ev->hint ? ")" : "");
}

/* SIGINT is blocked and looked for between steps: the session is not async-signal-safe. */
static bool interrupted(void)
{
	sigset_t pending;

	return sigpending(&pending) == 0 && sigismember(&pending, SIGINT);
}

int main(int argc, char **argv)
{
	struct cap_record_config c = {
		.out = argv[1],
		.source = cap_source_find(argc > 3 ? "v4l2" : "pattern"),
		.cap = { .paced = true, .field_auto = true, .device = argc > 3 ? argv[3] : NULL },
		.frames = argc > 2 ? strtoull(argv[2], NULL, 10) : 30,
		.batch = 8, /* frames per O_DIRECT write */
		.depth = 4, /* writes in flight */
	};
	const struct cap_record_stats *st;
	struct cap_why why = { "", "" };
	struct cap_record *r;
	sigset_t sigint;
	int ret;

	if (argc < 2 || argc > 4 || !c.frames) {
		fprintf(stderr, "usage: record OUT.mov [FRAMES (1 or more) [/dev/videoN]]\n");
		return 2;
	}
	if (cap_record_check(&c, &why) < 0) { /* fills in the pattern source's defaults */
		fprintf(stderr, "record: %s (%s)\n", why.what, why.hint);
		return 2;
	}
	sigemptyset(&sigint);
	sigaddset(&sigint, SIGINT);
	sigprocmask(SIG_BLOCK, &sigint, NULL);
	if (cap_record_open(&c, show, NULL, &r) < 0)
		return 3;	       /* show() said why; nothing was left behind */
	while (cap_record_step(r) > 0) /* until c.frames are in the file */
		if (interrupted())
			cap_record_stop(r, "SIGINT");
	ret = cap_record_finish(r);
	st = cap_record_stats(r);
	printf("%s: %llu frames of %s %ux%u, %llu dropped, %llu bytes, stopped by %s\n", c.out,
	       (unsigned long long)st->frames, mov_format_name(st->acc.format), st->acc.width,
	       st->acc.height, (unsigned long long)st->drops, (unsigned long long)st->file_size,
	       st->stop_reason);
	ret = ret < 0 || st->err ? 1 : 0;
	cap_record_close(r);
	return ret;
}
