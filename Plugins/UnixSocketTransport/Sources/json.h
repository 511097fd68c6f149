/*
 * json.h — a small, strict JSON reader (RFC 8259) for one line at a time.
 *
 * It never allocates and never copies: json_parse validates a whole text and
 * returns the span of its value; the other functions walk spans of text that
 * json_parse has already validated. Values are handed on as their exact bytes,
 * so a request to the host is assembled from the client's own JSON.
 */
#ifndef UST_JSON_H
#define UST_JSON_H

#include <stddef.h>
#include <stdint.h>

typedef enum json_type {
    JSON_NULL,
    JSON_BOOL,
    JSON_NUMBER,
    JSON_STRING,
    JSON_ARRAY,
    JSON_OBJECT
} json_type;

/* A value's exact bytes inside a validated text (strings include their quotes). */
typedef struct json_span {
    const uint8_t *ptr;
    size_t len;
    json_type type;
} json_span;

/* Why a text is not JSON: a reason for a human and the byte offset where it was found. */
typedef struct json_error {
    const char *reason;
    size_t offset;
} json_error;

/* Validates that text[0..len) is exactly one JSON value, optionally surrounded
 * by whitespace: strict grammar, valid UTF-8, no lone surrogates, containers
 * nested at most max_depth deep. Returns 1 and sets *value, or 0 and *error. */
int json_parse(const uint8_t *text, size_t len, int max_depth, json_span *value, json_error *error);

/* Whether the bytes are valid UTF-8 (no overlong forms, no surrogates). */
int json_valid_utf8(const uint8_t *bytes, size_t len);

/* Walks the members of a validated object or the elements of a validated array. */
typedef struct json_iter {
    const uint8_t *at;
    const uint8_t *end;
} json_iter;

json_iter json_iterate(json_span container);
/* The next member of an object: its key (a string span) and value. 0 at the end. */
int json_next_member(json_iter *it, json_span *key, json_span *value);
/* The next element of an array. 0 at the end. */
int json_next_element(json_iter *it, json_span *value);

/* The value of the first member of a validated object whose key equals name. */
int json_get(json_span object, const char *name, json_span *value);

/* Whether a validated string span decodes to exactly name (escapes decoded). */
int json_string_equals(json_span string, const char *name);

/* Decodes a validated string span into out as UTF-8 plus a NUL. Returns 0 if
 * it does not fit in cap bytes or contains U+0000 (which C strings cannot hold). */
int json_decode_string(json_span string, char *out, size_t cap);

/* A number span that is a plain integer (no fraction, no exponent) in range. */
int json_to_u64(json_span number, uint64_t *out);
int json_to_i64(json_span number, int64_t *out);

#endif
