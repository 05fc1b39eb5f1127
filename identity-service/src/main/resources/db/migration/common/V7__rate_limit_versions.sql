-- The configuration version of each named rate limit's settings (bucket4j's implicit configuration replacement): a
-- stored bucket of a lower version takes the settings of the instance that asks with a higher one. bucket4j replaces
-- only upwards, so the settings are numbered here rather than hashed: the same settings keep their number, other
-- settings get the next one.
CREATE TABLE rate_limit_versions (
    name        VARCHAR(64)  PRIMARY KEY,
    fingerprint VARCHAR(512) NOT NULL,
    version     BIGINT       NOT NULL
);
