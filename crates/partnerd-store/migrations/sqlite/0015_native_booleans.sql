-- PostgreSQL's flags become BOOLEAN in this version. SQLite has no boolean type and
-- keeps them as 0/1 (reads and writes go through sqlx's bool), so nothing changes
-- here; the version exists so both trees stay numbered alike.
SELECT 1;
