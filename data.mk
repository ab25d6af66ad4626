# data.mk — templates, static files and configuration installed beside the programs.
# GNU make's wildcard keeps this list true as pages are added (ValueRank builds on Debian).
templatesdir = $(pkgdatadir)/templates
dist_templates_DATA = $(patsubst $(srcdir)/%,%,$(wildcard $(srcdir)/templates/*.mustache))
staticdir = $(pkgdatadir)/static
dist_static_DATA = $(patsubst $(srcdir)/%,%,$(wildcard $(srcdir)/static/*.css $(srcdir)/static/*.svg))
