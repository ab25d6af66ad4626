/* runs.c — SQL for runs. */
#include "store/runs.h"

static const char zRunListRecent[] =
	"SELECT r.id, r.name, r.status, r.total_jobs, r.completed_jobs, r.failed_jobs,"
	" r.created_at, r.definition_id, d.name AS definition_name"
	" FROM runs r JOIN definitions d ON d.id = r.definition_id"
	" WHERE r.tenant_id = ?1 ORDER BY r.id DESC LIMIT ?2";

json_t *store_run_list_recent(Db *db, int64_t tenantId, int64_t limit)
{
	return db_query(db, zRunListRecent, "ii", tenantId, limit);
}
