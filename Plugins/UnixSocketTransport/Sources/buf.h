/*
 * buf.h — a growable byte buffer for building JSON lines.
 *
 * Appending never fails loudly: if memory runs out the buffer is marked
 * failed and further appends are ignored; the caller checks buf_ok() once.
 */
#ifndef UST_BUF_H
#define UST_BUF_H

#include <stddef.h>
#include <stdint.h>

typedef struct buf {
    uint8_t *bytes;
    size_t len;
    size_t cap;
    int failed;
} buf;

void buf_init(buf *b);
void buf_free(buf *b);
int buf_ok(const buf *b);
void buf_append(buf *b, const void *bytes, size_t len);
void buf_append_str(buf *b, const char *s);
/* Appends a JSON string literal (with quotes) holding bytes, escaped as JSON
 * requires; bytes that are not valid UTF-8 are replaced with U+FFFD. */
void buf_append_json_string(buf *b, const uint8_t *bytes, size_t len);
void buf_append_u64(buf *b, uint64_t value);
/* The current time as an RFC 3339 UTC JSON string with milliseconds. */
void buf_append_timestamp(buf *b);
/* Hands the bytes to the caller (who frees them) and resets the buffer. */
uint8_t *buf_take(buf *b, size_t *len);

#endif
