// Package batch takes raw usage in and turns it into stored events.
//
// An upload's files are kept compressed in the database, and its import job
// is queued in the same transaction, so no batch is ever without its job.
// The import job (kind "import") reads the raw files through the format's
// parser, prices and attributes each call, stores every call once whatever
// the order or number of imports that carry it, keeps the rejects, and
// refreshes the daily rollups it touched. The whole job runs in one
// transaction: a job killed midway leaves nothing behind, and its retry
// starts afresh.
package batch
