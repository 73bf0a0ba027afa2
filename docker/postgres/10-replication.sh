#!/bin/sh
# Runs once, when the postgres container initializes its data folder: lets the
# postgres-replica service (docker-compose profile "replica") stream WAL with pg_basebackup.
set -e
echo "host replication all all scram-sha-256" >> "$PGDATA/pg_hba.conf"
