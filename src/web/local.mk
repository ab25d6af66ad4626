# src/web: request parsing, routing, sessions/CSRF, template engine, responses, pages.
libvaluerank_a_SOURCES += \
	src/web/app.c src/web/app.h \
	src/web/auth.c src/web/auth.h \
	src/web/render.c src/web/render.h \
	src/web/request.c \
	src/web/response.c \
	src/web/router.c src/web/router.h \
	src/web/web.h \
	src/web/pages/pages.h \
	src/web/pages/home.c \
	src/web/pages/login.c \
	src/web/pages/runs.c \
	src/web/pages/tokens.c
include src/web/template.mk
# definition pages (definitions helper)
libvaluerank_a_SOURCES += \
	src/web/pages/definitions.h \
	src/web/pages/definition_common.c \
	src/web/pages/definitions.c \
	src/web/pages/definition_edit.c \
	src/web/pages/definition_view.c \
	src/web/pages/definition_actions.c \
	src/web/pages/definition_transfer.c \
	src/web/pages/scenario.c
