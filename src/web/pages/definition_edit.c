/* definition_edit.c — the definition form: new, edit, preview, create, and save (in place or as a new version). */
#include "web/pages/definitions.h"
#include "web/auth.h"
#include "web/render.h"
#include "domain/expand.h"
#include "store/definition_file.h"
#include "store/definitions.h"
#include "lib/buf.h"
#include "lib/log.h"
#include "lib/util.h"

#include <stdio.h>
#include <string.h>

/* The form's fields, in the order problems are grouped on the page. */
enum { F_NAME, F_PREAMBLE, F_TEMPLATE, F_DIMENSIONS, F_FOLLOWUPS, F_MATCHING_RULES, F_COUNT };
static const char *const azField[F_COUNT] = {"name",       "preamble",  "template",
					     "dimensions", "followups", "matching_rules"};

/* What the user typed, line endings normalised to \n; every string owned. */
typedef struct DefForm {
	char *az[F_COUNT];
} DefForm;

/* The outcome of checking a form: its content, the parsed definition and every problem. */
typedef struct FormCheck {
	json_t *pContent;  /* the definition JSON built from the fields */
	Definition *d;     /* def_parse_json of pContent */
	json_t *pProblems; /* JSON-syntax problems of the text areas first, then d's */
	int nError;
} FormCheck;

/* Copy z with every \r\n (and lone \r) turned into \n. Caller frees. */
static char *normalise_newlines(const char *z)
{
	char *zOut = xmalloc(strlen(z) + 1), *o = zOut;
	for (; *z; z++) {
		if (*z == '\r') {
			*o++ = '\n';
			if (z[1] == '\n')
				z++;
		} else {
			*o++ = *z;
		}
	}
	*o = 0;
	return zOut;
}

static void form_from_request(Request *r, DefForm *f)
{
	int i;
	for (i = 0; i < F_COUNT; i++) {
		const char *z = param_get(&r->form, azField[i]);
		f->az[i] = normalise_newlines(z ? z : "");
	}
}

/* Fill the form from a stored definition row: text areas hold pretty-printed JSON. */
static void form_from_row(const json_t *pRow, DefForm *f)
{
	const json_t *pContent = json_object_get(pRow, "content");
	const json_t *pDims = json_object_get(pContent, "dimensions");
	const json_t *pFollowups = json_object_get(pContent, "followups");
	const char *zPreamble = json_string_value(json_object_get(pContent, "preamble"));
	const char *zTemplate = json_string_value(json_object_get(pContent, "template"));
	const char *zRules = json_string_value(json_object_get(pContent, "matching_rules"));
	f->az[F_NAME] = xstrdup(json_string_value(json_object_get(pRow, "name")) ?: "");
	f->az[F_PREAMBLE] = xstrdup(zPreamble ? zPreamble : "");
	f->az[F_TEMPLATE] = xstrdup(zTemplate ? zTemplate : "");
	f->az[F_DIMENSIONS] = pDims ? json_dumps(pDims, JSON_INDENT(2) | JSON_PRESERVE_ORDER) : xstrdup("[]");
	f->az[F_FOLLOWUPS] = pFollowups ? json_dumps(pFollowups, JSON_INDENT(2) | JSON_PRESERVE_ORDER)
					: xstrdup("");
	f->az[F_MATCHING_RULES] = xstrdup(zRules ? zRules : "");
	if (!f->az[F_DIMENSIONS])
		f->az[F_DIMENSIONS] = xstrdup("[]");
	if (!f->az[F_FOLLOWUPS])
		f->az[F_FOLLOWUPS] = xstrdup("");
}

static void form_free(DefForm *f)
{
	int i;
	for (i = 0; i < F_COUNT; i++)
		free(f->az[i]);
}

/* 1 when z holds only whitespace. */
static int is_blank(const char *z)
{
	for (; *z; z++)
		if (!strchr(" \t\n", *z))
			return 0;
	return 1;
}

static void add_problem(json_t *pProblems, const char *zSeverity, const char *zPath, const char *zMessage)
{
	json_t *p = json_object();
	json_object_set_new(p, "severity", json_string(zSeverity));
	json_object_set_new(p, "path", json_string(zPath));
	json_object_set_new(p, "message", json_string(zMessage));
	json_array_append_new(pProblems, p);
}

/*
 * Parse a JSON text area. Returns the value (caller decrefs), or NULL after
 * adding an error for the field that says where the syntax breaks.
 */
