-- 001-initial.sql - the tables of TCPQuota 1.6 (names and columns kept, so
-- the man page's queries work verbatim) plus keys, types, the gateway
-- column, the per-user debit history and the poll ids that make a replay
-- of the daemon's journal recognisable.
--
-- Names use utf8mb4_nopad_bin: compared byte for byte (after UTF-8), no
-- case folding, no trailing-space padding, so 'a%', 'A' and 'a ' are three
-- different users and an equality lookup is literal.

CREATE TABLE IF NOT EXISTS tcptab (
	name VARCHAR(64) CHARACTER SET utf8mb4 COLLATE utf8mb4_nopad_bin
		NOT NULL,
	quota BIGINT NOT NULL DEFAULT 0,
	PRIMARY KEY (name)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_nopad_bin;

CREATE TABLE IF NOT EXISTS allowed (
	name VARCHAR(64) CHARACTER SET utf8mb4 COLLATE utf8mb4_nopad_bin
		NOT NULL,
	PRIMARY KEY (name)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_nopad_bin;

-- One row per opened LAN host of one gateway.  open: tools write 2
-- (please open) or 3 (please close), the daemon answers 1 or 0.
CREATE TABLE IF NOT EXISTS masq (
	gateway VARCHAR(64) CHARACTER SET utf8mb4 COLLATE utf8mb4_nopad_bin
		NOT NULL DEFAULT 'gw1',
	host VARCHAR(63) CHARACTER SET utf8mb4 COLLATE utf8mb4_nopad_bin
		NOT NULL,
	name VARCHAR(64) CHARACTER SET utf8mb4 COLLATE utf8mb4_nopad_bin
		NOT NULL DEFAULT '',
	cnts INT NOT NULL DEFAULT 0,
	tic INT NOT NULL DEFAULT 0,
	counter BIGINT NOT NULL DEFAULT 0,
	`open` TINYINT NOT NULL DEFAULT 0,
	`free` TINYINT NOT NULL DEFAULT 0,
	opened_at DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
	updated_at DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP
		ON UPDATE CURRENT_TIMESTAMP,
	PRIMARY KEY (gateway, host),
	KEY masq_name (name),
	KEY masq_host (host)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_nopad_bin;

-- Seconds debited per accounting period; the daemon adds each poll's
-- total to the newest row (highest id).
CREATE TABLE IF NOT EXISTS periodtab (
	id INT UNSIGNED NOT NULL AUTO_INCREMENT,
	period DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
	quota BIGINT NOT NULL DEFAULT 0,
	PRIMARY KEY (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_nopad_bin;

CREATE TABLE IF NOT EXISTS logging (
	`when` DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
	user VARCHAR(64) CHARACTER SET utf8mb4 COLLATE utf8mb4_nopad_bin
		NOT NULL,
	action VARCHAR(1024) NOT NULL,
	KEY logging_when (`when`),
	KEY logging_user (user)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_nopad_bin;

CREATE TABLE IF NOT EXISTS logging_openfw (
	`when` DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
	user VARCHAR(64) CHARACTER SET utf8mb4 COLLATE utf8mb4_nopad_bin
		NOT NULL,
	action VARCHAR(1024) NOT NULL,
	KEY logging_openfw_when (`when`),
	KEY logging_openfw_user (user)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_nopad_bin;

-- Seconds debited per user and day (local time of the database server),
-- written in the same transaction as the debit itself.
CREATE TABLE IF NOT EXISTS debits (
	name VARCHAR(64) CHARACTER SET utf8mb4 COLLATE utf8mb4_nopad_bin
		NOT NULL,
	day DATE NOT NULL,
	seconds BIGINT NOT NULL DEFAULT 0,
	polls INT UNSIGNED NOT NULL DEFAULT 0,
	PRIMARY KEY (name, day),
	KEY debits_day (day)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_nopad_bin;

-- Every poll the daemon applied, by (gateway, id): a journal replay of a
-- poll that did commit is recognised here and skipped.
CREATE TABLE IF NOT EXISTS poll_applied (
	gateway VARCHAR(64) CHARACTER SET utf8mb4 COLLATE utf8mb4_nopad_bin
		NOT NULL,
	id BIGINT UNSIGNED NOT NULL,
	applied_at DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
	total BIGINT NOT NULL DEFAULT 0,
	PRIMARY KEY (gateway, id),
	KEY poll_applied_at (applied_at)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_nopad_bin;

-- The first accounting period starts when the database is created.
INSERT INTO periodtab (period, quota)
	SELECT NOW(), 0 FROM DUAL
	WHERE NOT EXISTS (SELECT 1 FROM periodtab);
