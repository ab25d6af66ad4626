# data.mk — templates, static files, configuration, nginx site, systemd units and docs
# installed beside the programs (the production layout of docs/deploy.md).
# GNU make's wildcard keeps this list true as pages are added (ValueRank builds on Debian).
templatesdir = $(pkgdatadir)/templates
dist_templates_DATA = $(patsubst $(srcdir)/%,%,$(wildcard $(srcdir)/templates/*.mustache))
staticdir = $(pkgdatadir)/static
dist_static_DATA = $(patsubst $(srcdir)/%,%,$(wildcard $(srcdir)/static/*.css $(srcdir)/static/*.svg))

# docs/ as a whole is already in EXTRA_DIST (tests/local.mk), so not dist_doc_DATA here.
doc_DATA = docs/deploy.md

# Where the rest goes. Each may be overridden on the make command line
# (e.g. `make install systemdunitdir=/lib/systemd/system`).
vr_confdir = $(sysconfdir)/valuerank
vr_statedir = $(localstatedir)/lib/valuerank
vr_nginxdir = $(pkgdatadir)/nginx
vr_pristinedir = $(pkgdatadir)/etc
systemdunitdir = $(prefix)/lib/systemd/system

# etc/nginx/ (the site file .in included) is distributed whole by tests/local.mk.
# Files made from etc/*.in at install time (not at build time), so that
# `make install prefix=...` and DESTDIR always produce paths that match the install.
EXTRA_DIST += etc/valuerank.conf.in etc/keys.env.example \
	etc/systemd/valuerank-web.service.in etc/systemd/valuerankd.service.in

# The [@] keeps config.status from substituting these placeholders in this Makefile.
vr_subst = sed \
	-e 's|@bindir[@]|$(bindir)|g' \
	-e 's|@sbindir[@]|$(sbindir)|g' \
	-e 's|@libexecdir[@]|$(libexecdir)|g' \
	-e 's|@sysconfdir[@]|$(sysconfdir)|g' \
	-e 's|@pkgdatadir[@]|$(pkgdatadir)|g' \
	-e 's|@docdir[@]|$(docdir)|g' \
	-e 's|@statedir[@]|$(vr_statedir)|g' \
	-e 's|@VERSION[@]|$(VERSION)|g'

# Install one generated file: $(call vr_install_subst,SOURCE.in,DEST,MODE).
vr_install_subst = $(vr_subst) < $(srcdir)/$(1) > "$(2).tmp" && chmod $(3) "$(2).tmp" && mv -f "$(2).tmp" "$(2)"

# Configuration files in sysconfdir are the administrator's: installed only when absent.
# A pristine copy of each always goes to $(vr_pristinedir) for comparison after upgrades.
install-data-local:
	$(MKDIR_P) "$(DESTDIR)$(vr_confdir)" "$(DESTDIR)$(vr_pristinedir)" "$(DESTDIR)$(vr_nginxdir)" \
		"$(DESTDIR)$(systemdunitdir)" "$(DESTDIR)$(vr_statedir)"
	$(call vr_install_subst,etc/valuerank.conf.in,$(DESTDIR)$(vr_pristinedir)/valuerank.conf,644)
	$(INSTALL_DATA) $(srcdir)/etc/models.json "$(DESTDIR)$(vr_pristinedir)/models.json"
	$(INSTALL_DATA) $(srcdir)/etc/keys.env.example "$(DESTDIR)$(vr_pristinedir)/keys.env"
	@for f in valuerank.conf:644 models.json:644 keys.env:600; do \
	  name=$${f%%:*}; mode=$${f##*:}; dest="$(DESTDIR)$(vr_confdir)/$$name"; \
	  if test -e "$$dest"; then \
	    echo "keeping existing $$dest (the new default is $(DESTDIR)$(vr_pristinedir)/$$name)"; \
	  else \
	    echo "installing $$dest"; \
	    cp "$(DESTDIR)$(vr_pristinedir)/$$name" "$$dest.tmp" && chmod $$mode "$$dest.tmp" && \
	      mv -f "$$dest.tmp" "$$dest" || exit 1; \
	  fi; \
	done
	$(call vr_install_subst,etc/nginx/valuerank.site.in,$(DESTDIR)$(vr_nginxdir)/valuerank.site,644)
	$(INSTALL_DATA) $(srcdir)/etc/nginx/valuerank_fastcgi_params "$(DESTDIR)$(vr_nginxdir)/valuerank_fastcgi_params"
	$(call vr_install_subst,etc/systemd/valuerank-web.service.in,$(DESTDIR)$(systemdunitdir)/valuerank-web.service,644)
	$(call vr_install_subst,etc/systemd/valuerankd.service.in,$(DESTDIR)$(systemdunitdir)/valuerankd.service,644)

# Configuration the administrator changed is left in place; unchanged copies are removed.
uninstall-local:
	@for name in valuerank.conf models.json keys.env; do \
	  dest="$(DESTDIR)$(vr_confdir)/$$name"; \
	  if test -e "$$dest" && cmp -s "$$dest" "$(DESTDIR)$(vr_pristinedir)/$$name"; then \
	    echo "rm -f $$dest"; rm -f "$$dest"; \
	  elif test -e "$$dest"; then \
	    echo "keeping $$dest: it differs from the installed default"; \
	  fi; \
	done
	rm -f "$(DESTDIR)$(vr_pristinedir)/valuerank.conf" "$(DESTDIR)$(vr_pristinedir)/models.json" \
		"$(DESTDIR)$(vr_pristinedir)/keys.env" \
		"$(DESTDIR)$(vr_nginxdir)/valuerank.site" "$(DESTDIR)$(vr_nginxdir)/valuerank_fastcgi_params" \
		"$(DESTDIR)$(systemdunitdir)/valuerank-web.service" "$(DESTDIR)$(systemdunitdir)/valuerankd.service"
