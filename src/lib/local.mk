# src/lib: buffers, strings, time, logging, randomness, hashing.
libvaluerank_a_SOURCES += \
	src/lib/buf.c src/lib/buf.h \
	src/lib/config.c src/lib/config.h \
	src/lib/log.c src/lib/log.h \
	src/lib/memory.c src/lib/memory.h \
	src/lib/sha256.c src/lib/sha256.h \
	src/lib/timeutil.c src/lib/timeutil.h \
	src/lib/util.c src/lib/util.h
