/* memory.c — how the long-running programs keep working memory: no trimming, and a heap that is resident before the first burst. */
#include "lib/memory.h"

#include <malloc.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/mman.h>

/* Blocks small enough to come from the heap rather than from their own mapping. */
#define RESERVE_BLOCK (256u * 1024u)
#define RESERVE_MAX_BLOCKS 256
/* The smallest page size: touching one byte in each makes a block resident. */
#define RESERVE_PAGE 4096u

void memory_keep_freed(void)
{
	/*
	 * Every request allocates and frees buffers, JSON trees and text; keep
	 * freed memory in the process instead of handing it back to the kernel
	 * and faulting it in again moments later.
	 */
	mallopt(M_TRIM_THRESHOLD, 128 * 1024 * 1024);
	mallopt(M_TOP_PAD, 4 * 1024 * 1024);
	mallopt(M_MMAP_THRESHOLD, 4 * 1024 * 1024);
}

void memory_reserve(size_t nBytes)
{
	void *ap[RESERVE_MAX_BLOCKS];
	size_t n = nBytes / RESERVE_BLOCK, i, off;
	if (n > RESERVE_MAX_BLOCKS)
		n = RESERVE_MAX_BLOCKS;
	/*
	 * Touch the memory once so that it is resident, then give it back to this
	 * thread's heap, where it stays (nothing is trimmed below 128 MiB): the
	 * first burst of hundreds of connections, or a database page cache
	 * filling up, then reuses it instead of taking a page fault per page.
	 * Not malloc plus memset(0): the compiler makes that calloc, which knows
	 * that fresh memory is zero and touches none of it.
	 */
	for (i = 0; i < n; i++) {
		volatile char *z;
		uintptr_t first, last;
		ap[i] = malloc(RESERVE_BLOCK);
		if (!ap[i])
			break;
		/* One system call for the whole pages of the block (Linux 5.14+), else a fault per page. */
		first = ((uintptr_t)ap[i] + RESERVE_PAGE - 1) & ~(uintptr_t)(RESERVE_PAGE - 1);
		last = ((uintptr_t)ap[i] + RESERVE_BLOCK) & ~(uintptr_t)(RESERVE_PAGE - 1);
		if (last > first && madvise((void *)first, last - first, MADV_POPULATE_WRITE) == 0)
			continue;
		z = ap[i];
		for (off = 0; off < RESERVE_BLOCK; off += RESERVE_PAGE)
			z[off] = 1;
	}
	while (i > 0)
		free(ap[--i]);
}
