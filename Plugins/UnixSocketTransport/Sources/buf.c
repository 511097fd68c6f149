/* A growable byte buffer; see buf.h. */
#define _POSIX_C_SOURCE 200809L
#include "buf.h"
#include "json.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

void buf_init(buf *b) { memset(b, 0, sizeof *b); }

void buf_free(buf *b) {
    free(b->bytes);
    buf_init(b);
}

int buf_ok(const buf *b) { return !b->failed; }

static int reserve(buf *b, size_t extra) {
    if (b->failed) return 0;
    if (extra > SIZE_MAX - b->len) { b->failed = 1; return 0; }
    size_t need = b->len + extra;
    if (need <= b->cap) return 1;
    size_t cap = b->cap ? b->cap : 256;
    while (cap < need) cap = cap > SIZE_MAX / 2 ? need : cap * 2;
    uint8_t *grown = realloc(b->bytes, cap);
    if (!grown) { b->failed = 1; return 0; }
    b->bytes = grown;
    b->cap = cap;
    return 1;
}

void buf_append(buf *b, const void *bytes, size_t len) {
    if (len == 0 || !reserve(b, len)) return;
    memcpy(b->bytes + b->len, bytes, len);
    b->len += len;
}

void buf_append_str(buf *b, const char *s) { buf_append(b, s, strlen(s)); }

void buf_append_json_string(buf *b, const uint8_t *bytes, size_t len) {
    static const char hex[] = "0123456789abcdef";
    buf_append(b, "\"", 1);
    size_t i = 0;
    while (i < len) {
        uint8_t c = bytes[i];
        if (c >= 0x80) {
            /* Copy a valid sequence as is; replace anything else with U+FFFD. */
            size_t n = 0;
            for (size_t k = 2; k <= 4 && i + k <= len && n == 0; k++)
                if (json_valid_utf8(bytes + i, k)) n = k;
            if (n) { buf_append(b, bytes + i, n); i += n; }
            else { buf_append(b, "\xEF\xBF\xBD", 3); i++; }
            continue;
        }
        char escape[7];
        switch (c) {
        case '"': buf_append(b, "\\\"", 2); break;
        case '\\': buf_append(b, "\\\\", 2); break;
        case '\n': buf_append(b, "\\n", 2); break;
        case '\r': buf_append(b, "\\r", 2); break;
        case '\t': buf_append(b, "\\t", 2); break;
        default:
            if (c < 0x20) {
                escape[0] = '\\'; escape[1] = 'u'; escape[2] = '0'; escape[3] = '0';
                escape[4] = hex[c >> 4]; escape[5] = hex[c & 15];
                buf_append(b, escape, 6);
            } else {
                buf_append(b, &c, 1);
            }
        }
        i++;
    }
    buf_append(b, "\"", 1);
}

void buf_append_u64(buf *b, uint64_t value) {
    char digits[24];
    int n = snprintf(digits, sizeof digits, "%llu", (unsigned long long)value);
    buf_append(b, digits, (size_t)n);
}

void buf_append_timestamp(buf *b) {
    struct timespec now;
    clock_gettime(CLOCK_REALTIME, &now);
    struct tm parts;
    gmtime_r(&now.tv_sec, &parts);
    char text[40];
    int n = snprintf(text, sizeof text, "\"%04d-%02d-%02dT%02d:%02d:%02d.%03dZ\"", parts.tm_year + 1900, parts.tm_mon + 1,
                     parts.tm_mday, parts.tm_hour, parts.tm_min, parts.tm_sec, (int)(now.tv_nsec / 1000000));
    buf_append(b, text, (size_t)n);
}

uint8_t *buf_take(buf *b, size_t *len) {
    uint8_t *bytes = b->bytes;
    *len = b->len;
    buf_init(b);
    return bytes;
}
