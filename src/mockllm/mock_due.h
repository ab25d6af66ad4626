/* mock_due.h — a min-heap of waiting requests by due time, for replies held back by the mock's latency. */
#ifndef VR_MOCK_DUE_H
#define VR_MOCK_DUE_H

#include <stddef.h>
#include <stdint.h>

/* Embed one in each waiting item; the heap links to it, never copies it. */
typedef struct DueEntry {
	int64_t dueNs;  /* monotonic nanoseconds */
	size_t slot;    /* 1 + index in the heap while queued, else 0 */
} DueEntry;

typedef struct DueHeap {
	DueEntry **ap;
	size_t n;
	size_t nAlloc;
} DueHeap;

#define DUE_HEAP_INIT {NULL, 0, 0}

/* Queue e (not already queued) by e->dueNs. */
void due_push(DueHeap *h, DueEntry *e);
/* The entry due first, or NULL when the heap is empty. */
DueEntry *due_first(const DueHeap *h);
/* Take out e, which must be queued (e->slot != 0). */
void due_remove(DueHeap *h, DueEntry *e);
/* Remove and return the first entry if it is due by nowNs, else NULL. */
DueEntry *due_pop_due(DueHeap *h, int64_t nowNs);
void due_free(DueHeap *h);

#endif
