-- 002-audit.sql - changes of balances (tcptab) and of the allowed list
-- made with plain SQL leave a trace: triggers write each to logging with
-- the session's account and host, USER() ("tcpquota_admin@localhost",
-- "root@localhost"; inside a trigger CURRENT_USER() would name the
-- trigger's definer), and what changed, ending in "by SQL":
--   set NAME QUOTA (new user) by SQL      a row inserted into tcptab
--   set NAME QUOTA (was OLD) by SQL       a balance changed
--   rename OLD to NEW by SQL              a tcptab row renamed
--   delete NAME (was QUOTA) by SQL        a tcptab row deleted
--   allow NAME by SQL / deny NAME by SQL  allowed rows inserted, deleted
--                                         (a rename is a deny and an
--                                         allow)
-- The second word is the user, as in the tools' rows, so "tcpquota log
-- NAME" shows these too.
--
-- Not written (audit_exempt()):
--   - the daemon's debits: a session of an account that may record polls
--     (INSERT granted on poll_applied table by table, as grants.sql grants
--     the daemon's account; nobody else records polls);
--   - the tcpquota tool's own changes: it writes its own row with the
--     real user in the same transaction, and sets @tcpquota_logged for
--     that transaction.  (A session that sets it by hand hides its
--     changes: the triggers are a trace of careless SQL, not a lock
--     against an administrator.)
--
-- Galera: one statement per trigger and function (no DELIMITER), the
-- only write is the INSERT into logging (InnoDB); reading
-- mysql.tables_priv writes nothing.  Re-runnable (CREATE OR REPLACE).

CREATE OR REPLACE FUNCTION audit_exempt() RETURNS BOOLEAN
	NOT DETERMINISTIC READS SQL DATA
	RETURN @tcpquota_logged IS NOT NULL OR EXISTS (
		SELECT 1 FROM mysql.tables_priv p
		WHERE p.User = SUBSTRING_INDEX(USER(), '@', 1)
		AND p.Db = DATABASE() AND p.Table_name = 'poll_applied'
		AND FIND_IN_SET('Insert', p.Table_priv) > 0);

CREATE OR REPLACE TRIGGER tcptab_audit_insert AFTER INSERT ON tcptab
	FOR EACH ROW
	INSERT INTO logging (`when`, user, action)
	SELECT NOW(), LEFT(USER(), 64),
		CONCAT('set ', NEW.name, ' ', NEW.quota, ' (new user) by SQL')
	FROM DUAL WHERE NOT audit_exempt();

CREATE OR REPLACE TRIGGER tcptab_audit_update AFTER UPDATE ON tcptab
	FOR EACH ROW
	INSERT INTO logging (`when`, user, action)
	SELECT NOW(), LEFT(USER(), 64), c.action FROM (
		SELECT 1 AS k, CONCAT('rename ', OLD.name, ' to ', NEW.name,
			' by SQL') AS action
		FROM DUAL WHERE NEW.name <> OLD.name
		UNION ALL
		SELECT 2, CONCAT('set ', NEW.name, ' ', NEW.quota, ' (was ',
			OLD.quota, ') by SQL')
		FROM DUAL WHERE NEW.quota <> OLD.quota) AS c
	WHERE NOT audit_exempt() ORDER BY c.k;

CREATE OR REPLACE TRIGGER tcptab_audit_delete AFTER DELETE ON tcptab
	FOR EACH ROW
	INSERT INTO logging (`when`, user, action)
	SELECT NOW(), LEFT(USER(), 64),
		CONCAT('delete ', OLD.name, ' (was ', OLD.quota, ') by SQL')
	FROM DUAL WHERE NOT audit_exempt();

CREATE OR REPLACE TRIGGER allowed_audit_insert AFTER INSERT ON allowed
	FOR EACH ROW
	INSERT INTO logging (`when`, user, action)
	SELECT NOW(), LEFT(USER(), 64), CONCAT('allow ', NEW.name, ' by SQL')
	FROM DUAL WHERE NOT audit_exempt();

CREATE OR REPLACE TRIGGER allowed_audit_update AFTER UPDATE ON allowed
	FOR EACH ROW
	INSERT INTO logging (`when`, user, action)
	SELECT NOW(), LEFT(USER(), 64), c.action FROM (
		SELECT 1 AS k, CONCAT('deny ', OLD.name, ' by SQL') AS action
		UNION ALL
		SELECT 2, CONCAT('allow ', NEW.name, ' by SQL')) AS c
	WHERE NEW.name <> OLD.name AND NOT audit_exempt() ORDER BY c.k;

CREATE OR REPLACE TRIGGER allowed_audit_delete AFTER DELETE ON allowed
	FOR EACH ROW
	INSERT INTO logging (`when`, user, action)
	SELECT NOW(), LEFT(USER(), 64), CONCAT('deny ', OLD.name, ' by SQL')
	FROM DUAL WHERE NOT audit_exempt();
