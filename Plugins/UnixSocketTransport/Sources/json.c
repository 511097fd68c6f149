/* A strict JSON validator and walker; see json.h. */
#include "json.h"

#include <string.h>

typedef struct parser {
    const uint8_t *start;
    const uint8_t *at;
    const uint8_t *end;
    int depth_left;
    json_error *error;
} parser;

static int fail(parser *p, const char *reason) {
    if (p->error) {
        p->error->reason = reason;
        p->error->offset = (size_t)(p->at - p->start);
    }
    return 0;
}

static void skip_space(parser *p) {
    while (p->at < p->end && (*p->at == ' ' || *p->at == '\t' || *p->at == '\n' || *p->at == '\r')) p->at++;
}

/* The length of the UTF-8 sequence at s (1..4), or 0 if it is not valid UTF-8. */
static size_t utf8_length(const uint8_t *s, const uint8_t *end) {
    uint8_t c = s[0];
    if (c < 0x80) return 1;
    size_t n;
    uint8_t lo = 0x80, hi = 0xBF;
    if (c >= 0xC2 && c <= 0xDF) n = 2;
    else if (c >= 0xE0 && c <= 0xEF) {
        n = 3;
        if (c == 0xE0) lo = 0xA0;           /* no overlong forms */
        if (c == 0xED) hi = 0x9F;           /* no UTF-16 surrogates */
    } else if (c >= 0xF0 && c <= 0xF4) {
        n = 4;
        if (c == 0xF0) lo = 0x90;           /* no overlong forms */
        if (c == 0xF4) hi = 0x8F;           /* nothing above U+10FFFF */
    } else return 0;
    if ((size_t)(end - s) < n) return 0;
    if (s[1] < lo || s[1] > hi) return 0;
    for (size_t i = 2; i < n; i++)
        if (s[i] < 0x80 || s[i] > 0xBF) return 0;
    return n;
}

int json_valid_utf8(const uint8_t *bytes, size_t len) {
    const uint8_t *at = bytes, *end = bytes + len;
    while (at < end) {
        size_t n = utf8_length(at, end);
        if (n == 0) return 0;
        at += n;
    }
    return 1;
}

