/* template.c — mustache parser (source → node tree, once) and renderer (tree + JSON → Buf). */
#include "web/template.h"

#include <dirent.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "lib/util.h"

/* Largest template file tpl_set_load_dir() accepts. */
#define TPL_MAX_FILE_BYTES (4 * 1024 * 1024)
/* Longest custom delimiter accepted by {{=a b=}}. */
#define TPL_MAX_DELIM 16

typedef enum TplKind {
	TPL_TEXT,     /* literal text */
	TPL_ESCAPED,  /* {{name}} */
	TPL_RAW,      /* {{{name}}} or {{& name}} */
	TPL_SECTION,  /* {{#name}} ... {{/name}} */
	TPL_INVERTED, /* {{^name}} ... {{/name}} */
	TPL_PARTIAL   /* {{> name}} */
} TplKind;

typedef struct TplNode TplNode;

/* A growable array of nodes, owned by its template or section. */
typedef struct TplList {
	TplNode *a;
	int n;
	int nAlloc;
} TplList;

struct TplNode {
	TplKind eKind;
	/* The node starts a source line: a standalone partial's indentation goes here. */
	unsigned char bLineStart;
	/* Section only: its closing tag starts a source line (indent after each pass). */
	unsigned char bCloseLineStart;
	/* Partial only: the tag stood alone on its line, so the partial is indented. */
	unsigned char bStandalone;
	int iLine;       /* source line of the tag (1-based), for messages */
	char *z;         /* TEXT: the text; tags: the name as written */
	size_t n;        /* strlen-like length of z */
	char **azPart;   /* name split at dots; one allocation with the strings */
	int nPart;       /* 0 for the implicit iterator "." */
	char *zIndent;   /* standalone partial: the whitespace before the tag */
	TplList children; /* sections */
};

typedef struct Template {
	char *zName;
	TplList nodes;
} Template;

/* Templates kept sorted by name so partial lookup is a binary search. */
struct TplSet {
	Template *a;
	int n;
	int nAlloc;
};

/* Format a message into zErr (if there is room for one). */
static void __attribute__((format(printf, 3, 4)))
tpl_error(char *zErr, size_t nErr, const char *zFmt, ...)
{
	va_list ap;
	if (!zErr || nErr == 0)
		return;
	va_start(ap, zFmt);
	vsnprintf(zErr, nErr, zFmt, ap);
	va_end(ap);
}

/* ------------------------------------------------------------------ */
/* Node lists                                                          */

/* Free everything a list owns (recursively), leaving it empty. */
static void list_free(TplList *pList)
{
	int i;
	for (i = 0; i < pList->n; i++) {
		TplNode *p = &pList->a[i];
		free(p->z);
		free(p->azPart);
		free(p->zIndent);
		list_free(&p->children);
	}
	free(pList->a);
	pList->a = NULL;
	pList->n = pList->nAlloc = 0;
}

/* Append a zeroed node and return it; valid until the next append to pList. */
static TplNode *list_append(TplList *pList, TplKind eKind)
{
	TplNode *p;
	if (pList->n == pList->nAlloc) {
		pList->nAlloc = pList->nAlloc ? pList->nAlloc * 2 : 8;
		pList->a = xrealloc(pList->a, (size_t)pList->nAlloc * sizeof(TplNode));
	}
	p = &pList->a[pList->n++];
	memset(p, 0, sizeof(*p));
	p->eKind = eKind;
	return p;
}

/* ------------------------------------------------------------------ */
/* Parser                                                              */

typedef struct Parser {
	const char *zName; /* template name, for messages */
	const char *z;     /* source */
	size_t n;          /* source length */
	size_t pos;        /* next byte to scan */
	char zOpen[TPL_MAX_DELIM + 1];
	char zClose[TPL_MAX_DELIM + 1];
	char zCloseTriple[TPL_MAX_DELIM + 2]; /* "}" + zClose */
	size_t nOpen, nClose;
	int bAtLineStart; /* the next node begins a source line */
	size_t posCounted; /* line numbers: newlines counted up to here */
	int iLineCounted;
	int nDepth;        /* open sections */
	char *zErr;
	size_t nErr;
} Parser;

