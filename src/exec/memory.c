/* memory.c — how valuerankd keeps its working memory: no trimming, and a heap that is resident before the first burst. */
#include "exec/exec_internal.h"

#include <malloc.h>
#include <stdlib.h>
#include <string.h>

/* Blocks small enough to come from the heap rather than from their own mapping. */
#define RESERVE_BLOCK (256u * 1024u)
#define RESERVE_MAX_BLOCKS 256

void exec_memory_setup(void)
{
	/*
	 * Every probe allocates and frees transfer buffers, response trees and
	 * transcript text; keep freed memory in the process instead of handing it
	 * back to the kernel and faulting it in again moments later.
	 */
	mallopt(M_TRIM_THRESHOLD, 128 * 1024 * 1024);
	mallopt(M_TOP_PAD, 4 * 1024 * 1024);
	mallopt(M_MMAP_THRESHOLD, 4 * 1024 * 1024);
}

void exec_memory_reserve(size_t nBytes)
{
	void *ap[RESERVE_MAX_BLOCKS];
	size_t n = nBytes / RESERVE_BLOCK, i;
	if (n > RESERVE_MAX_BLOCKS)
		n = RESERVE_MAX_BLOCKS;
	/*
	 * Touch the memory once so that it is resident, then give it back to this
	 * thread's heap, where it stays (nothing is trimmed below 128 MiB): the
	 * first burst of hundreds of transfers, or the database page cache
	 * filling up, then reuses it instead of taking a page fault per page.
	 */
	for (i = 0; i < n; i++) {
		ap[i] = malloc(RESERVE_BLOCK);
		if (!ap[i])
			break;
		memset(ap[i], 0, RESERVE_BLOCK);
	}
	while (i > 0)
		free(ap[--i]);
}
