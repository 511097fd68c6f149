/*
 * Unit tests of UnixSocketTransport's pure parts: the JSON reader, the client
 * protocol and the options. Compiled with the plugin's sources and run by
 * Tests/TransportTests/UnixSocketMemoryTests.swift (under ASan+UBSan and
 * valgrind); prints each failure and exits 1 if any.
 */
#include "buf.h"
#include "json.h"
#include "line_queue.h"
#include "options.h"
#include "protocol.h"
#include "timeouts.h"

/* Also covered: the queues' byte accounting and the idle/stall deadlines
 * (line_queue.c and timeouts.c, which the runner compiles in). */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int failures = 0, checks = 0;

#define CHECK(condition, ...)                                                   \
    do {                                                                        \
        checks++;                                                               \
        if (!(condition)) {                                                     \
            failures++;                                                         \
            fprintf(stderr, "%s:%d: check failed: %s: ", __FILE__, __LINE__, #condition); \
            fprintf(stderr, __VA_ARGS__);                                       \
            fprintf(stderr, "\n");                                              \
        }                                                                       \
    } while (0)

static int parses(const char *text, json_span *value, json_error *error) {
    return json_parse((const uint8_t *)text, strlen(text), 64, value, error);
}

static void valid_json(void) {
    const char *cases[] = {
        "{}", "[]", "0", "-0", "1.5e-3", "-12.0E+2", "\"\"", "true", "false", "null", " \t\r\n{} \n",
        "{\"a\":[1,{\"b\":null}],\"c\":\"\\u00e9\\n\\\"\\\\\\/\\b\\f\\r\\t\"}", "\"\\ud83d\\ude00\"", "\"h\xc3\xa9llo \xe2\x82\xac \xf0\x9f\x98\x80\"",
        "[[[[[[[[[[]]]]]]]]]]", "{\"\":0}", "123456789012345678901234567890",
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        json_span value;
        json_error error = { "", 0 };
        CHECK(parses(cases[i], &value, &error), "%s rejected: %s at %zu", cases[i], error.reason, error.offset);
    }
}

static void invalid_json(void) {
    struct { const char *text; const char *reason; } cases[] = {
        { "", "expected a value" },
        { "   ", "expected a value" },
        { "{", "expected a string key" },
        { "{\"a\"}", "expected ':' after a key" },
        { "{\"a\":1,}", "expected a string key" },
        { "[1,]", "unexpected character" },
        { "[1 2]", "expected ',' or ']'" },
        { "{\"a\":1 \"b\":2}", "expected ',' or '}'" },
        { "{a:1}", "expected a string key" },
        { "'x'", "unexpected character" },
        { "01", "leading zero in a number" },
        { "1.", "a decimal point needs digits after it" },
        { "1e", "an exponent needs digits" },
        { "-", "invalid number" },
        { "+1", "unexpected character" },
        { "NaN", "unexpected character" },
        { "tru", "unexpected character" },
        { "nul", "unexpected character" },
        { "\"abc", "unterminated string" },
        { "\"a\nb\"", "control character in a string (escape it)" },
        { "\"\\x\"", "invalid escape in a string" },
        { "\"\\u12\"", "\\u needs four hex digits" },
        { "\"\\uzzzz\"", "\\u needs four hex digits" },
        { "\"\\ud800\"", "high surrogate not followed by a low surrogate" },
        { "\"\\ud800\\u0041\"", "high surrogate not followed by a low surrogate" },
        { "\"\\udc00\"", "lone low surrogate in \\u escape" },
        { "\"\xff\"", "invalid UTF-8 in a string" },
        { "\"\xc0\xaf\"", "invalid UTF-8 in a string" },          /* overlong '/' */
        { "\"\xed\xa0\x80\"", "invalid UTF-8 in a string" },      /* an encoded surrogate */
        { "\"\xf4\x90\x80\x80\"", "invalid UTF-8 in a string" },  /* above U+10FFFF */
        { "\"\xe2\x82\"", "invalid UTF-8 in a string" },          /* truncated */
        { "{} {}", "unexpected text after the value" },
        { "[1]]", "unexpected text after the value" },
        { "[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]", "nested too deeply" },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        json_span value;
        json_error error = { "", 0 };
        CHECK(!parses(cases[i].text, &value, &error), "%s accepted", cases[i].text);
        CHECK(strcmp(error.reason, cases[i].reason) == 0, "%s: reason \"%s\", expected \"%s\"", cases[i].text, error.reason, cases[i].reason);
    }
    json_span value;
    json_error error;
    CHECK(!json_parse((const uint8_t *)"[1,\0]", 5, 64, &value, &error), "an embedded NUL was accepted");
}

static void walking(void) {
    const char *text = "{ \"a\" : [1, \"x,}\" , {\"k\":[]} ], \"b\\u0062\":true , \"n\": -42, \"big\": 18446744073709551615, \"over\": 18446744073709551616}";
    json_span root, a, bb, n, element, big, over;
    CHECK(parses(text, &root, NULL) && root.type == JSON_OBJECT, "root");
    CHECK(json_get(root, "a", &a) && a.type == JSON_ARRAY, "a");
    json_iter it = json_iterate(a);
    const char *elements[] = { "1", "\"x,}\"", "{\"k\":[]}" };
    size_t count = 0;
    while (json_next_element(&it, &element)) {
        CHECK(count < 3 && element.len == strlen(elements[count]) && memcmp(element.ptr, elements[count], element.len) == 0,
              "element %zu is %.*s", count, (int)element.len, element.ptr);
        count++;
    }
    CHECK(count == 3, "%zu elements", count);
    CHECK(json_get(root, "bb", &bb) && bb.type == JSON_BOOL, "an escaped key matches its decoded name");
    CHECK(!json_get(root, "missing", &bb), "a missing key");
    int64_t i64;
    uint64_t u64;
    CHECK(json_get(root, "n", &n) && json_to_i64(n, &i64) && i64 == -42, "n");
    CHECK(!json_to_u64(n, &u64), "a negative number is not a u64");
    CHECK(json_get(root, "big", &big) && json_to_u64(big, &u64) && u64 == UINT64_MAX, "u64 max");
    CHECK(json_get(root, "over", &over) && !json_to_u64(over, &u64), "u64 overflow is refused");
    json_span fraction;
    CHECK(parses("1.0", &fraction, NULL) && !json_to_u64(fraction, &u64), "1.0 is not an integer");
    CHECK(parses("[]", &root, NULL) && !json_next_element((json_iter[]){ json_iterate(root) }, &element), "an empty array has no elements");

    json_span s;
    char out[32];
    CHECK(parses("\"caf\\u00e9 \\ud83d\\ude00\\n\"", &s, NULL) && json_decode_string(s, out, sizeof out) &&
          strcmp(out, "caf\xc3\xa9 \xf0\x9f\x98\x80\n") == 0, "decoded %s", out);
    CHECK(parses("\"a\\u0000b\"", &s, NULL) && !json_decode_string(s, out, sizeof out), "a NUL cannot be decoded into a C string");
    CHECK(parses("\"0123456789\"", &s, NULL) && !json_decode_string(s, out, 10), "too long for the buffer");
    CHECK(json_string_equals(s, "0123456789") && !json_string_equals(s, "012345678") && !json_string_equals(s, "0123456789x"), "equals");
}

static void escaping(void) {
    buf b;
    buf_init(&b);
    const uint8_t raw[] = { 'a', '"', '\\', '\n', 0x01, 0xC3, 0xA9, 0xFF, 'z' };
    buf_append_json_string(&b, raw, sizeof raw);
    const char *expected = "\"a\\\"\\\\\\n\\u0001\xc3\xa9\xef\xbf\xbdz\"";
    CHECK(b.len == strlen(expected) && memcmp(b.bytes, expected, b.len) == 0, "escaped %.*s", (int)b.len, b.bytes);
    json_span value;
    CHECK(json_parse(b.bytes, b.len, 8, &value, NULL), "the escaped string is valid JSON");
    buf_free(&b);
}

/* A client line and the host request it must become, or the error code it must get. */
static void protocol(void) {
    struct { const char *line; const char *request; const char *code; const char *message; } cases[] = {
        { "{\"type\":\"chat_message\",\"orchestrator_agent_id\":\"o\",\"message\":\"hi \\\"you\\\"\"}",
          "{\"op\":\"send_chat\",\"orchestrator_agent_id\":\"o\",\"message\":\"hi \\\"you\\\"\"}", NULL, NULL },
        { "{\"message\":\"x\",\"extra\":[1],\"type\":\"chat_message\",\"orchestrator_agent_id\":\"o\",\"wait\":true}",
          "{\"op\":\"send_chat\",\"orchestrator_agent_id\":\"o\",\"message\":\"x\",\"wait\":true}", NULL, NULL },
        { "{\"type\":\"interrupt\",\"orchestrator_agent_id\":\"o\"}", "{\"op\":\"interrupt\",\"orchestrator_agent_id\":\"o\"}", NULL, NULL },
        { "{\"type\":\"resume\",\"orchestrator_agent_id\":\"o\",\"last_seq\":41}",
          "{\"op\":\"resume\",\"orchestrator_agent_id\":\"o\",\"last_seq\":41}", NULL, NULL },
        { "{\"type\":\"load_chat\",\"orchestrator_agent_id\":\"o\",\"limit\":5,\"before\":null}",
          "{\"op\":\"load_chat\",\"orchestrator_agent_id\":\"o\",\"limit\":5}", NULL, NULL },
        { "{\"type\":\"command_agent\",\"agent_id\":\"a\",\"command\":\"run tests\",\"if_busy\":\"reject\"}",
          "{\"op\":\"command_agent\",\"agent_id\":\"a\",\"command\":\"run tests\",\"if_busy\":\"reject\"}", NULL, NULL },
        { "{\"type\":\"agent_logs\",\"agent_id\":\"a\",\"since_seq\":7}", "{\"op\":\"agent_logs\",\"agent_id\":\"a\",\"since_seq\":7}", NULL, NULL },
        { "{\"type\":\"delete_agent\"}", NULL, "invalid_request", "delete_agent needs \"agent_id\"" },
        { "{\"type\":\"command_agent\",\"agent_id\":\"a\",\"command\":3}", NULL, "invalid_request", "command_agent: \"command\" must be a string" },
        { "{\"type\":\"get_orchestrator\",\"request_id\":7}", "{\"op\":\"get_orchestrator\"}", NULL, NULL },
        { "{\"type\":\"health\"}", "{\"op\":\"health\"}", NULL, NULL },
        { "{\"type\":\"ping\",\"request_id\":\"r1\"}", NULL, NULL, NULL },
        { "\xff", NULL, "invalid_utf8", "the line is not valid UTF-8; send UTF-8 JSON, one object per line" },
        { "{\"type\":", NULL, "invalid_json", "the line is not JSON (expected a value at byte 8); send one JSON object per line, e.g. {\"type\":\"ping\"}" },
        { "[1]", NULL, "invalid_json", "a line must be a JSON object with a \"type\", e.g. {\"type\":\"ping\"}" },
        { "{}", NULL, "invalid_request", "missing field \"type\"; send one of chat_message, interrupt, resume, load_chat, get_orchestrator, health, ping, list_agents, create_agent, get_agent, agent_logs, command_agent, interrupt_agent, delete_agent, inbox, answer_permission, answer_permissions, permission_log" },
        { "{\"type\":3}", NULL, "invalid_request", "field \"type\" must be a string, one of chat_message, interrupt, resume, load_chat, get_orchestrator, health, ping, list_agents, create_agent, get_agent, agent_logs, command_agent, interrupt_agent, delete_agent, inbox, answer_permission, answer_permissions, permission_log" },
        { "{\"type\":\"dance\"}", NULL, "unknown_type", "unknown message type \"dance\"; send one of chat_message, interrupt, resume, load_chat, get_orchestrator, health, ping, list_agents, create_agent, get_agent, agent_logs, command_agent, interrupt_agent, delete_agent, inbox, answer_permission, answer_permissions, permission_log" },
        { "{\"type\":\"chat_message\",\"orchestrator_agent_id\":\"o\"}", NULL, "invalid_request", "chat_message needs \"message\"" },
        { "{\"type\":\"chat_message\",\"orchestrator_agent_id\":\"o\",\"message\":5}", NULL, "invalid_request", "chat_message: \"message\" must be a string" },
        { "{\"type\":\"chat_message\",\"orchestrator_agent_id\":\"o\",\"message\":\"m\",\"wait\":1}", NULL, "invalid_request", "chat_message: \"wait\" must be true or false" },
        { "{\"type\":\"resume\",\"orchestrator_agent_id\":\"o\",\"last_seq\":-1}", NULL, "invalid_request", "resume: \"last_seq\" must be a non-negative integer" },
        { "{\"type\":\"resume\",\"orchestrator_agent_id\":\"o\",\"last_seq\":1.5}", NULL, "invalid_request", "resume: \"last_seq\" must be a non-negative integer" },
        { "{\"type\":\"resume\",\"orchestrator_agent_id\":\"o\"}", NULL, "invalid_request", "resume needs \"last_seq\"" },
        { "{\"type\":\"interrupt\"}", NULL, "invalid_request", "interrupt needs \"orchestrator_agent_id\"" },
        { "{\"type\":\"ping\",\"request_id\":{}}", NULL, "invalid_request", "request_id must be a string of at most 128 bytes or an integer" },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        client_request request;
        refusal why;
        int ok = protocol_parse((const uint8_t *)cases[i].line, strlen(cases[i].line), &request, &why);
        if (cases[i].code) {
            CHECK(!ok, "%s accepted", cases[i].line);
            CHECK(!ok && strcmp(why.code, cases[i].code) == 0, "%s: code %s, expected %s", cases[i].line, why.code, cases[i].code);
            CHECK(!ok && strcmp(why.message, cases[i].message) == 0, "%s: message \"%s\"", cases[i].line, why.message);
        } else if (cases[i].request) {
            CHECK(ok && request.host_request.len == strlen(cases[i].request) &&
                  memcmp(request.host_request.bytes, cases[i].request, request.host_request.len) == 0,
                  "%s became %.*s", cases[i].line, (int)request.host_request.len, request.host_request.bytes);
        } else {
            CHECK(ok && request.route == NULL && request.request_id.len == 4, "%s is a ping with its request_id", cases[i].line);
        }
        if (ok) buf_free(&request.host_request);
    }
    client_request resume;
    refusal why;
    const char *line = "{\"type\":\"resume\",\"orchestrator_agent_id\":\"o\",\"last_seq\":18446744073709551615}";
    CHECK(protocol_parse((const uint8_t *)line, strlen(line), &resume, &why) && resume.last_seq == UINT64_MAX, "last_seq max");
    buf_free(&resume.host_request);
}

static int equals(const buf *b, const char *expected) {
    return b->len == strlen(expected) && memcmp(b->bytes, expected, b->len) == 0;
}

static void replies(void) {
    json_span id = { (const uint8_t *)"\"r\"", 3, JSON_STRING }, none = { NULL, 0, JSON_NULL };
    buf b;
    buf_init(&b);
    const char *body = "{\"status\":\"accepted\",\"type\":\"sneaky\",\"queued\":false}";
    CHECK(render_reply(&b, "ack", "chat_message", id, (const uint8_t *)body, strlen(body)), "ack");
    CHECK(equals(&b, "{\"type\":\"ack\",\"in_reply_to\":\"chat_message\",\"request_id\":\"r\",\"status\":\"accepted\",\"queued\":false}"),
          "%.*s", (int)b.len, b.bytes);
    buf_free(&b);
    CHECK(render_reply(&b, "chat_history", "load_chat", none, (const uint8_t *)"{}", 2) && equals(&b, "{\"type\":\"chat_history\",\"in_reply_to\":\"load_chat\"}"),
          "%.*s", (int)b.len, b.bytes);
    buf_free(&b);
    CHECK(!render_reply(&b, "ack", "x", none, (const uint8_t *)"[1]", 3), "a reply that is not an object is refused");
    buf_free(&b);
    const char *error = "{\"code\":\"invalid_uuid\",\"message\":\"orchestrator_agent_id \\\"x\\\" is not a UUID\",\"retryable\":false}";
    render_host_error(&b, 1, "interrupt", id, (const uint8_t *)error, strlen(error));
    json_span parsed, field;
    CHECK(json_parse(b.bytes, b.len, 8, &parsed, NULL) && json_get(parsed, "code", &field) && json_string_equals(field, "invalid_uuid"), "host error code");
    CHECK(json_get(parsed, "message", &field) && json_string_equals(field, "orchestrator_agent_id \"x\" is not a UUID"), "host error message");
    CHECK(json_get(parsed, "in_reply_to", &field) && json_string_equals(field, "interrupt"), "in_reply_to");
    buf_free(&b);
    render_host_error(&b, 8, "interrupt", none, (const uint8_t *)"garbage", 7);
    CHECK(json_parse(b.bytes, b.len, 8, &parsed, NULL) && json_get(parsed, "code", &field) && json_string_equals(field, "internal"), "unreadable host error");
    buf_free(&b);
    json_span orchestrator = { (const uint8_t *)"\"o\"", 3, JSON_STRING }, last = { (const uint8_t *)"9", 1, JSON_NUMBER };
    render_resumed(&b, orchestrator, 2, 9, none);
    CHECK(equals(&b, "{\"type\":\"resumed\",\"in_reply_to\":\"resume\",\"orchestrator_agent_id\":\"o\",\"replayed\":2,\"last_seq\":9}"), "%.*s", (int)b.len, b.bytes);
    buf_free(&b);
    render_reload_required(&b, orchestrator, last, none, "too many \"events\"");
    CHECK(json_parse(b.bytes, b.len, 8, &parsed, NULL) && json_get(parsed, "last_seq", &field) && field.len == 1 && field.ptr[0] == '9', "reload_required");
    CHECK(json_get(parsed, "message", &field) && json_string_equals(field, "too many \"events\""), "reload_required says why, escaped");
    buf_free(&b);
    render_connected(&b, 7, 1024, 3, "s-1");
    CHECK(json_parse(b.bytes, b.len, 8, &parsed, NULL) && json_get(parsed, "client_id", &field) && json_string_equals(field, "client_7"), "connected");
    buf_free(&b);
}

static void options_cases(void) {
    options o;
    char error[400];
    CHECK(options_read(NULL, 0, &o, error, sizeof error) && strcmp(o.path, ".orch/orch.sock") == 0 && o.max_line_bytes == 262144, "defaults");
    CHECK(o.handshake_timeout_s == 10 && o.line_timeout_s == 30 && o.stall_timeout_s == 60 && o.client_queue_bytes == 16u << 20,
          "timeout defaults %zu %zu %zu", o.handshake_timeout_s, o.line_timeout_s, o.stall_timeout_s);
    const char *timeouts = "{\"handshake_timeout_s\":1,\"line_timeout_s\":2,\"stall_timeout_s\":86400}";
    CHECK(options_read((const uint8_t *)timeouts, strlen(timeouts), &o, error, sizeof error) && o.handshake_timeout_s == 1 &&
          o.line_timeout_s == 2 && o.stall_timeout_s == 86400, "%s", error);
    const char *good = "{\"path\":\"/tmp/x.sock\",\"max_line_bytes\":1024,\"client_queue_limit\":64,\"max_clients\":3}";
    CHECK(options_read((const uint8_t *)good, strlen(good), &o, error, sizeof error) && strcmp(o.path, "/tmp/x.sock") == 0 &&
          o.max_line_bytes == 1024 && o.client_queue_limit == 64 && o.max_clients == 3, "%s", error);
    struct { const char *config; const char *message; } bad[] = {
        { "{\"listen\":\"x\"}", "UnixSocketTransport: unknown option \"listen\"; the options are path, max_line_bytes, client_queue_limit, client_queue_bytes, max_clients, handshake_timeout_s, line_timeout_s, stall_timeout_s (see docs/writing-a-plugin.md)" },
        { "{\"handshake_timeout_s\":0}", "UnixSocketTransport: option handshake_timeout_s must be an integer from 1 to 86400, got 0" },
        { "{\"line_timeout_s\":1.5}", "UnixSocketTransport: option line_timeout_s must be an integer from 1 to 86400, got 1.5" },
        { "{\"stall_timeout_s\":86401}", "UnixSocketTransport: option stall_timeout_s must be an integer from 1 to 86400, got 86401" },
        { "{\"path\":5}", "UnixSocketTransport: option path must be a string (the socket file), e.g. path = \".orch/orch.sock\"" },
        { "{\"path\":\"\"}", "UnixSocketTransport: option path is empty; give the socket file, e.g. path = \".orch/orch.sock\"" },
        { "{\"max_line_bytes\":10}", "UnixSocketTransport: option max_line_bytes must be an integer from 64 to 67108864, got 10" },
        { "{\"max_clients\":\"many\"}", "UnixSocketTransport: option max_clients must be an integer from 1 to 65536, got \"many\"" },
        { "[]", "UnixSocketTransport: the options are not a JSON object (the host passed something else)" },
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        CHECK(!options_read((const uint8_t *)bad[i].config, strlen(bad[i].config), &o, error, sizeof error), "%s accepted", bad[i].config);
        CHECK(strcmp(error, bad[i].message) == 0, "%s: %s", bad[i].config, error);
    }
    char long_path[200] = "{\"path\":\"";
    memset(long_path + 9, 'a', 120);
    strcpy(long_path + 129, "\"}");
    CHECK(!options_read((const uint8_t *)long_path, strlen(long_path), &o, error, sizeof error) &&
          strstr(error, "too long for a Unix socket (at most 107 bytes)"), "%s", error);
}

/* Arbitrary bytes never crash the reader: every prefix and every single-byte
 * corruption of a valid line is either parsed or refused. */
static void no_crash(void) {
    const char *seed = "{\"type\":\"chat_message\",\"orchestrator_agent_id\":\"\\u00e9\",\"message\":\"a\\nb \xf0\x9f\x98\x80\",\"n\":[1.5e3,true,null,{}]}";
    size_t len = strlen(seed);
    uint8_t copy[256];
    unsigned state = 12345;
    for (size_t cut = 0; cut <= len; cut++) {
        for (int round = 0; round < 40; round++) {
            memcpy(copy, seed, len);
            state = state * 1103515245u + 12345u;
            copy[(state >> 8) % (cut ? cut : 1)] = (uint8_t)(state >> 16);
            client_request request;
            refusal why;
            if (protocol_parse(copy, cut, &request, &why)) buf_free(&request.host_request);
            else CHECK(why.code != NULL && why.message[0] != 0, "a refusal without a reason");
        }
    }
}

/* The queues count every byte they hold, and give it all back. */
static void queue_accounting(void) {
    line_queue q = { 0 };
    line *a = line_new((const uint8_t *)"abc", 3, 1), *b = line_new((const uint8_t *)"", 0, 0);
    for (int i = 0; i < 40; i++) CHECK(queue_push(&q, i % 2 ? b : a), "push %d", i);  /* past the first growth (16 slots) */
    CHECK(q.count == 40 && q.bytes == 20 * 4 + 20 * 1, "%zu lines, %zu bytes", q.count, q.bytes);
    queue_pop(&q);
    CHECK(q.count == 39 && q.bytes == 19 * 4 + 20 * 1 && queue_at(&q, 0) == b, "after a pop: %zu bytes", q.bytes);
    queue_clear(&q, 1);
    CHECK(q.count == 1 && q.bytes == 1 && queue_at(&q, 0) == b, "clear keeping the head: %zu bytes", q.bytes);
    CHECK(a->refs == 1 && b->refs == 2, "the queue released its references: %zu %zu", a->refs, b->refs);
    queue_free(&q);
    CHECK(q.count == 0 && q.bytes == 0 && q.slots == NULL && q.cap == 0, "freed");
    line_release(a);
    line_release(b);
}

/* One event on a client's clock, and the deadline expected after it (says NULL: not checked). */
typedef struct clock_step {
    char event;              /* 'i': clock_input(a = a line ended, b = part of one left); 'o': clock_output(a = queued, b = progressed);
                                'r': clock_reading(a = paused) */
    int a, b;
    int64_t now_ms;
    timeout_kind kind;
    int64_t at_ms;
    const char *says;
} clock_step;

/* The idle and stall rules of timeouts.h, on made-up times (ms). */
static void deadlines(void) {
    options o;
    char error[200];
    const char *config = "{\"handshake_timeout_s\":10,\"line_timeout_s\":30,\"stall_timeout_s\":60}";
    CHECK(options_read((const uint8_t *)config, strlen(config), &o, error, sizeof error), "%s", error);
    const clock_step steps[] = {
        { 'o', 0, 0, 1000, TIMEOUT_HANDSHAKE, 11000, "a silent client's first line is due 10 s after it connected (at 1000)" },
        { 'i', 0, 1, 5000, TIMEOUT_HANDSHAKE, 11000, "half a first line does not put the handshake off" },
        { 'i', 0, 1, 9000, TIMEOUT_NONE, 0, NULL },
        { 'i', 1, 0, 10000, TIMEOUT_NONE, 0, "once it has sent a line and nothing is queued, it may idle for ever" },
        { 'i', 0, 1, 100000, TIMEOUT_NONE, 0, NULL },
        { 'i', 0, 1, 120000, TIMEOUT_LINE, 130000, "a line is due 30 s after its first byte, however it drips" },
        { 'i', 1, 1, 125000, TIMEOUT_LINE, 155000, "a line finished and the next begun in one read restarts the clock" },
        { 'i', 1, 0, 126000, TIMEOUT_NONE, 0, "no partial line, no deadline" },
        { 'o', 0, 0, 200000, TIMEOUT_NONE, 0, NULL },
        { 'o', 1, 0, 5000000, TIMEOUT_STALL, 5060000, "output waits from when it appeared, not from when the queue was last empty" },
        { 'o', 1, 0, 5030000, TIMEOUT_STALL, 5060000, "a poll without progress does not put it off" },
        { 'o', 1, 1, 5050000, TIMEOUT_STALL, 5110000, "each byte taken puts it off" },
        { 'i', 0, 1, 5100000, TIMEOUT_STALL, 5110000, "the nearest deadline wins" },
        { 'o', 0, 1, 5105000, TIMEOUT_LINE, 5130000, "drained: only the line is due" },
        { 'r', 1, 0, 5106000, TIMEOUT_NONE, 0, "not read (backpressure): a half-read line is not the client's delay" },
        { 'r', 0, 0, 5200000, TIMEOUT_LINE, 5230000, "read again: the line's clock starts afresh" },
    };
    client_clock c;
    clock_connected(&c, 1000);
    for (size_t i = 0; i < sizeof steps / sizeof steps[0]; i++) {
        const clock_step *step = &steps[i];
        if (step->event == 'i') clock_input(&c, step->a, step->b, step->now_ms);
        else if (step->event == 'o') clock_output(&c, step->a, step->b, step->now_ms);
        else clock_reading(&c, step->a, step->now_ms);
        timeout_due due = timeout_next(&c, &o);
        if (step->says) CHECK(due.kind == step->kind && (due.kind == TIMEOUT_NONE || due.at_ms == step->at_ms),
                              "%s: kind %d at %lld", step->says, (int)due.kind, (long long)due.at_ms);
    }
    struct { timeout_kind kind; const char *code, *headline, *message; } said[] = {
        { TIMEOUT_HANDSHAKE, "handshake_timeout", "sent no complete line in time",
          "no complete line within 10 s of connecting (handshake_timeout_s); send a request, e.g. {\"type\":\"ping\"}, right after connecting" },
        { TIMEOUT_LINE, "line_timeout", "left a line unfinished too long",
          "a line was begun but not finished within 30 s (line_timeout_s); write each line whole, ending in \\n" },
        { TIMEOUT_STALL, "stall_timeout", "took none of its output in time",
          "read nothing of what was queued for you for 60 s (stall_timeout_s); reconnect and resume from your last seq" },
    };
    for (size_t i = 0; i < sizeof said / sizeof said[0]; i++) {
        char message[256];
        timeout_message(said[i].kind, &o, message, sizeof message);
        CHECK(strcmp(timeout_code(said[i].kind), said[i].code) == 0, "code %s", timeout_code(said[i].kind));
        CHECK(strcmp(timeout_headline(said[i].kind), said[i].headline) == 0, "headline %s", timeout_headline(said[i].kind));
        CHECK(strcmp(message, said[i].message) == 0, "message %s", message);
    }
}

int main(void) {
    valid_json();
    invalid_json();
    walking();
    escaping();
    protocol();
    replies();
    options_cases();
    no_crash();
    queue_accounting();
    deadlines();
    printf("%d checks, %d failures\n", checks, failures);
    return failures ? 1 : 0;
}