static json_t *parse_text_area(const char *zText, const char *zField, const char *zWhat, json_t *pProblems)
{
	json_error_t err;
	json_t *p = json_loads(zText, JSON_DECODE_ANY, &err);
	if (!p) {
		char zMsg[400];
		snprintf(zMsg, sizeof(zMsg), "The %s are not valid JSON: %s (line %d, column %d).", zWhat,
			 err.text, err.line, err.column);
		add_problem(pProblems, "error", zField, zMsg);
	}
	return p;
}

/*
 * Build the definition content from the form and validate it. Broken JSON
 * in a text area is one error for that field; the rest is still checked
 * (placeholder warnings are dropped then, as they would only repeat it).
 * The caller frees with check_free().
 */
static void check_form(const DefForm *f, FormCheck *c)
{
	json_t *pContent = json_object(), *pDefProblems;
	int dimsBroken = 0;
	size_t i;
	c->pProblems = json_array();
	json_object_set_new(pContent, "schema_version", json_integer(DEF_SCHEMA_VERSION));
	if (*f->az[F_PREAMBLE])
		json_object_set_new(pContent, "preamble", json_string(f->az[F_PREAMBLE]));
	json_object_set_new(pContent, "template", json_string(f->az[F_TEMPLATE]));
	if (is_blank(f->az[F_DIMENSIONS])) {
		json_object_set_new(pContent, "dimensions", json_array());
	} else {
		json_t *pDims = parse_text_area(f->az[F_DIMENSIONS], "dimensions", "dimensions", c->pProblems);
		if (pDims)
			json_object_set_new(pContent, "dimensions", pDims);
		else
			dimsBroken = 1;
	}
	if (!is_blank(f->az[F_FOLLOWUPS])) {
		json_t *pFollowups = parse_text_area(f->az[F_FOLLOWUPS], "followups", "follow-ups", c->pProblems);
		if (pFollowups)
			json_object_set_new(pContent, "followups", pFollowups);
	}
	if (*f->az[F_MATCHING_RULES])
		json_object_set_new(pContent, "matching_rules", json_string(f->az[F_MATCHING_RULES]));
	c->pContent = pContent;
	c->d = def_parse_json(f->az[F_NAME], pContent);
	pDefProblems = definition_problems(c->d);
	for (i = 0; i < json_array_size(pDefProblems); i++) {
		json_t *p = json_array_get(pDefProblems, i);
		const char *zPath = json_string_value(json_object_get(p, "path"));
		if (dimsBroken && zPath && str_starts_with(zPath, "template"))
			continue;
		json_array_append(c->pProblems, p);
	}
	json_decref(pDefProblems);
	c->nError = definition_problem_errors(c->pProblems);
}

static void check_free(FormCheck *c)
{
	json_decref(c->pContent);
	json_decref(c->pProblems);
	def_free(c->d);
}

/* The form field a problem's JSON path belongs to, or NULL for the definition as a whole. */
static const char *problem_field(const char *zPath)
{
	int i;
	for (i = 0; i < F_COUNT; i++) {
		size_t n = strlen(azField[i]);
		if (strncmp(zPath, azField[i], n) == 0 && (zPath[n] == 0 || zPath[n] == '.' || zPath[n] == '['))
			return azField[i];
	}
	return NULL;
}

/* Add problems_FIELD lists (and problems_general) to the view, each item in the problems_* shape. */
static void add_field_problems(json_t *pView, const json_t *pProblems)
{
	json_t *pAll = definition_problem_items(pProblems, NULL);
	json_t *pGeneral = json_array();
	char zKey[64];
	size_t i;
	int k;
	for (k = 0; k < F_COUNT; k++) {
		snprintf(zKey, sizeof(zKey), "problems_%s", azField[k]);
		json_object_set_new(pView, zKey, json_array());
	}
	for (i = 0; i < json_array_size(pAll); i++) {
		json_t *pItem = json_array_get(pAll, i);
		const char *zField = problem_field(json_string_value(json_object_get(pItem, "path")) ?: "");
		if (zField) {
			snprintf(zKey, sizeof(zKey), "problems_%s", zField);
			json_array_append(json_object_get(pView, zKey), pItem);
		} else {
			json_array_append(pGeneral, pItem);
		}
	}
	json_object_set_new(pView, "problems_general", pGeneral);
	json_object_set_new(pView, "problems", pAll);
}

