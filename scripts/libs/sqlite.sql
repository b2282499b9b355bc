-- Functional test of sqlite's shell and library: FTS5, FTS4, JSON, window functions,
-- recursive CTEs, triggers, indexes, and (from sqlite.sh) .dump. Deterministic output only.
.headers on
.mode list
SELECT sqlite_compileoption_used('ENABLE_FTS5') AS fts5,
       sqlite_compileoption_used('ENABLE_FTS4') AS fts4,
       json_valid('{}') AS json;

CREATE TABLE author(id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE, born INT);
CREATE TABLE book(id INTEGER PRIMARY KEY, author INT REFERENCES author(id), title TEXT,
                  year INT, meta TEXT CHECK (json_valid(meta)));
CREATE INDEX book_year ON book(year);
CREATE TABLE log(msg TEXT);
CREATE TRIGGER book_added AFTER INSERT ON book BEGIN
  INSERT INTO log VALUES ('added ' || new.title);
END;
INSERT INTO author(name, born) VALUES ('Kernighan', 1942), ('Ritchie', 1941),
  ('Knuth', 1938), ('Lamport', 1941);
INSERT INTO book(author, title, year, meta) VALUES
  (1, 'The C Programming Language', 1978, '{"pages":228,"tags":["c","classic"],"isbn":"0-13-110163-3"}'),
  (3, 'The Art of Computer Programming', 1968, '{"pages":672,"tags":["algorithms","classic"],"volumes":[1,2,3,4]}'),
  (4, 'LaTeX: A Document Preparation System', 1986, '{"pages":242,"tags":["typesetting"]}'),
  (1, 'The Practice of Programming', 1999, '{"pages":288,"tags":["c","style"],"coauthor":"Pike"}'),
  (3, 'Literate Programming', 1992, '{"pages":368,"tags":["essays"]}');

-- JSON functions.
SELECT title, json_extract(meta, '$.pages') AS pages, meta ->> '$.tags[0]' AS first_tag,
       json_array_length(meta, '$.tags') AS ntags FROM book ORDER BY id;
SELECT json_object('title', title, 'year', year, 'tags', json(meta -> '$.tags')) FROM book ORDER BY year;
SELECT b.title, t.value FROM book b, json_each(b.meta, '$.tags') t WHERE t.value = 'classic' ORDER BY b.id;
SELECT fullkey, type, atom FROM json_tree('{"a":[1,2.5,{"b":null}],"c":true,"d":"x"}') ORDER BY id;
SELECT json_group_array(name) FROM (SELECT name FROM author ORDER BY name);
SELECT json_group_object(name, born) FROM author;
SELECT json_set(meta, '$.pages', 1, '$.new', json('[1,2]')), json_remove(meta, '$.tags'),
       json_insert('{}', '$.a', 1), json_replace('{"a":1}', '$.a', 'z'), json_patch('{"a":1,"b":2}', '{"b":null,"c":3}'),
       json_type(meta, '$.pages'), json_quote('a"b') FROM book WHERE id = 4;
SELECT json('  [1, 2 ,3]  '), json_valid('{bad}'), json_array(1, 'two', NULL, 3.5);

-- FTS5: MATCH, phrase and prefix queries, NEAR, column filters, bm25, highlight, snippet.
CREATE VIRTUAL TABLE doc USING fts5(title, body, tokenize = 'porter unicode61');
INSERT INTO doc(title, body) VALUES
  ('zlib', 'zlib is a general purpose data compression library using the deflate algorithm'),
  ('expat', 'expat is a stream oriented XML parser library written in C'),
  ('sqlite', 'SQLite is a C library implementing a small fast self contained SQL database engine'),
  ('libpng', 'libpng is the official PNG reference library, it depends on zlib for compression'),
  ('musl', 'musl is a C standard library for Linux, lightweight and fast');
SELECT title FROM doc WHERE doc MATCH 'library' ORDER BY rank, title;
SELECT title, highlight(doc, 1, '[', ']') FROM doc WHERE doc MATCH 'compress*' ORDER BY rank;
SELECT title, snippet(doc, 1, '<', '>', '...', 4) FROM doc WHERE doc MATCH '"C library"' ORDER BY title;
SELECT title FROM doc WHERE doc MATCH 'NEAR(fast small, 3)';
SELECT title FROM doc WHERE doc MATCH 'title:zlib OR title:musl' ORDER BY title;
SELECT title, round(bm25(doc), 4) FROM doc WHERE doc MATCH 'zlib' ORDER BY bm25(doc);
SELECT title FROM doc WHERE doc MATCH 'library NOT c' ORDER BY title;
INSERT INTO doc(doc) VALUES ('optimize');
INSERT INTO doc(doc) VALUES ('integrity-check');
CREATE VIRTUAL TABLE doc_vocab USING fts5vocab(doc, 'row');
SELECT term, doc, cnt FROM doc_vocab WHERE term LIKE 'c%' ORDER BY term;

-- FTS4: MATCH, offsets, matchinfo, snippet.
CREATE VIRTUAL TABLE note USING fts4(subject, content, tokenize=porter);
INSERT INTO note VALUES ('shopping', 'apples oranges and more apples'),
  ('work', 'finish the report about oranges'), ('home', 'fix the kitchen sink');
SELECT subject, offsets(note) FROM note WHERE note MATCH 'oranges' ORDER BY subject;
SELECT subject, hex(matchinfo(note)) FROM note WHERE note MATCH 'apple*' ORDER BY subject;
SELECT snippet(note, '[', ']', '...') FROM note WHERE note MATCH 'kitchen';
SELECT subject FROM note WHERE content MATCH 'the -report';
INSERT INTO note(note) VALUES ('optimize');

-- Window functions, recursive CTE, aggregates, upsert, strings and math.
SELECT a.name, b.year, rank() OVER (PARTITION BY a.id ORDER BY b.year) AS nth,
       sum(json_extract(b.meta, '$.pages')) OVER (ORDER BY b.year ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) AS running
  FROM book b JOIN author a ON a.id = b.author ORDER BY b.year;
WITH RECURSIVE fib(n, a, b) AS (SELECT 1, 0, 1 UNION ALL SELECT n + 1, b, a + b FROM fib WHERE n < 30)
  SELECT group_concat(a, ',') FROM fib;
SELECT printf('%08.3f|%-6s|%x', 3.14159, 'ab', 255), upper('straße'), substr('hello', 2, 3),
       replace('a-b-c', '-', '+'), instr('haystack', 'st'), hex(zeroblob(4)), length(x'00ff');
SELECT abs(-5), round(2.5), 7 / 2, 7 % 3, 1 << 10, typeof(1.0), coalesce(NULL, 'x'), iif(1, 'y', 'n');
INSERT INTO author(name, born) VALUES ('Knuth', 1939) ON CONFLICT(name) DO UPDATE SET born = excluded.born;
SELECT name, born FROM author ORDER BY born, name;
SELECT msg FROM log ORDER BY rowid;
EXPLAIN QUERY PLAN SELECT title FROM book WHERE year > 1980;
PRAGMA integrity_check;
PRAGMA foreign_key_check;

.mode json
SELECT id, title, year FROM book WHERE year < 1990 ORDER BY id;
.mode box
SELECT name, born FROM author ORDER BY id;
.mode insert copy
SELECT * FROM author ORDER BY id;