static int hex_value(uint8_t c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

/* Reads the four hex digits after "\u" at p->at; advances past them. */
static int read_hex4(parser *p, unsigned *out) {
    if (p->end - p->at < 4) return fail(p, "\\u needs four hex digits");
    unsigned value = 0;
    for (int i = 0; i < 4; i++) {
        int digit = hex_value(p->at[i]);
        if (digit < 0) return fail(p, "\\u needs four hex digits");
        value = value * 16 + (unsigned)digit;
    }
    p->at += 4;
    *out = value;
    return 1;
}

static int parse_string(parser *p) {
    p->at++; /* the opening quote */
    for (;;) {
        if (p->at >= p->end) return fail(p, "unterminated string");
        uint8_t c = *p->at;
        if (c == '"') { p->at++; return 1; }
        if (c < 0x20) return fail(p, "control character in a string (escape it)");
        if (c == '\\') {
            p->at++;
            if (p->at >= p->end) return fail(p, "unterminated string");
            uint8_t e = *p->at++;
            if (e == 'u') {
                unsigned unit;
                if (!read_hex4(p, &unit)) return 0;
                if (unit >= 0xDC00 && unit <= 0xDFFF) return fail(p, "lone low surrogate in \\u escape");
                if (unit >= 0xD800 && unit <= 0xDBFF) {
                    unsigned low;
                    if (p->end - p->at < 2 || p->at[0] != '\\' || p->at[1] != 'u')
                        return fail(p, "high surrogate not followed by a low surrogate");
                    p->at += 2;
                    if (!read_hex4(p, &low)) return 0;
                    if (low < 0xDC00 || low > 0xDFFF) return fail(p, "high surrogate not followed by a low surrogate");
                }
            } else if (!strchr("\"\\/bfnrt", e) || e == 0) {
                p->at--;
                return fail(p, "invalid escape in a string");
            }
            continue;
        }
        size_t n = utf8_length(p->at, p->end);
        if (n == 0) return fail(p, "invalid UTF-8 in a string");
        p->at += n;
    }
}

static int is_digit(uint8_t c) { return c >= '0' && c <= '9'; }

static int parse_number(parser *p) {
    if (p->at < p->end && *p->at == '-') p->at++;
    if (p->at >= p->end || !is_digit(*p->at)) return fail(p, "invalid number");
    if (*p->at == '0') {
        p->at++;
        if (p->at < p->end && is_digit(*p->at)) return fail(p, "leading zero in a number");
    } else {
        while (p->at < p->end && is_digit(*p->at)) p->at++;
    }
    if (p->at < p->end && *p->at == '.') {
        p->at++;
        if (p->at >= p->end || !is_digit(*p->at)) return fail(p, "a decimal point needs digits after it");
        while (p->at < p->end && is_digit(*p->at)) p->at++;
    }
    if (p->at < p->end && (*p->at == 'e' || *p->at == 'E')) {
        p->at++;
        if (p->at < p->end && (*p->at == '+' || *p->at == '-')) p->at++;
        if (p->at >= p->end || !is_digit(*p->at)) return fail(p, "an exponent needs digits");
        while (p->at < p->end && is_digit(*p->at)) p->at++;
    }
    return 1;
}

static int parse_literal(parser *p, const char *word) {
    size_t n = strlen(word);
    if ((size_t)(p->end - p->at) < n || memcmp(p->at, word, n) != 0) return fail(p, "unexpected character");
    p->at += n;
    return 1;
}

static int parse_value(parser *p, json_type *type);

static int parse_container(parser *p, int is_object) {
    if (--p->depth_left < 0) return fail(p, "nested too deeply");
    uint8_t close = is_object ? '}' : ']';
    p->at++;
    skip_space(p);
    if (p->at < p->end && *p->at == close) {
        p->at++;
        p->depth_left++;
        return 1;
    }
    for (;;) {
        json_type ignored;
        if (is_object) {
            if (p->at >= p->end || *p->at != '"') return fail(p, "expected a string key");
            if (!parse_string(p)) return 0;
            skip_space(p);
            if (p->at >= p->end || *p->at != ':') return fail(p, "expected ':' after a key");
            p->at++;
            skip_space(p);
        }
        if (!parse_value(p, &ignored)) return 0;
        skip_space(p);
        if (p->at >= p->end) return fail(p, is_object ? "unterminated object" : "unterminated array");
        if (*p->at == close) {
            p->at++;
            p->depth_left++;
            return 1;
        }
        if (*p->at != ',') return fail(p, is_object ? "expected ',' or '}'" : "expected ',' or ']'");
        p->at++;
        skip_space(p);
    }
}

static int parse_value(parser *p, json_type *type) {
    if (p->at >= p->end) return fail(p, "expected a value");
    switch (*p->at) {
    case '{': *type = JSON_OBJECT; return parse_container(p, 1);
    case '[': *type = JSON_ARRAY; return parse_container(p, 0);
    case '"': *type = JSON_STRING; return parse_string(p);
    case 't': *type = JSON_BOOL; return parse_literal(p, "true");
    case 'f': *type = JSON_BOOL; return parse_literal(p, "false");
    case 'n': *type = JSON_NULL; return parse_literal(p, "null");
    default:
        *type = JSON_NUMBER;
        if (*p->at != '-' && !is_digit(*p->at)) return fail(p, "unexpected character");
        return parse_number(p);
    }
}

int json_parse(const uint8_t *text, size_t len, int max_depth, json_span *value, json_error *error) {
    parser p = { text, text, text + len, max_depth, error };
    if (len > 0 && text == NULL) return fail(&p, "no text");
    skip_space(&p);
    const uint8_t *begin = p.at;
    json_type type;
    if (!parse_value(&p, &type)) return 0;
    const uint8_t *value_end = p.at;
    skip_space(&p);
    if (p.at != p.end) return fail(&p, "unexpected text after the value");
    value->ptr = begin;
    value->len = (size_t)(value_end - begin);
    value->type = type;
    return 1;
}

/* ---- walking validated text ---- */

static const uint8_t *skip_ws(const uint8_t *at, const uint8_t *end) {
    while (at < end && (*at == ' ' || *at == '\t' || *at == '\n' || *at == '\r')) at++;
    return at;
}

static json_type type_at(uint8_t c) {
    switch (c) {
    case '{': return JSON_OBJECT;
    case '[': return JSON_ARRAY;
    case '"': return JSON_STRING;
    case 't': case 'f': return JSON_BOOL;
    case 'n': return JSON_NULL;
    default: return JSON_NUMBER;
    }
}

/* The end of the (valid) value starting at `at`. */
static const uint8_t *skip_value(const uint8_t *at, const uint8_t *end) {
    int depth = 0, in_string = 0;
    const uint8_t *p = at;
    for (; p < end; p++) {
        uint8_t c = *p;
        if (in_string) {
            if (c == '\\') p++;
            else if (c == '"') {
                in_string = 0;
                if (depth == 0) return p + 1;
            }
            continue;
        }
        if (c == '"') in_string = 1;
        else if (c == '{' || c == '[') depth++;
        else if (c == '}' || c == ']') {
            if (depth == 0) return p; /* the end of an enclosing container */
            if (--depth == 0) return p + 1;
        } else if (depth == 0 && (c == ',' || c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == ':')) {
            return p;
        }
    }
    return p;
}

json_iter json_iterate(json_span container) {
    json_iter it = { container.ptr + 1, container.ptr + container.len - 1 };
    if (container.len < 2 || (container.type != JSON_OBJECT && container.type != JSON_ARRAY)) it.at = it.end;
    return it;
}

static int next_span(json_iter *it, json_span *out) {
    it->at = skip_ws(it->at, it->end);
    if (it->at < it->end && *it->at == ',') it->at = skip_ws(it->at + 1, it->end);
    if (it->at >= it->end) return 0;
    const uint8_t *stop = skip_value(it->at, it->end);
    out->ptr = it->at;
    out->len = (size_t)(stop - it->at);
    out->type = type_at(*it->at);
    it->at = stop;
    return 1;
}

int json_next_element(json_iter *it, json_span *value) { return next_span(it, value); }

int json_next_member(json_iter *it, json_span *key, json_span *value) {
    if (!next_span(it, key)) return 0;
    it->at = skip_ws(it->at, it->end);
    if (it->at < it->end && *it->at == ':') it->at++;
    it->at = skip_ws(it->at, it->end);
    return next_span(it, value);
}

/* Decodes one character of a validated string's body at *at into buf (up to 4
 * bytes); returns the number of bytes written. */
static size_t decode_char(const uint8_t **at, uint8_t buf[4]) {
    const uint8_t *p = *at;
    if (*p != '\\') {
        size_t n = utf8_length(p, p + 4);
        if (n == 0) n = 1;
        memcpy(buf, p, n);
        *at = p + n;
        return n;
    }
    uint8_t e = p[1];
    *at = p + 2;
    switch (e) {
    case 'b': buf[0] = '\b'; return 1;
    case 'f': buf[0] = '\f'; return 1;
    case 'n': buf[0] = '\n'; return 1;
    case 'r': buf[0] = '\r'; return 1;
    case 't': buf[0] = '\t'; return 1;
    case 'u': break;
    default: buf[0] = e; return 1;
    }
    unsigned code = 0;
    for (int i = 0; i < 4; i++) code = code * 16 + (unsigned)hex_value(p[2 + i]);
    *at = p + 6;
    if (code >= 0xD800 && code <= 0xDBFF) {
        unsigned low = 0;
        for (int i = 0; i < 4; i++) low = low * 16 + (unsigned)hex_value(p[8 + i]);
        code = 0x10000 + ((code - 0xD800) << 10) + (low - 0xDC00);
        *at = p + 12;
    }
    if (code < 0x80) { buf[0] = (uint8_t)code; return 1; }
    if (code < 0x800) { buf[0] = (uint8_t)(0xC0 | (code >> 6)); buf[1] = (uint8_t)(0x80 | (code & 0x3F)); return 2; }
    if (code < 0x10000) {
        buf[0] = (uint8_t)(0xE0 | (code >> 12)); buf[1] = (uint8_t)(0x80 | ((code >> 6) & 0x3F));
        buf[2] = (uint8_t)(0x80 | (code & 0x3F));
        return 3;
    }
    buf[0] = (uint8_t)(0xF0 | (code >> 18)); buf[1] = (uint8_t)(0x80 | ((code >> 12) & 0x3F));
    buf[2] = (uint8_t)(0x80 | ((code >> 6) & 0x3F)); buf[3] = (uint8_t)(0x80 | (code & 0x3F));
    return 4;
}

int json_decode_string(json_span string, char *out, size_t cap) {
    if (string.type != JSON_STRING || string.len < 2 || cap == 0) return 0;
    const uint8_t *at = string.ptr + 1, *end = string.ptr + string.len - 1;
    size_t n = 0;
    while (at < end) {
        uint8_t buf[4];
        size_t k = decode_char(&at, buf);
        if (n + k + 1 > cap) return 0;
        for (size_t i = 0; i < k; i++) {
            if (buf[i] == 0) return 0;
            out[n++] = (char)buf[i];
        }
    }
    out[n] = 0;
    return 1;
}

int json_string_equals(json_span string, const char *name) {
    if (string.type != JSON_STRING || string.len < 2) return 0;
    const uint8_t *at = string.ptr + 1, *end = string.ptr + string.len - 1;
    size_t want = strlen(name), n = 0;
    while (at < end) {
        uint8_t buf[4];
        size_t k = decode_char(&at, buf);
        if (n + k > want || memcmp(name + n, buf, k) != 0) return 0;
        n += k;
    }
    return n == want;
}

int json_get(json_span object, const char *name, json_span *value) {
    if (object.type != JSON_OBJECT) return 0;
    json_iter it = json_iterate(object);
    json_span key, found;
    while (json_next_member(&it, &key, &found)) {
        if (json_string_equals(key, name)) {
            *value = found;
            return 1;
        }
    }
    return 0;
}

int json_to_u64(json_span number, uint64_t *out) {
    if (number.type != JSON_NUMBER || number.len == 0 || number.len > 20) return 0;
    uint64_t value = 0;
    for (size_t i = 0; i < number.len; i++) {
        uint8_t c = number.ptr[i];
        if (!is_digit(c)) return 0;
        unsigned digit = (unsigned)(c - '0');
        if (value > (UINT64_MAX - digit) / 10) return 0;
        value = value * 10 + digit;
    }
    *out = value;
    return 1;
}

int json_to_i64(json_span number, int64_t *out) {
    if (number.type != JSON_NUMBER || number.len == 0) return 0;
    int negative = number.ptr[0] == '-';
    json_span digits = { number.ptr + negative, number.len - (size_t)negative, JSON_NUMBER };
    uint64_t magnitude;
    if (!json_to_u64(digits, &magnitude)) return 0;
    if (negative) {
        if (magnitude > (uint64_t)INT64_MAX + 1) return 0;
        *out = magnitude == (uint64_t)INT64_MAX + 1 ? INT64_MIN : -(int64_t)magnitude;
    } else {
        if (magnitude > (uint64_t)INT64_MAX) return 0;
        *out = (int64_t)magnitude;
    }
    return 1;
}