/* expand_each() callback collecting the first DEFINITION_PREVIEW_COUNT scenarios for the preview. */
static int collect_preview(void *pArg, const Scenario *s)
{
	json_t *pList = pArg, *pItem = json_object(), *pScores = json_array();
	const char *zKey;
	json_t *pVal;
	char *zText = scenario_full_prompt(s->zPreamble, s->zPrompt);
	json_object_foreach(s->pScores, zKey, pVal) {
		json_t *pScore = json_object();
		json_object_set_new(pScore, "name", json_string(zKey));
		json_object_set(pScore, "score", pVal);
		json_array_append_new(pScores, pScore);
	}
	json_object_set_new(pItem, "index", json_integer(s->index));
	json_object_set_new(pItem, "name", json_string(s->zName));
	json_object_set_new(pItem, "scores", pScores);
	json_object_set_new(pItem, "text", json_string(zText));
	free(zText);
	json_array_append_new(pList, pItem);
	return json_array_size(pList) >= DEFINITION_PREVIEW_COUNT;
}

/* The preview block: the first scenarios, exactly as turn 1 will be sent, and the follow-up turns. */
static json_t *preview_json(const Definition *d, int64_t seedId)
{
	json_t *pPreview = json_object(), *pList = json_array(), *pFollowups = json_array();
	int64_t n = def_scenario_count(d);
	int i;
	if (n <= (int64_t)DEFINITION_MAX_STORED_SCENARIOS)
		expand_each(d, seedId, collect_preview, pList);
	for (i = 0; i < d->nFollowup; i++) {
		json_t *pF = json_object();
		json_object_set_new(pF, "label", json_string(d->aFollowup[i].zLabel));
		json_object_set_new(pF, "prompt", json_string(d->aFollowup[i].zPrompt));
		json_array_append_new(pFollowups, pF);
	}
	json_object_set_new(pPreview, "scenario_count", json_integer(n));
	json_object_set_new(pPreview, "shown", json_integer((json_int_t)json_array_size(pList)));
	json_object_set_new(pPreview, "scenarios", pList);
	json_object_set_new(pPreview, "followups", pFollowups);
	json_object_set_new(pPreview, "has_followups", json_boolean(d->nFollowup > 0));
	return pPreview;
}

/*
 * Render the form. pRow is the definition being edited (NULL for a new
 * one); pCheck, when not NULL, supplies problems; pPreview (stolen) is the
 * preview block or NULL.
 */
static void render_form(Request *r, Response *p, const json_t *pRow, const DefForm *f,
			const FormCheck *pCheck, json_t *pPreview)
{
	json_t *pView = json_object();
	char zAction[64], zTitle[300];
	int i;
	for (i = 0; i < F_COUNT; i++)
		json_object_set_new(pView, azField[i], json_string(f->az[i]));
	add_field_problems(pView, pCheck ? pCheck->pProblems : NULL);
	json_object_set_new(pView, "has_errors", json_boolean(pCheck && pCheck->nError > 0));
	json_object_set_new(pView, "error_count", json_integer(pCheck ? pCheck->nError : 0));
	if (pRow) {
		int64_t id = json_integer_value(json_object_get(pRow, "id"));
		int64_t runCount = json_integer_value(json_object_get(pRow, "run_count"));
		snprintf(zAction, sizeof(zAction), "/definitions/%lld", (long long)id);
		snprintf(zTitle, sizeof(zTitle), "Edit %s", json_string_value(json_object_get(pRow, "name")) ?: "");
		json_object_set_new(pView, "id", json_integer(id));
		json_object_set(pView, "version", json_object_get(pRow, "version"));
		json_object_set_new(pView, "run_count", json_integer(runCount));
		json_object_set_new(pView, "used_by_runs", json_boolean(runCount > 0));
		json_object_set_new(pView, "next_version",
				    json_integer(json_integer_value(json_object_get(pRow, "version")) + 1));
	} else {
		str_copy(zAction, sizeof(zAction), "/definitions");
		str_copy(zTitle, sizeof(zTitle), "New definition");
		json_object_set_new(pView, "is_new", json_true());
	}
	json_object_set_new(pView, "form_action", json_string(zAction));
	json_object_set_new(pView, "heading", json_string(zTitle));
	if (pPreview)
		json_object_set_new(pView, "preview", pPreview);
	web_render(r, p, "definition_edit", zTitle, pView);
}

/* A blank definition form with a starting template. */
void page_definition_new(Request *r, Response *p)
{
	DefForm f;
	int i;
	for (i = 0; i < F_COUNT; i++)
		f.az[i] = xstrdup("");
	free(f.az[F_DIMENSIONS]);
	f.az[F_DIMENSIONS] = xstrdup("[]");
	render_form(r, p, NULL, &f, NULL, NULL);
	form_free(&f);
}

