-- audit_log is now written by vigil-audit (io.vigil.audit.JdbcAuditSink): its shape, with the wider
-- columns and the indexes of the library's own migration (V1__vigil_audit_log.sql): actors and
-- resources of any service, and "everything request X / trace T did" by index.
ALTER TABLE audit_log ALTER COLUMN actor_id SET DATA TYPE VARCHAR(128);
ALTER TABLE audit_log ALTER COLUMN resource SET DATA TYPE VARCHAR(256);

CREATE INDEX audit_log_request_id ON audit_log (request_id);
CREATE INDEX audit_log_trace_id ON audit_log (trace_id);
