# Settings of the private test databases (sourced by start.sh, stop.sh and the test helpers).
export FERRY_DB_DIR=${FERRY_DB_DIR:-/tmp/ferry-db}
export FERRY_MYSQL_PORT=${FERRY_MYSQL_PORT:-33061}
export FERRY_PG_PORT=${FERRY_PG_PORT:-54331}
# Test-only credentials of throw-away servers on loopback.
export FERRY_MYSQL_PASSWORD=${FERRY_MYSQL_PASSWORD:-ferry-test-pw}
export FERRY_PG_PASSWORD=${FERRY_PG_PASSWORD:-ferry-test-pw}
