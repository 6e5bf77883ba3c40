/* Play a QuickTime file to the null output as fast as the disk reads it, writing the md5 of
 * every frame that went out: libvcap's play session in its simplest use. The md5 file is
 * line for line what "ffmpeg -i IN.mov -c copy -f framemd5 OUT.md5" writes.
 *
 *   play IN.mov OUT.md5
 *
 * Build: cc play.c $(pkg-config --cflags --libs libvcap) -o play
 */
#include <play.h>

#include <stdio.h>
#include <string.h>

/* The session never prints: errors and notes arrive here. */
static void show(void *user, const struct play_event *ev)
{
	(void)user;
	if (ev->kind == PLAY_EVENT_UNDERRUN)
		return;
	fprintf(stderr, "play: %s%s%s%s%s%s\n", ev->text, ev->err ? ": " : "",
		ev->err ? strerror(-ev->err) : "", ev->hint ? " (" : "", ev->hint ? ev->hint : "",
		ev->hint ? ")" : "");
}

int main(int argc, char **argv)
{
	struct play_session_config c = {
		.in = argv[1],
		.sink = "null",
		.output = "null",
		.loops = 1,
		.paced = 0,	     /* as fast as it goes; 1: at the file's frame rate */
		.batch = 8,	     /* frames per O_DIRECT read at most */
		.depth = 4,	     /* reads in flight */
		.latency_ms = 500,   /* how far ahead to read */
		.md5_path = argv[2], /* framemd5 of the frames played */
	};
	const struct play_session_stats *st;
	struct play_session *s;
	int ret;

	if (argc != 3) {
		fprintf(stderr, "usage: play IN.mov OUT.md5\n");
		return 2;
	}
	ret = play_session_open(&c, show, NULL, &s);
	if (ret < 0)
		return 3;    /* show() said why */
	play_session_run(s); /* to the end of the file */
	st = play_session_stats(s);
	printf("%s: %llu frames of %ux%u played, %llu underruns, %.2f s\n", c.in,
	       (unsigned long long)st->frames, st->info.width, st->info.height,
	       (unsigned long long)st->underruns, st->seconds);
	ret = st->err ? 1 : 0;
	play_session_close(s);
	return ret;
}