static int is_blank(char c)
{
	return c == ' ' || c == '\t';
}

static int is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

/* 1-based line number of byte offset pos (pos never moves backwards between calls). */
static int parser_line(Parser *P, size_t pos)
{
	if (pos < P->posCounted) {
		P->posCounted = 0;
		P->iLineCounted = 1;
	}
	for (; P->posCounted < pos; P->posCounted++) {
		if (P->z[P->posCounted] == '\n')
			P->iLineCounted++;
	}
	return P->iLineCounted;
}

/* First occurrence of zNeedle (nNeedle > 0) in z[from, n), or (size_t)-1. */
static size_t find_from(const char *z, size_t n, size_t from, const char *zNeedle, size_t nNeedle)
{
	const char *p;
	if (from >= n)
		return (size_t)-1;
	p = memmem(z + from, n - from, zNeedle, nNeedle);
	return p ? (size_t)(p - z) : (size_t)-1;
}

static void parser_set_delims(Parser *P, const char *zOpen, size_t nOpen, const char *zClose,
			      size_t nClose)
{
	memcpy(P->zOpen, zOpen, nOpen);
	P->zOpen[nOpen] = 0;
	P->nOpen = nOpen;
	memcpy(P->zClose, zClose, nClose);
	P->zClose[nClose] = 0;
	P->nClose = nClose;
	P->zCloseTriple[0] = '}';
	memcpy(P->zCloseTriple + 1, zClose, nClose + 1);
}

/*
 * Parse the body of a set-delimiter tag after its first '=', "<% %>="
 * (z[0..n)), and install the new delimiters. 0 or -1 with a message.
 */
static int parser_change_delims(Parser *P, const char *z, size_t n, int iLine)
{
	size_t i = 0, iOpen, nOpen, iClose, nClose;
	if (n < 1 || z[n - 1] != '=')
		goto bad;
	n--; /* drop the closing '=' */
	while (i < n && is_space(z[i]))
		i++;
	iOpen = i;
	while (i < n && !is_space(z[i]))
		i++;
	nOpen = i - iOpen;
	while (i < n && is_space(z[i]))
		i++;
	iClose = i;
	while (i < n && !is_space(z[i]))
		i++;
	nClose = i - iClose;
	while (i < n && is_space(z[i]))
		i++;
	if (i != n || nOpen == 0 || nClose == 0)
		goto bad;
	if (memchr(z + iOpen, '=', nOpen) || memchr(z + iClose, '=', nClose))
		goto bad;
	if (nOpen > TPL_MAX_DELIM || nClose > TPL_MAX_DELIM) {
		tpl_error(P->zErr, P->nErr,
			  "template '%s' line %d: delimiters longer than %d characters", P->zName,
			  iLine, TPL_MAX_DELIM);
		return -1;
	}
	parser_set_delims(P, z + iOpen, nOpen, z + iClose, nClose);
	return 0;
bad:
	tpl_error(P->zErr, P->nErr,
		  "template '%s' line %d: a set-delimiter tag must look like {{=<%% %%>=}}: two "
		  "delimiters without spaces or '='",
		  P->zName, iLine);
	return -1;
}

/*
 * Store the tag name z[0..n) (already trimmed) in pNode: the text and its
 * dotted parts. bPartial allows '/' in partial names. 0 or -1 with a message.
 */
