# sql.mk - regenerate sql/schema.sql from the migrations.
.PHONY: schema
schema:
	sql/migrate.sh --print >sql/schema.sql.tmp && \
		mv sql/schema.sql.tmp sql/schema.sql
