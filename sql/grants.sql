-- grants.sql - what each of tcpquota's three accounts may do.
--
-- The accounts themselves (and their passwords) are created by the set-up
-- script (scripts/tcpquota-setup-db, tests/lib/mariadb-setup.sh) before
-- this file runs; it holds no password.  The names here are the defaults;
-- the set-up script rewrites 'tcpquotad'@, 'tcpquota_tool'@,
-- 'tcpquota_admin'@ and " tcpquota." to the configured ones.  Run it after
-- the migrations: table-level grants need the tables.
--
-- Least privilege: a column or table an account does not name below is
-- out of its reach (no DROP, ALTER, FILE, no other database).

-- The daemon: reads users, debits (tcptab: INSERT ... ON DUPLICATE KEY
-- UPDATE for users missing from it), answers and expires masq rows (it
-- never creates one), adds to the period, records applied polls and the
-- per-day history.
GRANT SELECT ON tcpquota.allowed TO 'tcpquotad'@'localhost';
GRANT SELECT, INSERT, UPDATE ON tcpquota.tcptab TO 'tcpquotad'@'localhost';
GRANT SELECT, UPDATE, DELETE ON tcpquota.masq TO 'tcpquotad'@'localhost';
GRANT SELECT, INSERT, UPDATE ON tcpquota.periodtab TO 'tcpquotad'@'localhost';
GRANT SELECT, INSERT, DELETE ON tcpquota.poll_applied TO 'tcpquotad'@'localhost';
GRANT SELECT, INSERT, UPDATE ON tcpquota.debits TO 'tcpquotad'@'localhost';

-- The users' tools (openhost, tcpquota status) and tcpquota-portal: read
-- balances and the allowed list, ask for their host to be opened or
-- closed; the portal reads the debit history for its usage chart and
-- adds the rows of its teachers' room actions to logging_openfw (INSERT
-- only, as openfw does with the admins' account: the portal, like
-- openfw, lets only quota.admin_group open a room).  They cannot change
-- a balance, the allowed list or any log row.  The set-up
-- script also limits the connections this account may hold at once
-- (ALTER USER ... WITH MAX_USER_CONNECTIONS, below the server's
-- max_connections: --tool-connections), so that many users' tools cannot
-- lock the daemon and the admins out of the server.
GRANT SELECT ON tcpquota.tcptab TO 'tcpquota_tool'@'localhost';
GRANT SELECT ON tcpquota.allowed TO 'tcpquota_tool'@'localhost';
GRANT SELECT, INSERT, UPDATE, DELETE ON tcpquota.masq
	TO 'tcpquota_tool'@'localhost';
GRANT SELECT ON tcpquota.debits TO 'tcpquota_tool'@'localhost';
GRANT INSERT ON tcpquota.logging_openfw TO 'tcpquota_tool'@'localhost';

-- Admins and teachers (tcpquota admin verbs, openfw): balances, the allowed
-- list, periods, both logs (insert and read), masq rows of any host.
-- No DELETE on tcptab (a user is turned off with "deny", points kept) and
-- no UPDATE or DELETE on the logs (they are the audit trail).
GRANT SELECT, INSERT, UPDATE ON tcpquota.tcptab TO 'tcpquota_admin'@'localhost';
GRANT SELECT, INSERT, DELETE ON tcpquota.allowed
	TO 'tcpquota_admin'@'localhost';
GRANT SELECT, INSERT, UPDATE, DELETE ON tcpquota.masq
	TO 'tcpquota_admin'@'localhost';
GRANT SELECT, INSERT ON tcpquota.periodtab TO 'tcpquota_admin'@'localhost';
GRANT SELECT, INSERT ON tcpquota.logging TO 'tcpquota_admin'@'localhost';
GRANT SELECT, INSERT ON tcpquota.logging_openfw
	TO 'tcpquota_admin'@'localhost';
GRANT SELECT ON tcpquota.debits TO 'tcpquota_admin'@'localhost';