static int parser_set_name(Parser *P, TplNode *pNode, const char *z, size_t n, int bPartial)
{
	size_t i;
	int nPart = 1, k;
	char *zCopy;
	if (n == 0) {
		tpl_error(P->zErr, P->nErr, "template '%s' line %d: tag without a name", P->zName,
			  pNode->iLine);
		return -1;
	}
	for (i = 0; i < n; i++) {
		if (is_space(z[i]) || strchr("{}#^!>&=", z[i]) || (!bPartial && z[i] == '/') ||
		    z[i] == 0) {
			tpl_error(P->zErr, P->nErr,
				  "template '%s' line %d: invalid character '%c' in tag name '%.*s'",
				  P->zName, pNode->iLine, z[i], (int)n, z);
			return -1;
		}
		if (z[i] == '.')
			nPart++;
	}
	pNode->z = xstrndup(z, n);
	pNode->n = n;
	if (bPartial)
		return 0;
	if (n == 1 && z[0] == '.') {
		pNode->nPart = 0; /* implicit iterator */
		return 0;
	}
	/* One block: nPart pointers, then the name with '.' replaced by NUL. */
	pNode->azPart = xmalloc((size_t)nPart * sizeof(char *) + n + 1);
	zCopy = (char *)(pNode->azPart + nPart);
	memcpy(zCopy, z, n);
	zCopy[n] = 0;
	pNode->azPart[0] = zCopy;
	for (i = 0, k = 1; i < n; i++) {
		if (zCopy[i] == '.') {
			zCopy[i] = 0;
			pNode->azPart[k++] = zCopy + i + 1;
		}
	}
	pNode->nPart = nPart;
	for (k = 0; k < nPart; k++) {
		if (pNode->azPart[k][0] == 0) {
			tpl_error(P->zErr, P->nErr,
				  "template '%s' line %d: empty part in dotted name '%s'", P->zName,
				  pNode->iLine, pNode->z);
			return -1;
		}
	}
	return 0;
}

/* Append text z[from, to) to pList, merging with a preceding text node. */
static void parser_add_text(Parser *P, TplList *pList, size_t from, size_t to)
{
	TplNode *pLast;
	size_t n = to - from;
	if (from >= to)
		return;
	pLast = pList->n ? &pList->a[pList->n - 1] : NULL;
	if (pLast && pLast->eKind == TPL_TEXT) {
		pLast->z = xrealloc(pLast->z, pLast->n + n + 1);
		memcpy(pLast->z + pLast->n, P->z + from, n);
		pLast->n += n;
		pLast->z[pLast->n] = 0;
	} else {
		pLast = list_append(pList, TPL_TEXT);
		pLast->z = xstrndup(P->z + from, n);
		pLast->n = n;
		pLast->bLineStart = (unsigned char)P->bAtLineStart;
	}
	P->bAtLineStart = P->z[to - 1] == '\n';
}

/*
 * Parse nodes into pList until the closing tag of pSection (NULL at top
 * level: until the end of the source). Returns 0 or -1 with a message.
 */
