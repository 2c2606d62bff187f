# make check-package   the Debian package: built with dpkg-buildpackage in
#                      a copy of the tree, lintian, hardening-check, then
#                      installed, used and purged in fresh Debian 12 and 13
#                      trees (mmdebstrap; cached in /var/cache/tcpquota-check).
#                      As root; installs what it needs.  See
#                      tests/package/check-package.sh.
.PHONY: check-package
check-package:
	@tests/lib/deps.sh $$(tests/package/check-package.sh --host-deps)
	@tests/package/check-package.sh
