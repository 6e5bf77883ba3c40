/* vmov internals, shared by its parts (tools/vmov*.c). */
#ifndef VCAP_VMOV_H
#define VCAP_VMOV_H

#include <stdbool.h>

struct tool;

/* vmov report's command line. */
struct vm_report_args {
	struct tool *tool;   /* main's: every error line goes through it */
	const char *file;    /* the MOV */
	const char *out;     /* -o: the page (or JSON); NULL: FILE.html (JSON: stdout) */
	const char *journal; /* --journal, or NULL: FILE.vcj */
	bool json, force;
	bool no_stats;	    /* --no-stats: read no frame */
	double thumb_every; /* --thumb-every seconds; 0: about 24 over the file */
};

/* Build the report and write it: the HTML page, or with json the data as one JSON object.
 * Returns the exit code (tool.h); every failure is said through a->tool. */
int vm_report(const struct vm_report_args *a);

#endif