static int parser_parse_list(Parser *P, TplList *pList, TplNode *pSection)
{
	for (;;) {
		size_t open, body, bodyEnd, tagEnd, lineStart, after;
		int iLine, bStandalone;
		char sigil;
		const char *zName;
		size_t nName;

		open = find_from(P->z, P->n, P->pos, P->zOpen, P->nOpen);
		if (open == (size_t)-1) {
			parser_add_text(P, pList, P->pos, P->n);
			P->pos = P->n;
			if (pSection) {
				tpl_error(P->zErr, P->nErr,
					  "template '%s' line %d: section '%s' is never closed",
					  P->zName, pSection->iLine, pSection->z);
				return -1;
			}
			return 0;
		}
		iLine = parser_line(P, open);
		body = open + P->nOpen;
		sigil = body < P->n ? P->z[body] : 0;
		if (sigil == '{') {
			bodyEnd = find_from(P->z, P->n, body + 1, P->zCloseTriple, P->nClose + 1);
			tagEnd = bodyEnd + 1 + P->nClose;
		} else {
			bodyEnd = find_from(P->z, P->n, body, P->zClose, P->nClose);
			tagEnd = bodyEnd + P->nClose;
		}
		if (bodyEnd == (size_t)-1) {
			tpl_error(P->zErr, P->nErr,
				  "template '%s' line %d: tag opened with '%s%s' is never closed",
				  P->zName, iLine, P->zOpen, sigil == '{' ? "{" : "");
			return -1;
		}
		/*
		 * A sigil counts only when it lies before the closing delimiter: with
		 * delimiters like "<% >" the '>' of "<%>" closes the tag instead.
		 */
		if (sigil != 0 && strchr("#^/>&{!=", sigil) && body < bodyEnd)
			body++;
		else
			sigil = 0;
		zName = P->z + body;
		nName = bodyEnd - body;

		/* Standalone: only blanks before it on its line and after it up to the newline. */
		lineStart = open;
		while (lineStart > P->pos && is_blank(P->z[lineStart - 1]))
			lineStart--;
		bStandalone = sigil != 0 && sigil != '&' && sigil != '{' &&
			      (lineStart == 0 || P->z[lineStart - 1] == '\n') && lineStart >= P->pos;
		after = tagEnd;
		if (bStandalone) {
			while (after < P->n && is_blank(P->z[after]))
				after++;
			if (after < P->n && P->z[after] == '\n')
				after++;
			else if (after + 1 < P->n && P->z[after] == '\r' && P->z[after + 1] == '\n')
				after += 2;
			else if (after < P->n)
				bStandalone = 0;
		}
		parser_add_text(P, pList, P->pos, bStandalone ? lineStart : open);
		P->pos = bStandalone ? after : tagEnd;

		if (sigil != '!' && sigil != '=') {
			while (nName > 0 && is_space(zName[0])) {
				zName++;
				nName--;
			}
			while (nName > 0 && is_space(zName[nName - 1]))
				nName--;
		}
		switch (sigil) {
		case '!':
			if (bStandalone)
				P->bAtLineStart = 1;
			break;
		case '=':
			if (parser_change_delims(P, zName, nName, iLine))
				return -1;
			if (bStandalone)
				P->bAtLineStart = 1;
			break;
		case '/':
			if (!pSection) {
				tpl_error(P->zErr, P->nErr,
					  "template '%s' line %d: closing tag '%.*s' without an open "
					  "section",
					  P->zName, iLine, (int)nName, zName);
				return -1;
			}
			if (nName != pSection->n || memcmp(zName, pSection->z, nName) != 0) {
				tpl_error(P->zErr, P->nErr,
					  "template '%s' line %d: closing tag '%.*s' does not match "
					  "section '%s' opened on line %d",
					  P->zName, iLine, (int)nName, zName, pSection->z,
					  pSection->iLine);
				return -1;
			}
			if (!bStandalone)
				pSection->bCloseLineStart = (unsigned char)P->bAtLineStart;
			P->bAtLineStart = bStandalone;
			return 0;
		case '#':
		case '^': {
			TplNode *pNode = list_append(pList, sigil == '#' ? TPL_SECTION : TPL_INVERTED);
			int rc;
			pNode->iLine = iLine;
			pNode->bLineStart = (unsigned char)(!bStandalone && P->bAtLineStart);
			P->bAtLineStart = bStandalone;
			if (parser_set_name(P, pNode, zName, nName, 0))
				return -1;
			if (P->nDepth >= TPL_MAX_NESTING) {
				tpl_error(P->zErr, P->nErr,
					  "template '%s' line %d: sections nested deeper than %d",
					  P->zName, iLine, TPL_MAX_NESTING);
				return -1;
			}
			P->nDepth++;
			rc = parser_parse_list(P, &pNode->children, pNode);
			P->nDepth--;
			if (rc)
				return -1;
			break;
		}
		case '>': {
			TplNode *pNode = list_append(pList, TPL_PARTIAL);
			pNode->iLine = iLine;
			pNode->bStandalone = (unsigned char)bStandalone;
			pNode->bLineStart = (unsigned char)(!bStandalone && P->bAtLineStart);
			if (bStandalone)
				pNode->zIndent = xstrndup(P->z + lineStart, open - lineStart);
			P->bAtLineStart = bStandalone;
			if (parser_set_name(P, pNode, zName, nName, 1))
				return -1;
			break;
		}
		default: {
			TplNode *pNode = list_append(pList, sigil == 0 ? TPL_ESCAPED : TPL_RAW);
			pNode->iLine = iLine;
			pNode->bLineStart = (unsigned char)P->bAtLineStart;
			P->bAtLineStart = 0;
			if (parser_set_name(P, pNode, zName, nName, 0))
				return -1;
			break;
		}
		}
	}
}

