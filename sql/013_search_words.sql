-- Full-text search finds words inside URLs, hosts, emails, paths and dotted identifiers.
-- PostgreSQL's parser keeps "https://api.payments.example.com/v1" as a few tokens, so a search
-- for "payments" missed it, while the live stream, which splits on punctuation, found it. The
-- stored vector now holds the words split on punctuation, by the same rules as the server's
-- live matcher (server/query/words.ts, which holds the same separator class):
--   * a word is a run of characters that are not separators: ASCII punctuation, whitespace and
--     controls (every ASCII character but letters, digits and _), and the Unicode blocks of
--     spaces, punctuation, arrows, symbols and emoji in the class below;
--   * only ASCII letters are folded to lower case (lower() under COLLATE "C"), so the words are
--     the same whatever the database's locale, and the functions are truly immutable;
--   * the first 100,000 characters of a message are read (a tsvector holds at most 1 MB), and
--     words of 2,048 bytes or more are left out (the longest lexeme PostgreSQL takes).
-- The vector has no positions: a phrase is found by the vector (every word present) and
-- checked on platform_log_search_text(message) with a regular expression (server/query/sql.ts).

-- Both functions are single expressions, not STRICT, so that PostgreSQL inlines them into the
-- generated column and into queries (a SQL function that is not inlined costs more than the work).
CREATE FUNCTION platform_log_search_text(p_message text) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE
RETURN lower(left(p_message, 100000) COLLATE "C");

-- The words of a long text, leaving out those PostgreSQL cannot hold as lexemes.
CREATE FUNCTION platform_log_search_words_of_long(p_message text) RETURNS tsvector
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
  SELECT coalesce(array_to_tsvector(array_agg(w)), ''::tsvector)
  FROM regexp_split_to_table(platform_log_search_text(p_message), '[\u0001-\u002f\u003a-\u0040\u005b-\u005e\u0060\u007b-\u00bf\u00d7\u00f7\u1680\u2000-\u206f\u2190-\u2bff\u2e00-\u2e7f\u3000-\u303f\ufe10-\ufe1f\ufe30-\ufe6f\ufeff\uff00-\uff0f\uff1a-\uff20\uff3b-\uff40\uff5b-\uff65\ufff0-\uffff\U0001f000-\U0001faff]+') AS w
  WHERE w <> '' AND octet_length(w) < 2048
$$;

CREATE FUNCTION platform_log_search_vector(p_message text) RETURNS tsvector
LANGUAGE sql IMMUTABLE PARALLEL SAFE
RETURN CASE
  -- no word of a text this short can reach the lexeme limit, nor the text 100,000 characters
  WHEN octet_length(p_message) < 2048
    THEN array_to_tsvector(array_remove(regexp_split_to_array(lower(p_message COLLATE "C"), '[\u0001-\u002f\u003a-\u0040\u005b-\u005e\u0060\u007b-\u00bf\u00d7\u00f7\u1680\u2000-\u206f\u2190-\u2bff\u2e00-\u2e7f\u3000-\u303f\ufe10-\ufe1f\ufe30-\ufe6f\ufeff\uff00-\uff0f\uff1a-\uff20\uff3b-\uff40\uff5b-\uff65\ufff0-\uffff\U0001f000-\U0001faff]+'), ''))
  ELSE platform_log_search_words_of_long(p_message)
END;

ALTER TABLE platform_logs DROP COLUMN search;
ALTER TABLE platform_logs ADD COLUMN search tsvector GENERATED ALWAYS AS (platform_log_search_vector(message)) STORED;
CREATE INDEX platform_logs_search_idx ON platform_logs USING gin (search);
