-- 003-portal.sql - what the web portal (tcpquota-portal) needs in masq.
-- Nothing is renamed; rows of the shell tools keep NULL in both columns.
--
-- mac: the device's link-layer address, lower case with colons
--   ("02:00:5e:10:00:01"), as the gateway's neighbour table held it for
--   host when the row was requested; NULL where unknown (openhost and
--   openfw rows, a host behind a router).  A device is its MAC with all
--   its addresses: the daemon may open every address the neighbour table
--   maps to the mac of an opened row (the IPv4 and IPv6 ones, privacy
--   addresses that appear later) and close them with it; with
--   network.bind_mac they stay bound to this MAC.  The key on
--   (gateway, mac) finds a device's rows.
-- via: who wrote the row: NULL for openhost and openfw (free tells which),
--   'portal' for tcpquota-portal.  A portal row stays open while its
--   device carries traffic and closes after portal.idle_timeout without
--   any, instead of living by a heartbeat of its owner.
ALTER TABLE masq
	ADD COLUMN IF NOT EXISTS mac CHAR(17) CHARACTER SET ascii
		COLLATE ascii_bin NULL DEFAULT NULL,
	ADD COLUMN IF NOT EXISTS via VARCHAR(16) CHARACTER SET ascii
		COLLATE ascii_bin NULL DEFAULT NULL,
	ADD KEY IF NOT EXISTS masq_mac (gateway, mac);
