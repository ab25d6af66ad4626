/* memory.h — keep the heap resident in long-running programs (valuerankd, valuerank-mockllm). */
#ifndef VR_MEMORY_H
#define VR_MEMORY_H

#include <stddef.h>

/* Once, before threads start: freed memory stays in the process (no trimming below 128 MiB). */
void memory_keep_freed(void);

/*
 * Make about nBytes of the calling thread's heap resident and free for reuse
 * (each thread allocates from its own heap, so call it on the thread that
 * will use the memory).
 */
void memory_reserve(size_t nBytes);

#endif