void page_definition_edit(Request *r, Response *p)
{
	json_t *pRow = definition_load(r, p);
	DefForm f;
	if (!pRow)
		return;
	form_from_row(pRow, &f);
	render_form(r, p, pRow, &f, NULL, NULL);
	form_free(&f);
	json_decref(pRow);
}

/* 1 when the submit button pressed was "Preview". */
static int wants_preview(Request *r)
{
	const char *z = param_get(&r->form, "action");
	return z && strcmp(z, "preview") == 0;
}

void page_definition_create(Request *r, Response *p)
{
	DefForm f;
	FormCheck c;
	int64_t id;
	char zUrl[80];
	form_from_request(r, &f);
	check_form(&f, &c);
	if (wants_preview(r)) {
		render_form(r, p, NULL, &f, &c, preview_json(c.d, 0));
	} else if (c.nError > 0) {
		p->status = 422;
		render_form(r, p, NULL, &f, &c, NULL);
	} else if ((id = definition_store_new(r, p, f.az[F_NAME], c.pContent, c.d, 0, 1, "definition.create",
					      NULL)) > 0) {
		snprintf(zUrl, sizeof(zUrl), "/definitions/%lld?saved=created", (long long)id);
		response_redirect(p, zUrl);
	}
	check_free(&c);
	form_free(&f);
}

/*
 * Store a checked, error-free edit of definition id inside one transaction,
 * so no run can start using it between the check and the write. No run
 * uses it: update in place and re-expand. A run uses it: keep it as the
 * runs' version and store the edit as a new row with version + 1 and this
 * one as parent. Answers with a redirect or an error page.
 */
static void save_edit(Request *r, Response *p, int64_t id, int64_t version, const DefForm *f, const FormCheck *c)
{
	char zUrl[96], zDetails[96], zErr[300];
	int ok = 0;
	if (db_begin(r->db) != DB_OK) {
		web_error(r, p, 503, "The database is busy; try again in a moment.");
		return;
	}
	if (store_definition_run_count(r->db, id) > 0) {
		int64_t newId;
		snprintf(zDetails, sizeof(zDetails), "{\"parent_id\":%lld,\"version\":%lld}", (long long)id,
			 (long long)(version + 1));
		newId = definition_store_new(r, p, f->az[F_NAME], c->pContent, c->d, id, version + 1,
					     "definition.version", zDetails);
		if (newId > 0) {
			snprintf(zUrl, sizeof(zUrl), "/definitions/%lld?saved=version", (long long)newId);
			ok = 1;
		}
	} else {
		DbRc rc = store_definition_update(r->db, r->user.tenantId, id, f->az[F_NAME], c->pContent, c->d,
						  zErr, sizeof(zErr));
		if (rc == DB_NOTFOUND) {
			web_error(r, p, 404, "There is no such definition.");
		} else if (rc != DB_OK) {
			log_event(LOG_ERROR, "definition not updated", "error=\"%s\"", zErr);
			web_error(r, p, 500, "The definition could not be saved. The error has been logged.");
		} else {
			auth_audit(r, "definition.update", "definition", id, NULL);
			snprintf(zUrl, sizeof(zUrl), "/definitions/%lld?saved=updated", (long long)id);
			ok = 1;
		}
	}
	if (ok && db_commit(r->db) == DB_OK) {
		response_redirect(p, zUrl);
		return;
	}
	db_rollback(r->db);
	if (ok)
		web_error(r, p, 500, "The definition could not be saved. The error has been logged.");
}

/* POST /definitions/ID: preview, refuse with the problems (422), or save. */
void page_definition_save(Request *r, Response *p)
{
	json_t *pRow = definition_load(r, p);
	DefForm f;
	FormCheck c;
	int64_t id;
	if (!pRow)
		return;
	id = json_integer_value(json_object_get(pRow, "id"));
	form_from_request(r, &f);
	check_form(&f, &c);
	if (wants_preview(r)) {
		render_form(r, p, pRow, &f, &c, preview_json(c.d, id));
	} else if (c.nError > 0) {
		p->status = 422;
		render_form(r, p, pRow, &f, &c, NULL);
	} else {
		save_edit(r, p, id, json_integer_value(json_object_get(pRow, "version")), &f, &c);
	}
	check_free(&c);
	form_free(&f);
	json_decref(pRow);
}
