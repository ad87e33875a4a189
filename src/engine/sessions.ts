// Session settings every Ferry connection uses, so that values travel in one known text form.
// Readers, writers, CDC decoders and verify all rely on these; conversion rules assume them.

/**
 * MySQL/MariaDB: UTC (TIMESTAMP values read and written in UTC), strict (a value that does not fit is an
 * error, never silently cut), zero dates allowed (they are data),
 * no backslash escapes in literals, explicit 0 stays 0 in auto-increment columns, utf8mb4 binary-safe.
 */
export const MYSQL_SESSION_SQL = [
  "SET time_zone = '+00:00'",
  "SET SESSION sql_mode = 'STRICT_ALL_TABLES,NO_AUTO_VALUE_ON_ZERO,NO_BACKSLASH_ESCAPES,NO_ENGINE_SUBSTITUTION'",
  'SET NAMES utf8mb4 COLLATE utf8mb4_bin',
  'SET SESSION group_concat_max_len = 67108864',
];

/**
 * PostgreSQL: ISO dates, UTC, shortest exact floats, hex bytea, ISO 8601 intervals — each an exact,
 * locale-independent text form.
 */
export const PG_SESSION_SQL = [
  "SET DateStyle = 'ISO, YMD'",
  "SET TimeZone = 'UTC'",
  "SET IntervalStyle = 'iso_8601'",
  'SET extra_float_digits = 3',
  "SET bytea_output = 'hex'",
  "SET client_encoding = 'UTF8'",
  'SET standard_conforming_strings = on',
];