/* ------------------------------------------------------------------ */
/* Sets                                                                */

TplSet *tpl_set_new(void)
{
	return xcalloc(1, sizeof(TplSet));
}

void tpl_set_free(TplSet *pSet)
{
	int i;
	if (!pSet)
		return;
	for (i = 0; i < pSet->n; i++) {
		free(pSet->a[i].zName);
		list_free(&pSet->a[i].nodes);
	}
	free(pSet->a);
	free(pSet);
}

/*
 * Binary search for zName. Returns its index when found; otherwise -1 and
 * *piInsert (if given) is where it would go.
 */
static int set_find(const TplSet *pSet, const char *zName, int *piInsert)
{
	int lo = 0, hi = pSet->n;
	while (lo < hi) {
		int mid = lo + (hi - lo) / 2;
		int c = strcmp(zName, pSet->a[mid].zName);
		if (c == 0)
			return mid;
		if (c < 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	if (piInsert)
		*piInsert = lo;
	return -1;
}

int tpl_set_add(TplSet *pSet, const char *zName, const char *zSource, char *zErr, size_t nErr)
{
	Parser P;
	TplList nodes = {NULL, 0, 0};
	int iInsert = 0;
	int rc = -1;

	if (!zName || !zName[0]) {
		tpl_error(zErr, nErr, "template name is empty");
		goto out;
	}
	if (set_find(pSet, zName, &iInsert) >= 0) {
		tpl_error(zErr, nErr, "template '%s' is already defined", zName);
		goto out;
	}
	memset(&P, 0, sizeof(P));
	P.zName = zName;
	P.z = zSource;
	P.n = strlen(zSource);
	P.bAtLineStart = 1;
	P.iLineCounted = 1;
	P.zErr = zErr;
	P.nErr = nErr;
	parser_set_delims(&P, "{{", 2, "}}", 2);
	if (parser_parse_list(&P, &nodes, NULL))
		goto out;

	if (pSet->n == pSet->nAlloc) {
		pSet->nAlloc = pSet->nAlloc ? pSet->nAlloc * 2 : 16;
		pSet->a = xrealloc(pSet->a, (size_t)pSet->nAlloc * sizeof(Template));
	}
	memmove(&pSet->a[iInsert + 1], &pSet->a[iInsert],
		(size_t)(pSet->n - iInsert) * sizeof(Template));
	pSet->a[iInsert].zName = xstrdup(zName);
	pSet->a[iInsert].nodes = nodes;
	pSet->n++;
	nodes.a = NULL; /* now owned by the set */
	nodes.n = nodes.nAlloc = 0;
	rc = 0;
out:
	list_free(&nodes);
	return rc;
}

/*
 * Read the whole file zPath into pOut as text. 0, or -1 with a message when
 * it cannot be read, is too large or holds a NUL byte.
 */
static int read_template_file(const char *zPath, Buf *pOut, char *zErr, size_t nErr)
{
	FILE *f = fopen(zPath, "rb");
	char aChunk[8192];
	size_t nRead;
	int rc = -1;
	if (!f) {
		tpl_error(zErr, nErr, "cannot open template %s: %s", zPath, strerror(errno));
		return -1;
	}
	while ((nRead = fread(aChunk, 1, sizeof(aChunk), f)) > 0) {
		if (pOut->n + nRead > TPL_MAX_FILE_BYTES) {
			tpl_error(zErr, nErr, "template %s is larger than %d bytes", zPath,
				  TPL_MAX_FILE_BYTES);
			goto out;
		}
		buf_append(pOut, aChunk, nRead);
	}
	if (ferror(f)) {
		tpl_error(zErr, nErr, "cannot read template %s", zPath);
		goto out;
	}
	if (pOut->n && memchr(pOut->z, 0, pOut->n)) {
		tpl_error(zErr, nErr, "template %s contains a NUL byte", zPath);
		goto out;
	}
	rc = 0;
out:
	fclose(f);
	return rc;
}

int tpl_set_load_dir(TplSet *pSet, const char *zDir, char *zErr, size_t nErr)
{
	static const char zExt[] = ".mustache";
	const size_t nExt = sizeof(zExt) - 1;
	DIR *pDir = opendir(zDir);
	struct dirent *pEnt;
	Buf path = BUF_INIT, source = BUF_INIT;
	char *zName = NULL;
	int rc = -1;

	if (!pDir) {
		tpl_error(zErr, nErr, "cannot open template folder %s: %s", zDir, strerror(errno));
		return -1;
	}
	while ((pEnt = readdir(pDir)) != NULL) {
		size_t nFile = strlen(pEnt->d_name);
		struct stat st;
		char zSub[512];
		if (pEnt->d_name[0] == '.' || nFile <= nExt ||
		    strcmp(pEnt->d_name + nFile - nExt, zExt) != 0)
			continue;
		buf_reset(&path);
		buf_printf(&path, "%s/%s", zDir, pEnt->d_name);
		if (stat(path.z, &st) != 0 || !S_ISREG(st.st_mode))
			continue;
		buf_reset(&source);
		if (read_template_file(path.z, &source, zErr, nErr))
			goto out;
		free(zName);
		zName = xstrndup(pEnt->d_name, nFile - nExt);
		if (tpl_set_add(pSet, zName, buf_str(&source), zSub, sizeof(zSub))) {
			tpl_error(zErr, nErr, "%s: %s", path.z, zSub);
			goto out;
		}
	}
	rc = 0;
out:
	closedir(pDir);
	free(zName);
	buf_free(&path);
	buf_free(&source);
	return rc;
}

/* Check one node list for partials missing from pSet (see tpl_set_check_partials). */
static int check_list(const TplSet *pSet, const char *zTemplate, const TplList *pList, char *zErr,
		      size_t nErr)
{
	int i;
	for (i = 0; i < pList->n; i++) {
		const TplNode *p = &pList->a[i];
		if (p->eKind == TPL_PARTIAL && set_find(pSet, p->z, NULL) < 0) {
			tpl_error(zErr, nErr, "template '%s' line %d: partial '%s' does not exist",
				  zTemplate, p->iLine, p->z);
			return -1;
		}
		if (check_list(pSet, zTemplate, &p->children, zErr, nErr))
			return -1;
	}
	return 0;
}

int tpl_set_check_partials(const TplSet *pSet, char *zErr, size_t nErr)
{
	int i;
	for (i = 0; i < pSet->n; i++) {
		if (check_list(pSet, pSet->a[i].zName, &pSet->a[i].nodes, zErr, nErr))
			return -1;
	}
	return 0;
}

/* ------------------------------------------------------------------ */
/* Renderer                                                            */

typedef struct Render {
	const TplSet *pSet;
	Buf *pOut;
	json_t *aStack[TPL_MAX_RENDER_DEPTH + 2]; /* context stack, root first */
	int nStack;
	Buf indent;      /* concatenated indentation of the standalone partials entered */
	size_t iIndent;  /* the indentation in effect is indent.z[iIndent, indent.n) */
	int nDepth;      /* sections + partials being rendered */
	int nPartial;    /* partials being rendered */
	char *zErr;
	size_t nErr;
} Render;

static int render_list(Render *R, const TplList *pList);

/* Emit the indentation in effect (nothing outside indented partials). */
static void render_indent(Render *R)
{
	if (R->indent.n > R->iIndent)
		buf_append(R->pOut, R->indent.z + R->iIndent, R->indent.n - R->iIndent);
}

/* Resolve a (dotted) name against the context stack; NULL when it misses. */
static json_t *render_lookup(const Render *R, const TplNode *pNode)
{
	json_t *pVal = NULL;
	int i, k;
	if (pNode->nPart == 0)
		return R->nStack ? R->aStack[R->nStack - 1] : NULL;
	for (i = R->nStack - 1; i >= 0 && !pVal; i--) {
		if (json_is_object(R->aStack[i]))
			pVal = json_object_get(R->aStack[i], pNode->azPart[0]);
	}
	for (k = 1; k < pNode->nPart && pVal; k++)
		pVal = json_is_object(pVal) ? json_object_get(pVal, pNode->azPart[k]) : NULL;
	return pVal;
}

/* Falsey: missing, null, false, [] and "". Everything else is truthy. */
static int value_is_truthy(const json_t *pVal)
{
	if (!pVal || json_is_null(pVal) || json_is_false(pVal))
		return 0;
	if (json_is_array(pVal))
		return json_array_size(pVal) > 0;
	if (json_is_string(pVal))
		return json_string_length(pVal) > 0;
	return 1;
}

/* Append a scalar value as text, HTML-escaped when bEscape. */
static void render_value(Render *R, const json_t *pVal, int bEscape)
{
	char zNum[40];
	const char *z;
	size_t n;
	switch (pVal ? json_typeof(pVal) : JSON_NULL) {
	case JSON_STRING:
		z = json_string_value(pVal);
		n = json_string_length(pVal);
		break;
	case JSON_INTEGER:
		n = (size_t)snprintf(zNum, sizeof(zNum), "%" JSON_INTEGER_FORMAT,
				     json_integer_value(pVal));
		z = zNum;
		break;
	case JSON_REAL: {
		/* Shortest form that reads back as the same double: 1.21, not 1.2100000000000000. */
		double d = json_real_value(pVal);
		n = (size_t)snprintf(zNum, sizeof(zNum), "%.15g", d);
		if (strtod(zNum, NULL) != d)
			n = (size_t)snprintf(zNum, sizeof(zNum), "%.17g", d);
		z = zNum;
		break;
	}
	case JSON_TRUE:
		z = "true";
		n = 4;
		break;
	case JSON_FALSE:
		z = "false";
		n = 5;
		break;
	default: /* null, objects and arrays render as nothing */
		return;
	}
	if (bEscape)
		buf_html_escape(R->pOut, z, n);
	else
		buf_append(R->pOut, z, n);
}

/* Append text, indenting every line that starts inside it. */
static void render_text(Render *R, const TplNode *pNode)
{
	size_t i, start = 0;
	if (R->indent.n == R->iIndent) {
		buf_append(R->pOut, pNode->z, pNode->n);
		return;
	}
	for (i = 0; i + 1 < pNode->n; i++) {
		if (pNode->z[i] == '\n') {
			buf_append(R->pOut, pNode->z + start, i + 1 - start);
			render_indent(R);
			start = i + 1;
		}
	}
	buf_append(R->pOut, pNode->z + start, pNode->n - start);
}

/* Render a section's children once with pCtx pushed (NULL: push nothing). */
static int render_section_pass(Render *R, const TplNode *pNode, json_t *pCtx)
{
	int rc;
	if (pCtx)
		R->aStack[R->nStack++] = pCtx;
	rc = render_list(R, &pNode->children);
	if (pNode->bCloseLineStart)
		render_indent(R);
	if (pCtx)
		R->nStack--;
	return rc;
}

/* Render a section (each list element, or once if truthy) or an inverted section (once if falsey). */
static int render_section(Render *R, const TplNode *pNode)
{
	json_t *pVal = render_lookup(R, pNode);
	int bTruthy = value_is_truthy(pVal);
	size_t i;
	if (pNode->eKind == TPL_INVERTED)
		return bTruthy ? 0 : render_section_pass(R, pNode, NULL);
	if (!bTruthy)
		return 0;
	if (!json_is_array(pVal))
		return render_section_pass(R, pNode, pVal);
	for (i = 0; i < json_array_size(pVal); i++) {
		if (render_section_pass(R, pNode, json_array_get(pVal, i)))
			return -1;
	}
	return 0;
}

/*
 * Render the partial named by pNode in the current context, indented when its
 * tag stood alone; a missing partial renders nothing. 0, or -1 past the depth limit.
 */
static int render_partial(Render *R, const TplNode *pNode)
{
	int iTemplate = set_find(R->pSet, pNode->z, NULL);
	size_t nSavedIndent = R->indent.n, iSavedIndent = R->iIndent;
	int rc;
	if (iTemplate < 0)
		return 0; /* the specification: a missing partial renders as nothing */
	if (R->nPartial >= TPL_MAX_PARTIAL_DEPTH) {
		tpl_error(R->zErr, R->nErr,
			  "partials nested deeper than %d (at partial '%s' on line %d)",
			  TPL_MAX_PARTIAL_DEPTH, pNode->z, pNode->iLine);
		return -1;
	}
	if (pNode->bStandalone)
		buf_puts(&R->indent, pNode->zIndent);
	else
		R->iIndent = R->indent.n; /* an inline partial is not indented */
	R->nPartial++;
	rc = render_list(R, &R->pSet->a[iTemplate].nodes);
	R->nPartial--;
	R->indent.n = nSavedIndent;
	if (R->indent.z)
		R->indent.z[nSavedIndent] = 0;
	R->iIndent = iSavedIndent;
	return rc;
}

/* Render every node of pList into R->pOut. 0, or -1 with a message past the depth limit. */
static int render_list(Render *R, const TplList *pList)
{
	int i, rc = 0;
	if (R->nDepth >= TPL_MAX_RENDER_DEPTH) {
		tpl_error(R->zErr, R->nErr, "sections and partials nested deeper than %d",
			  TPL_MAX_RENDER_DEPTH);
		return -1;
	}
	R->nDepth++;
	for (i = 0; i < pList->n && rc == 0; i++) {
		const TplNode *pNode = &pList->a[i];
		if (pNode->bLineStart)
			render_indent(R);
		switch (pNode->eKind) {
		case TPL_TEXT:
			render_text(R, pNode);
			break;
		case TPL_ESCAPED:
		case TPL_RAW:
			render_value(R, render_lookup(R, pNode), pNode->eKind == TPL_ESCAPED);
			break;
		case TPL_SECTION:
		case TPL_INVERTED:
			rc = render_section(R, pNode);
			break;
		case TPL_PARTIAL:
			rc = render_partial(R, pNode);
			break;
		}
	}
	R->nDepth--;
	return rc;
}

int tpl_render(const TplSet *pSet, const char *zName, json_t *pCtx, Buf *pOut, char *zErr,
	       size_t nErr)
{
	Render R;
	int iTemplate = set_find(pSet, zName, NULL);
	int rc;
	if (iTemplate < 0) {
		tpl_error(zErr, nErr, "unknown template '%s'", zName);
		return -1;
	}
	memset(&R, 0, sizeof(R));
	R.pSet = pSet;
	R.pOut = pOut;
	R.zErr = zErr;
	R.nErr = nErr;
	buf_init(&R.indent);
	if (pCtx)
		R.aStack[R.nStack++] = pCtx;
	rc = render_list(&R, &pSet->a[iTemplate].nodes);
	buf_free(&R.indent);
	return rc;
}
