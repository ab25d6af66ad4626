# src/cli: the valuerank command.
bin_PROGRAMS += valuerank
valuerank_SOURCES = src/cli/main.c
libvaluerank_a_SOURCES += \
	src/cli/cli.h src/cli/commands.h \
	src/cli/cli.c src/cli/commands.c \
	src/cli/cmd_db.c \
	src/cli/cmd_user.c
# valuerank definition ... (definitions helper)
libvaluerank_a_SOURCES += src/cli/cmd_definition.c
# valuerank run ... and extract-decision (executor helper)
libvaluerank_a_SOURCES += src/cli/cmd_run.c src/cli/cmd_decision.c
# valuerank run export (dashboard helper)
libvaluerank_a_SOURCES += src/cli/cmd_export.c
