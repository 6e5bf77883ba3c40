/* The live preview's engine: a thread that copies offered frames out of their slots and hands
 * them to an output (preview-internal.h). The loop and the thread meet under one mutex held
 * for a few instructions at a time; the thread's state says whether it can take a frame. */
#include "preview-internal.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/resource.h>
#include <unistd.h>

enum pv_state {
	PV_IDLE,    /* waiting for a frame */
	PV_COPYING, /* copying from slot: that slot must not go back to the source */
	PV_SHOWING, /* the copy is done: the output has it (a display flip, a pipe write) */
	PV_DONE,    /* the output failed or the preview is closing: takes nothing more */
};

struct cap_preview {
	const struct cap_preview_out_ops *ops;
	struct cap_preview_out *out;
	uint64_t frame_bytes;
	pthread_t thread;
	bool thread_started;
	int stop_fd; /* eventfd: readable once closing (wakes an output's poll) */
	pthread_mutex_t lock;
	pthread_cond_t cond;
	/* under lock */
	enum pv_state state;
	bool closing;
	unsigned slot;
	const void *frame;
	struct cap_record_preview st;
};

static const struct cap_preview_out_ops *out_of(const char *spec)
{
	if (!strcmp(spec, "-"))
		return &cap_preview_pipe_ops;
	if (!strcmp(spec, "kms") || !strncmp(spec, "kms:", 4))
		return &cap_preview_kms_ops;
	return NULL;
}

/* Wait for the next frame (or the end): the frame to copy, NULL when closing or failed. */
static const void *next_frame(struct cap_preview *pv)
{
	const void *frame;

	pthread_mutex_lock(&pv->lock);
	while (pv->state == PV_IDLE && !pv->closing)
		pthread_cond_wait(&pv->cond, &pv->lock);
	frame = pv->state == PV_COPYING && !pv->closing ? pv->frame : NULL;
	if (!frame) { /* no copy is left half done for cap_preview_release() to wait on */
		pv->state = PV_DONE;
		pthread_cond_broadcast(&pv->cond);
	}
	pthread_mutex_unlock(&pv->lock);
	return frame;
}

static void set_state(struct cap_preview *pv, enum pv_state s, int err, uint64_t shown)
{
	pthread_mutex_lock(&pv->lock);
	if (pv->state != PV_DONE)
		pv->state = s;
	if (err && !pv->st.err)
		pv->st.err = err;
	if (shown > pv->st.shown)
		pv->st.shown = shown;
	pthread_cond_broadcast(&pv->cond);
	pthread_mutex_unlock(&pv->lock);
}

static void *preview_thread(void *arg)
{
	struct cap_preview *pv = arg;
	const void *frame;
	uint64_t shown = 0;
	int ret;

	/* the loop first: this thread yields to it (and a SCHED_FIFO loop never waits for it) */
	setpriority(PRIO_PROCESS, (id_t)gettid(), 19);
	while ((frame = next_frame(pv))) {
		memcpy(pv->ops->buffer(pv->out), frame, pv->frame_bytes);
		set_state(pv, PV_SHOWING, 0, 0);
		ret = pv->ops->show(pv->out, pv->stop_fd, &shown);
		set_state(pv, ret < 0 ? PV_DONE : PV_IDLE, ret, shown);
	}
	return NULL;
}

int cap_preview_open(const struct cap_preview_config *cfg, struct cap_why *why,
		     struct cap_preview **ret_pv)
{
	const struct cap_preview_out_ops *ops = cfg->spec ? out_of(cfg->spec) : NULL;
	struct cap_preview *pv;
	int ret;

	if (!ops)
		return -EINVAL;
	pv = calloc(1, sizeof(*pv));
	if (!pv)
		return -ENOMEM;
	pv->ops = ops;
	pv->frame_bytes = cfg->frame_bytes;
	pthread_mutex_init(&pv->lock, NULL);
	pthread_cond_init(&pv->cond, NULL);
	pv->stop_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (pv->stop_fd < 0) {
		ret = -errno;
		goto free_pv;
	}
	ret = ops->open(cfg, why, &pv->out);
	if (ret < 0)
		goto free_pv;
	pv->st.on = true;
	snprintf(pv->st.mode, sizeof(pv->st.mode), "%s", ops->mode(pv->out));
	ret = -pthread_create(&pv->thread, NULL, preview_thread, pv);
	if (ret < 0)
		goto free_pv;
	pv->thread_started = true;
	*ret_pv = pv;
	return 0;

free_pv:
	cap_preview_close(pv, NULL);
	return ret;
}

bool cap_preview_offer(struct cap_preview *pv, unsigned slot, const void *frame)
{
	bool taken;

	pthread_mutex_lock(&pv->lock);
	taken = pv->state == PV_IDLE && !pv->closing;
	if (pv->state != PV_DONE)
		pv->st.offered++;
	if (taken) {
		pv->state = PV_COPYING;
		pv->slot = slot;
		pv->frame = frame;
		pv->st.copies++;
		pthread_cond_broadcast(&pv->cond);
	} else if (pv->state != PV_DONE) {
		pv->st.skipped++;
	}
	pthread_mutex_unlock(&pv->lock);
	return taken;
}

bool cap_preview_busy(struct cap_preview *pv, unsigned slot)
{
	bool busy;

	if (!pv)
		return false;
	pthread_mutex_lock(&pv->lock);
	busy = pv->state == PV_COPYING && pv->slot == slot;
	pthread_mutex_unlock(&pv->lock);
	return busy;
}

void cap_preview_release(struct cap_preview *pv, unsigned slot)
{
	if (!pv)
		return;
	pthread_mutex_lock(&pv->lock);
	while (pv->state == PV_COPYING && pv->slot == slot)
		pthread_cond_wait(&pv->cond, &pv->lock);
	pthread_mutex_unlock(&pv->lock);
}

void cap_preview_stats(struct cap_preview *pv, struct cap_record_preview *ret)
{
	pthread_mutex_lock(&pv->lock);
	*ret = pv->st;
	pthread_mutex_unlock(&pv->lock);
}

void cap_preview_close(struct cap_preview *pv, struct cap_record_preview *ret)
{
	uint64_t shown = 0;

	if (!pv)
		return;
	pthread_mutex_lock(&pv->lock);
	pv->closing = true;
	pthread_cond_broadcast(&pv->cond);
	pthread_mutex_unlock(&pv->lock);
	if (pv->stop_fd >= 0 && eventfd_write(pv->stop_fd, 1) < 0) {
		/* a full counter is readable already */
	}
	if (pv->thread_started)
		pthread_join(pv->thread, NULL);
	if (pv->out) {
		shown = pv->st.shown;
		pv->ops->close(pv->out, &shown);
		if (shown > pv->st.shown)
			pv->st.shown = shown;
	}
	if (ret)
		*ret = pv->st;
	if (pv->stop_fd >= 0)
		close(pv->stop_fd);
	pthread_cond_destroy(&pv->cond);
	pthread_mutex_destroy(&pv->lock);
	free(pv);
}
