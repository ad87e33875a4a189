# `source test/bench/env.sh`: points the test helpers (test/helpers/db.ts) and test/db/*.sh at the benchmark's
# server pair (Debian default settings) instead of the test servers, e.g. to profile by hand:
#   source test/bench/env.sh && bash test/db/start.sh && node --import tsx test/bench/run.ts --scale 0.1
export FERRY_DB_DIR=${FERRY_BENCH_DB_DIR:-/tmp/ferry-bench-db}
export FERRY_MYSQL_PORT=${FERRY_BENCH_MYSQL_PORT:-33081}
export FERRY_PG_PORT=${FERRY_BENCH_PG_PORT:-54351}
export FERRY_DB_PROFILE=debian
