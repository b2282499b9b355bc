-- Run by the sqlite3 shell inside OSv (scripts/osv-build.sh puts it at /tailor/test.sql), on an
-- in-memory database. Deterministic output, compared between a generic and a tailored kernel.
.mode list
CREATE TABLE t(id INTEGER PRIMARY KEY, name TEXT, score REAL);
WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 200)
  INSERT INTO t(name, score) SELECT printf('row%03d', i), (i * 37) % 101 / 3.0 FROM n;
CREATE INDEX t_score ON t(score);
SELECT 'count', count(*), sum(score), printf('%.4f', avg(score)) FROM t;
SELECT 'top', name, printf('%.3f', score) FROM t ORDER BY score DESC, id LIMIT 3;
SELECT 'group', id % 5, count(*), printf('%.2f', max(score)) FROM t GROUP BY id % 5 ORDER BY 2;
SELECT 'strings', upper('osv'), length('tailor'), substr('unikernel', 3, 4), replace('a-b-c', '-', '+');
SELECT 'math', abs(-42), round(2.71828, 3), 7 / 2, 7 % 3, typeof(1.5), hex('OK');
SELECT 'json', json_object('a', 1, 'b', json_array(2, 3));
SELECT 'date', date('2000-01-01', '+1 month', '+3 days'), strftime('%j', '2024-12-31');
SELECT 'sqlite on OSv: done';
