# src/store: every SQL statement lives here; migrations; transactions.
libvaluerank_a_SOURCES += \
	src/store/db.c src/store/db.h src/store/db_internal.h \
	src/store/schema.c \
	src/store/accounts.c src/store/accounts.h \
	src/store/runs.c src/store/runs.h
