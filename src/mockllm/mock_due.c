/* mock_due.c — a binary min-heap of DueEntry pointers; each entry knows its slot, so removal is O(log n). */
#include "mockllm/mock_due.h"
#include "lib/util.h"

#include <stdlib.h>

static void due_set(DueHeap *h, size_t i, DueEntry *e)
{
	h->ap[i] = e;
	e->slot = i + 1;
}

/* Move the entry at index i towards the root while it is due before its parent. */
static void sift_up(DueHeap *h, size_t i)
{
	DueEntry *e = h->ap[i];
	while (i > 0 && h->ap[(i - 1) / 2]->dueNs > e->dueNs) {
		due_set(h, i, h->ap[(i - 1) / 2]);
		i = (i - 1) / 2;
	}
	due_set(h, i, e);
}

/* Move the entry at index i towards the leaves while a child is due before it. */
static void sift_down(DueHeap *h, size_t i)
{
	DueEntry *e = h->ap[i];
	for (;;) {
		size_t child = 2 * i + 1;
		if (child >= h->n)
			break;
		if (child + 1 < h->n && h->ap[child + 1]->dueNs < h->ap[child]->dueNs)
			child++;
		if (h->ap[child]->dueNs >= e->dueNs)
			break;
		due_set(h, i, h->ap[child]);
		i = child;
	}
	due_set(h, i, e);
}

void due_push(DueHeap *h, DueEntry *e)
{
	if (h->n == h->nAlloc) {
		h->nAlloc = h->nAlloc ? 2 * h->nAlloc : 256;
		h->ap = xrealloc(h->ap, h->nAlloc * sizeof(h->ap[0]));
	}
	h->ap[h->n++] = e;
	sift_up(h, h->n - 1);
}

DueEntry *due_first(const DueHeap *h)
{
	return h->n > 0 ? h->ap[0] : NULL;
}

void due_remove(DueHeap *h, DueEntry *e)
{
	size_t i = e->slot - 1;
	DueEntry *pLast = h->ap[--h->n];
	e->slot = 0;
	if (pLast == e)
		return;
	due_set(h, i, pLast);
	sift_down(h, i);
	sift_up(h, pLast->slot - 1);
}

DueEntry *due_pop_due(DueHeap *h, int64_t nowNs)
{
	DueEntry *e = due_first(h);
	if (!e || e->dueNs > nowNs)
		return NULL;
	due_remove(h, e);
	return e;
}

void due_free(DueHeap *h)
{
	free(h->ap);
	h->ap = NULL;
	h->n = h->nAlloc = 0;
}
