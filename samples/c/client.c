/*
 * Sample Tessera client in C, written from protocol/PROTOCOL.md alone, with libzmq
 * and the C standard library (no JSON library: a tiny reader is at the bottom half).
 *
 * It does what samples/python/client.py's `demo` does:
 *   1. subscribes a SUB socket to a topic prefix of its own on the stream endpoint;
 *   2. sends `hello` on a DEALER socket and prints the server, its default model and limits;
 *   3. sends two `generate` requests at once on the same DEALER socket:
 *        a tile as raw rgba8 with its mip chain (level 0 saved as tile.png, with a
 *        minimal PNG writer: stored deflate blocks, CRC-32 and Adler-32 by hand),
 *        a backdrop as PNG (the payload frame is written as it is, to backdrop.png);
 *   4. prints every preview published under its topic while it waits, and matches
 *      the replies to the requests by `id`, in whichever order they arrive.
 *
 * Every receive waits in zmq_poll with a timeout, so the client never hangs; any
 * failure (no reply in time, an error reply, a broken reply, a file it cannot write)
 * makes it exit with status 1.
 *
 * Build: cc -std=c11 -Wall -Wextra -Werror -O2 -o tessera-client client.c $(pkg-config --cflags --libs libzmq)
 * Run:   ./tessera-client --control tcp://127.0.0.1:5555 --stream tcp://127.0.0.1:5556 --timeout 60
 */
#define _POSIX_C_SOURCE 200809L

#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <zmq.h>

static const unsigned char SIGNATURE[5] = {'T', 'E', 'S', 'S', 0x01}; /* "TESS" + version 1 (§4.2) */

#define MAX_FRAMES 64 /* more than any reply has; a longer message is treated as broken */

/* ------------------------------------------------------------------ utilities */

static void fail(const char *format, ...) {
    va_list args;
    va_start(args, format);
    fputs("error: ", stderr);
    vfprintf(stderr, format, args);
    fputc('\n', stderr);
    va_end(args);
}

static double now_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1000.0 + ts.tv_nsec / 1e6;
}

/* Writes s as the body of a JSON string (without the quotes). Returns 0, or -1 if it does not fit. */
static int json_escape(char *out, size_t size, const char *s) {
    size_t n = 0;
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        char tmp[8];
        const char *piece = tmp;
        if (c == '"') piece = "\\\"";
        else if (c == '\\') piece = "\\\\";
        else if (c < 0x20) snprintf(tmp, sizeof tmp, "\\u%04x", c);
        else { tmp[0] = (char)c; tmp[1] = 0; }
        size_t len = strlen(piece);
        if (n + len + 1 > size) return -1;
        memcpy(out + n, piece, len);
        n += len;
    }
    out[n] = 0;
    return 0;
}

/* ------------------------------------------------------------ multipart messages */

typedef struct {
    size_t count;
    unsigned char *data[MAX_FRAMES];
    size_t size[MAX_FRAMES];
} message_t;

static void message_free(message_t *m) {
    for (size_t i = 0; i < m->count; i++) free(m->data[i]);
    m->count = 0;
}

/* Receives one whole multipart message; call only after zmq_poll reported ZMQ_POLLIN. */
static int message_recv(void *socket, message_t *m) {
    m->count = 0;
    int more = 1;
    while (more) {
        zmq_msg_t part;
        zmq_msg_init(&part);
        if (zmq_msg_recv(&part, socket, 0) < 0) {
            fail("zmq_msg_recv: %s", zmq_strerror(zmq_errno()));
            zmq_msg_close(&part);
            message_free(m);
            return -1;
        }
        more = zmq_msg_more(&part);
        if (m->count < MAX_FRAMES) {
            size_t size = zmq_msg_size(&part);
            unsigned char *copy = malloc(size + 1); /* +1: header frames get a terminating NUL */
            if (!copy) { zmq_msg_close(&part); message_free(m); return -1; }
            memcpy(copy, zmq_msg_data(&part), size);
            copy[size] = 0;
            m->data[m->count] = copy;
            m->size[m->count] = size;
        }
        m->count++; /* counts frames beyond MAX_FRAMES too, so the caller sees the excess */
        zmq_msg_close(&part);
    }
    if (m->count > MAX_FRAMES) {
        m->count = MAX_FRAMES;
        message_free(m);
        fail("message with more than %d frames", MAX_FRAMES);
        return -1;
    }
    return 0;
}

/* Sends [TESS\x01][header]: a version 1 request has no payload frames (§4.1). */
static int send_request(void *socket, const char *header) {
    if (zmq_send(socket, SIGNATURE, sizeof SIGNATURE, ZMQ_SNDMORE) < 0 ||
        zmq_send(socket, header, strlen(header), 0) < 0) {
        fail("zmq_send: %s", zmq_strerror(zmq_errno()));
        return -1;
    }
    return 0;
}

/* Checks frame `first` is the signature and `first + 1` the header (§4.2). */
static int check_signature(const message_t *m, size_t first) {
    if (m->count < first + 2) { fail("message of %zu frames has no header", m->count); return -1; }
    if (m->size[first] != 5 || memcmp(m->data[first], "TESS", 4) != 0) { fail("bad signature frame"); return -1; }
    if (m->data[first][4] != 1) { fail("unsupported protocol version %d", m->data[first][4]); return -1; }
    return 0;
}

/* -------------------------------------------------------- a tiny JSON reader
 * Enough to walk a reply header: skip any value, find a member of an object, take an
 * element of an array, read a string, an integer or a boolean. Values are pointers into
 * the NUL-terminated header text; `end` bounds every scan. */

typedef struct { const char *p; const char *end; } json_t;

static const char *json_ws(const char *p, const char *end) {
    while (p < end && (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r')) p++;
    return p;
}

/* p at '"': returns the position after the closing quote, or NULL. */
static const char *json_skip_string(const char *p, const char *end) {
    if (p >= end || *p != '"') return NULL;
    for (p++; p < end; p++) {
        if (*p == '\\') { p++; continue; }
        if (*p == '"') return p + 1;
    }
    return NULL;
}

/* Returns the position after the value starting at p (after whitespace), or NULL. */
static const char *json_skip(const char *p, const char *end, int depth) {
    p = json_ws(p, end);
    if (p >= end || depth > 64) return NULL;
    if (*p == '"') return json_skip_string(p, end);
    if (*p == '{' || *p == '[') {
        char close = *p == '{' ? '}' : ']';
        p = json_ws(p + 1, end);
        if (p < end && *p == close) return p + 1;
        for (;;) {
            if (close == '}') {
                p = json_skip_string(json_ws(p, end), end);
                if (!p) return NULL;
                p = json_ws(p, end);
                if (p >= end || *p != ':') return NULL;
                p++;
            }
            p = json_skip(p, end, depth + 1);
            if (!p) return NULL;
            p = json_ws(p, end);
            if (p < end && *p == ',') { p++; continue; }
            if (p < end && *p == close) return p + 1;
            return NULL;
        }
    }
    /* number, true, false, null */
    const char *start = p;
    while (p < end && (strchr("+-.0123456789eE", *p) || (*p >= 'a' && *p <= 'z'))) p++;
    return p > start ? p : NULL;
}

/* The value of member `key` of the object at v, or {NULL, NULL}. */
static json_t json_get(json_t v, const char *key) {
    json_t none = {NULL, NULL};
    const char *p = v.p ? json_ws(v.p, v.end) : NULL;
    if (!p || p >= v.end || *p != '{') return none;
    p = json_ws(p + 1, v.end);
    if (p < v.end && *p == '}') return none;
    size_t keylen = strlen(key);
    for (;;) {
        p = json_ws(p, v.end);
        const char *name = p + 1;
        const char *after = json_skip_string(p, v.end);
        if (!after) return none;
        int match = (size_t)(after - 1 - name) == keylen && memcmp(name, key, keylen) == 0;
        p = json_ws(after, v.end);
        if (p >= v.end || *p != ':') return none;
        p = json_ws(p + 1, v.end);
        if (match) { json_t found = {p, v.end}; return found; }
        p = json_skip(p, v.end, 1);
        if (!p) return none;
        p = json_ws(p, v.end);
        if (p < v.end && *p == ',') { p++; continue; }
        return none;
    }
}

/* Element `index` of the array at v, or {NULL, NULL}. */
static json_t json_at(json_t v, size_t index) {
    json_t none = {NULL, NULL};
    const char *p = v.p ? json_ws(v.p, v.end) : NULL;
    if (!p || p >= v.end || *p != '[') return none;
    p = json_ws(p + 1, v.end);
    if (p < v.end && *p == ']') return none;
    for (size_t i = 0;; i++) {
        p = json_ws(p, v.end);
        if (i == index) { json_t found = {p, v.end}; return found; }
        p = json_skip(p, v.end, 1);
        if (!p) return none;
        p = json_ws(p, v.end);
        if (p < v.end && *p == ',') { p++; continue; }
        return none;
    }
}

static size_t json_count(json_t v) {
    size_t n = 0;
    while (json_at(v, n).p) n++;
    return n;
}

/* Copies the string at v into out (escapes \" \\ \/ \n \t kept simple; \u as '?'). */
static int json_string(json_t v, char *out, size_t size) {
    if (!v.p || *v.p != '"' || size == 0) return -1;
    const char *end = json_skip_string(v.p, v.end);
    if (!end) return -1;
    size_t n = 0;
    for (const char *p = v.p + 1; p < end - 1 && n + 1 < size; p++) {
        char c = *p;
        if (c == '\\') {
            c = *++p;
            if (c == 'n') c = '\n';
            else if (c == 't') c = '\t';
            else if (c == 'u') { c = '?'; p += 4; }
        }
        out[n++] = c;
    }
    out[n] = 0;
    return 0;
}

/* An integer (integral numbers like 256.0 included) or a decimal string (big seeds, §4.3). */
static int json_int(json_t v, long long *out) {
    if (!v.p) return -1;
    const char *p = v.p;
    if (*p == '"') p++;
    char *after;
    errno = 0;
    double d = strtod(p, &after);
    if (after == p || errno || d < -9.0e18 || d > 9.0e18) return -1;
    if (d != (double)(long long)d) return -1;
    *out = (long long)d;
    return 0;
}

static int json_bool(json_t v, int *out) {
    if (!v.p) return -1;
    if (v.end - v.p >= 4 && memcmp(v.p, "true", 4) == 0) { *out = 1; return 0; }
    if (v.end - v.p >= 5 && memcmp(v.p, "false", 5) == 0) { *out = 0; return 0; }
    return -1;
}

static json_t header_of(const message_t *m, size_t index) {
    json_t v = {(const char *)m->data[index], (const char *)m->data[index] + m->size[index]};
    return v;
}

/* -------------------------------------------------------------- PNG writer */

static uint32_t crc_table[256];

static void crc_init(void) {
    for (uint32_t n = 0; n < 256; n++) {
        uint32_t c = n;
        for (int k = 0; k < 8; k++) c = (c & 1) ? 0xEDB88320u ^ (c >> 1) : c >> 1;
        crc_table[n] = c;
    }
}

static uint32_t crc_update(uint32_t crc, const unsigned char *data, size_t size) {
    for (size_t i = 0; i < size; i++) crc = crc_table[(crc ^ data[i]) & 0xFF] ^ (crc >> 8);
    return crc;
}

static void put32(unsigned char *p, uint32_t v) {
    p[0] = (unsigned char)(v >> 24); p[1] = (unsigned char)(v >> 16);
    p[2] = (unsigned char)(v >> 8);  p[3] = (unsigned char)v;
}

static int write_chunk(FILE *f, const char *type, const unsigned char *data, size_t size) {
    unsigned char head[8], tail[4];
    put32(head, (uint32_t)size);
    memcpy(head + 4, type, 4);
    uint32_t crc = crc_update(0xFFFFFFFFu, head + 4, 4);
    crc = crc_update(crc, data, size) ^ 0xFFFFFFFFu;
    put32(tail, crc);
    return fwrite(head, 1, 8, f) == 8 && (size == 0 || fwrite(data, 1, size, f) == size) && fwrite(tail, 1, 4, f) == 4
               ? 0 : -1;
}

/* 8-bit RGBA, filter 0 on every row, zlib stream of stored (uncompressed) deflate blocks. */
static int write_png_rgba8(const char *path, long width, long height, const unsigned char *pixels) {
    size_t stride = (size_t)width * 4, raw_size = (size_t)height * (stride + 1);
    size_t blocks = raw_size / 65535 + 1;
    size_t zsize = 2 + raw_size + blocks * 5 + 4;
    unsigned char *raw = malloc(raw_size), *z = malloc(zsize);
    int rc = -1;
    FILE *f = NULL;
    if (!raw || !z) goto done;
    for (long y = 0; y < height; y++) {
        raw[y * (stride + 1)] = 0;
        memcpy(raw + y * (stride + 1) + 1, pixels + y * stride, stride);
    }
    size_t n = 0, left = raw_size, at = 0;
    uint32_t a = 1, b = 0; /* Adler-32 of the uncompressed data */
    z[n++] = 0x78; z[n++] = 0x01;
    do {
        size_t len = left < 65535 ? left : 65535;
        z[n++] = left == len ? 1 : 0; /* BFINAL, BTYPE 00 = stored */
        z[n++] = (unsigned char)len; z[n++] = (unsigned char)(len >> 8);
        z[n++] = (unsigned char)~len; z[n++] = (unsigned char)(~len >> 8);
        memcpy(z + n, raw + at, len);
        for (size_t i = 0; i < len; i++) { a = (a + raw[at + i]) % 65521; b = (b + a) % 65521; }
        n += len; at += len; left -= len;
    } while (left > 0);
    put32(z + n, (b << 16) | a);
    n += 4;
    unsigned char ihdr[13];
    put32(ihdr, (uint32_t)width);
    put32(ihdr + 4, (uint32_t)height);
    ihdr[8] = 8; ihdr[9] = 6; ihdr[10] = 0; ihdr[11] = 0; ihdr[12] = 0; /* depth 8, RGBA */
    f = fopen(path, "wb");
    if (!f) goto done;
    if (fwrite("\x89PNG\r\n\x1a\n", 1, 8, f) != 8 || write_chunk(f, "IHDR", ihdr, 13) ||
        write_chunk(f, "IDAT", z, n) || write_chunk(f, "IEND", NULL, 0)) goto done;
    rc = 0;
done:
    if (f && fclose(f) != 0) rc = -1;
    free(raw);
    free(z);
    return rc;
}

static int write_file(const char *path, const unsigned char *data, size_t size) {
    FILE *f = fopen(path, "wb");
    if (!f) return -1;
    int ok = fwrite(data, 1, size, f) == size;
    return fclose(f) == 0 && ok ? 0 : -1;
}

/* ------------------------------------------------------------------ the client */

typedef struct {
    const char *control, *stream, *output_dir, *topic_prefix;
    double timeout_ms;
    long tile_w, tile_h, backdrop_w, backdrop_h, steps;
    const char *tile_prompt, *backdrop_prompt;
} options_t;

typedef struct {
    char id[64];
    const char *kind, *file;
    int png;     /* asked for format png (else rgba8 with mips) */
    int done;    /* reply received */
    int ok;      /* reply was a valid result, saved */
} request_t;

static void print_error_reply(json_t h) {
    char code[64] = "?", message[512] = "";
    json_string(json_get(h, "code"), code, sizeof code);
    json_string(json_get(h, "message"), message, sizeof message);
    fprintf(stderr, "error reply: %s: %s\n", code, message);
}

/* Checks and saves a generate result: the payload frames must match image.mips (§7.4). */
static int handle_result(const options_t *o, request_t *r, const message_t *m) {
    json_t h = header_of(m, 1), image = json_get(h, "image"), delivered = json_get(h, "delivered");
    json_t mips = json_get(image, "mips");
    char format[16] = "", reason[32] = "", cache[16] = "", path[4096];
    long long width, height, steps = -1;
    int degraded = 0;
    if (json_int(json_get(image, "width"), &width) || json_int(json_get(image, "height"), &height) ||
        json_string(json_get(image, "format"), format, sizeof format) || !mips.p) {
        fail("%s: result without image.width/height/format/mips", r->id);
        return -1;
    }
    json_int(json_get(delivered, "steps"), &steps);
    json_bool(json_get(delivered, "degraded"), &degraded);
    json_string(json_get(delivered, "reason"), reason, sizeof reason);
    json_string(json_get(delivered, "cache"), cache, sizeof cache);
    size_t levels = json_count(mips), payload = m->count - 2;
    if (levels != payload || levels == 0) {
        fail("%s: %zu payload frames for %zu mip levels", r->id, payload, levels);
        return -1;
    }
    for (size_t i = 0; i < levels; i++) {
        json_t level = json_at(mips, i);
        long long w, hgt, bytes;
        if (json_int(json_get(level, "width"), &w) || json_int(json_get(level, "height"), &hgt) ||
            json_int(json_get(level, "bytes"), &bytes) || (size_t)bytes != m->size[2 + i]) {
            fail("%s: mip level %zu: frame of %zu bytes does not match its header", r->id, i, m->size[2 + i]);
            return -1;
        }
        if (!r->png && bytes != w * hgt * 4) {
            fail("%s: rgba8 level %zu is %lldx%lld but %lld bytes", r->id, i, w, hgt, bytes);
            return -1;
        }
    }
    snprintf(path, sizeof path, "%s/%s", o->output_dir, r->file);
    if (strcmp(format, "png") == 0) {
        if (m->size[2] < 8 || memcmp(m->data[2], "\x89PNG\r\n\x1a\n", 8) != 0) {
            fail("%s: png payload without the PNG signature", r->id);
            return -1;
        }
        if (write_file(path, m->data[2], m->size[2])) { fail("cannot write %s: %s", path, strerror(errno)); return -1; }
    } else if (strcmp(format, "rgba8") == 0) {
        if (width <= 0 || height <= 0 || (size_t)(width * height * 4) != m->size[2]) {
            fail("%s: level 0 size mismatch", r->id);
            return -1;
        }
        if (write_png_rgba8(path, (long)width, (long)height, m->data[2])) {
            fail("cannot write %s: %s", path, strerror(errno));
            return -1;
        }
    } else {
        fail("%s: unknown image.format %s", r->id, format);
        return -1;
    }
    printf("%s: %lldx%lld %s, %zu level(s), %lld steps, %s%s%s, cache %s -> wrote %s\n", r->id, width, height,
           format, levels, steps, degraded ? "degraded (" : "full", degraded ? reason : "", degraded ? ")" : "",
           cache, path);
    return 0;
}

/* A stream message: [topic][TESS\x01][header][rgba8 level 0] (§8). Best effort: only printed. */
static void handle_preview(const message_t *m) {
    if (m->count < 1) return;
    if (check_signature(m, 1)) { fprintf(stderr, "skipping a broken stream message\n"); return; }
    json_t h = header_of(m, 2), image = json_get(h, "image");
    char id[80] = "?";
    long long step = 0, steps = 0, w = 0, hgt = 0;
    int final = 0;
    json_string(json_get(h, "id"), id, sizeof id);
    json_int(json_get(h, "step"), &step);
    json_int(json_get(h, "steps"), &steps);
    json_bool(json_get(h, "final"), &final);
    json_int(json_get(image, "width"), &w);
    json_int(json_get(image, "height"), &hgt);
    printf("preview [%.*s] %s step %lld/%lld%s %lldx%lld, %zu payload bytes\n", (int)m->size[0],
           (const char *)m->data[0], id, step, steps, final ? " final" : "", w, hgt,
           m->count > 3 ? m->size[3] : (size_t)0);
}

/* Waits for one message on `dealer` while printing previews from `sub` (may be NULL). */
static int wait_reply(void *dealer, void *sub, double deadline, message_t *reply, int *previews) {
    for (;;) {
        double left = deadline - now_ms();
        if (left <= 0) return 1; /* timed out */
        zmq_pollitem_t items[2] = {{dealer, 0, ZMQ_POLLIN, 0}, {sub, 0, ZMQ_POLLIN, 0}};
        int rc = zmq_poll(items, sub ? 2 : 1, (long)left + 1);
        if (rc < 0) {
            if (zmq_errno() == EINTR) continue;
            fail("zmq_poll: %s", zmq_strerror(zmq_errno()));
            return -1;
        }
        if (sub && (items[1].revents & ZMQ_POLLIN)) {
            message_t m;
            if (message_recv(sub, &m) == 0) { handle_preview(&m); (*previews)++; message_free(&m); }
        }
        if (items[0].revents & ZMQ_POLLIN) return message_recv(dealer, reply);
    }
}

static int run(const options_t *o) {
    int status = 1, previews = 0;
    void *context = zmq_ctx_new();
    void *dealer = zmq_socket(context, ZMQ_DEALER), *sub = NULL;
    int zero = 0;
    char topic[128], header[4096], tile_prompt[1024], backdrop_prompt[1024];
    message_t reply = {0};
    request_t requests[2] = {{"", "tile", "tile.png", 0, 0, 0}, {"", "backdrop", "backdrop.png", 1, 0, 0}};
    snprintf(requests[0].id, sizeof requests[0].id, "c-tile-%ld", (long)getpid());
    snprintf(requests[1].id, sizeof requests[1].id, "c-backdrop-%ld", (long)getpid());
    snprintf(topic, sizeof topic, "%s%ld/", o->topic_prefix, (long)getpid());

    if (!dealer || zmq_setsockopt(dealer, ZMQ_LINGER, &zero, sizeof zero) || zmq_connect(dealer, o->control)) {
        fail("control socket %s: %s", o->control, zmq_strerror(zmq_errno()));
        goto done;
    }
    if (o->stream && *o->stream) {
        sub = zmq_socket(context, ZMQ_SUB);
        if (!sub || zmq_setsockopt(sub, ZMQ_LINGER, &zero, sizeof zero) ||
            zmq_setsockopt(sub, ZMQ_SUBSCRIBE, topic, strlen(topic)) || zmq_connect(sub, o->stream)) {
            fail("stream socket %s: %s", o->stream, zmq_strerror(zmq_errno()));
            goto done;
        }
    }

    /* hello: checks the daemon answers and shows what it serves (§6.1, §7.1). */
    double deadline = now_ms() + o->timeout_ms;
    if (send_request(dealer, "{\"type\":\"hello\",\"id\":\"c-hello\"}")) goto done;
    int rc = wait_reply(dealer, NULL, deadline, &reply, &previews);
    if (rc > 0) { fail("no reply from %s within %.0f ms (is tesserad running?)", o->control, o->timeout_ms); goto done; }
    if (rc < 0 || check_signature(&reply, 0)) goto done;
    {
        json_t h = header_of(&reply, 1);
        char st[16] = "", server[128] = "?", model[128] = "?";
        long long max_w = 0, max_h = 0, max_steps = 0;
        json_string(json_get(h, "status"), st, sizeof st);
        if (strcmp(st, "ok") != 0) { print_error_reply(h); goto done; }
        json_string(json_get(h, "server"), server, sizeof server);
        json_string(json_get(h, "default_model"), model, sizeof model);
        json_t limits = json_get(h, "limits");
        json_int(json_get(limits, "max_width"), &max_w);
        json_int(json_get(limits, "max_height"), &max_h);
        json_int(json_get(limits, "max_steps"), &max_steps);
        printf("server %s, default model %s, %zu model(s), max %lldx%lld, max %lld steps\n", server, model,
               json_count(json_get(h, "models")), max_w, max_h, max_steps);
    }
    message_free(&reply);

    /* Give the subscription time to reach the daemon: previews published before it are lost. */
    if (sub) {
        struct timespec pause = {0, 200 * 1000 * 1000};
        nanosleep(&pause, NULL);
    }

    /* Two generate requests in flight at once (§6.4); the header is built with snprintf. */
    if (json_escape(tile_prompt, sizeof tile_prompt, o->tile_prompt) ||
        json_escape(backdrop_prompt, sizeof backdrop_prompt, o->backdrop_prompt)) {
        fail("prompt too long");
        goto done;
    }
    for (int i = 0; i < 2; i++) {
        request_t *r = &requests[i];
        char steps[32] = "", preview[200] = "";
        if (o->steps > 0) snprintf(steps, sizeof steps, ",\"steps\":%ld", o->steps);
        if (sub) snprintf(preview, sizeof preview, ",\"preview\":{\"topic\":\"%s%s\"}", topic, r->kind);
        int n = snprintf(header, sizeof header,
                         "{\"type\":\"generate\",\"id\":\"%s\",\"kind\":\"%s\",\"prompt\":\"%s\","
                         "\"width\":%ld,\"height\":%ld%s,\"format\":%s%s}",
                         r->id, r->kind, i == 0 ? tile_prompt : backdrop_prompt, i == 0 ? o->tile_w : o->backdrop_w,
                         i == 0 ? o->tile_h : o->backdrop_h, steps,
                         r->png ? "{\"type\":\"png\"}" : "{\"type\":\"rgba8\",\"mips\":true}", preview);
        if (n < 0 || (size_t)n >= sizeof header) { fail("request header too long"); goto done; }
        if (send_request(dealer, header)) goto done;
    }

    deadline = now_ms() + o->timeout_ms;
    int pending = 2, failures = 0;
    while (pending > 0) {
        rc = wait_reply(dealer, sub, deadline, &reply, &previews);
        if (rc > 0) {
            fail("no reply within %.0f ms for %d request(s)", o->timeout_ms, pending);
            goto done;
        }
        if (rc < 0 || check_signature(&reply, 0)) goto done;
        json_t h = header_of(&reply, 1);
        char id[80] = "", st[16] = "";
        json_string(json_get(h, "id"), id, sizeof id);
        json_string(json_get(h, "status"), st, sizeof st);
        request_t *r = NULL;
        for (int i = 0; i < 2; i++)
            if (!requests[i].done && strcmp(requests[i].id, id) == 0) r = &requests[i];
        if (!r) {
            fprintf(stderr, "ignoring a reply to unknown id '%s'\n", id);
            message_free(&reply);
            continue;
        }
        r->done = 1;
        pending--;
        if (strcmp(st, "ok") != 0) {
            print_error_reply(h);
            failures++;
        } else if (handle_result(o, r, &reply) == 0) {
            r->ok = 1;
        } else {
            failures++;
        }
        message_free(&reply);
    }

    /* Late previews: drain briefly, never waiting more than 100 ms for the next one. */
    while (sub) {
        zmq_pollitem_t item = {sub, 0, ZMQ_POLLIN, 0};
        if (zmq_poll(&item, 1, 100) <= 0 || !(item.revents & ZMQ_POLLIN)) break;
        message_t m;
        if (message_recv(sub, &m) == 0) { handle_preview(&m); previews++; message_free(&m); }
    }
    if (sub) printf("%d preview(s) received (best effort: may be 0)\n", previews);
    status = failures ? 1 : 0;

done:
    message_free(&reply);
    if (sub) zmq_close(sub);
    if (dealer) zmq_close(dealer);
    zmq_ctx_term(context);
    return status;
}

static int parse_size(const char *s, long *w, long *h) {
    char *x;
    *w = strtol(s, &x, 10);
    if (x == s || (*x != 'x' && *x != 'X')) return -1;
    const char *rest = x + 1;
    *h = strtol(rest, &x, 10);
    return x == rest || *x || *w <= 0 || *h <= 0 ? -1 : 0;
}

static void usage(FILE *f) {
    fputs("usage: tessera-client [--control EP] [--stream EP|''] [--timeout SECONDS] [--output-dir DIR]\n"
          "                      [--tile WxH] [--backdrop WxH] [--steps N] [--topic PREFIX]\n"
          "                      [--tile-prompt TEXT] [--backdrop-prompt TEXT]\n"
          "defaults: --control tcp://127.0.0.1:5555 --stream tcp://127.0.0.1:5556 --timeout 60\n"
          "          --output-dir . --tile 64x64 --backdrop 128x64 --topic samples/c/\n",
          f);
}

int main(int argc, char **argv) {
    options_t o = {"tcp://127.0.0.1:5555", "tcp://127.0.0.1:5556", ".", "samples/c/", 60000.0,
                   64, 64, 128, 64, 0, "mossy cobblestone, seamless texture", "stormy sky at dusk, panorama"};
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!strcmp(a, "-h") || !strcmp(a, "--help")) { usage(stdout); return 0; }
        if (!v) { usage(stderr); return 1; }
        i++;
        if (!strcmp(a, "--control")) o.control = v;
        else if (!strcmp(a, "--stream")) o.stream = v;
        else if (!strcmp(a, "--output-dir")) o.output_dir = v;
        else if (!strcmp(a, "--topic")) o.topic_prefix = v;
        else if (!strcmp(a, "--tile-prompt")) o.tile_prompt = v;
        else if (!strcmp(a, "--backdrop-prompt")) o.backdrop_prompt = v;
        else if (!strcmp(a, "--timeout")) {
            char *end;
            o.timeout_ms = strtod(v, &end) * 1000.0;
            if (end == v || *end || o.timeout_ms <= 0) { fail("bad --timeout %s", v); return 1; }
        } else if (!strcmp(a, "--steps")) {
            char *end;
            o.steps = strtol(v, &end, 10);
            if (end == v || *end || o.steps <= 0) { fail("bad --steps %s", v); return 1; }
        } else if (!strcmp(a, "--tile")) {
            if (parse_size(v, &o.tile_w, &o.tile_h)) { fail("bad --tile %s (want WxH)", v); return 1; }
        } else if (!strcmp(a, "--backdrop")) {
            if (parse_size(v, &o.backdrop_w, &o.backdrop_h)) { fail("bad --backdrop %s (want WxH)", v); return 1; }
        } else {
            fail("unknown option %s", a);
            usage(stderr);
            return 1;
        }
    }
    if (strlen(o.topic_prefix) > 64) { fail("--topic too long"); return 1; }
    crc_init();
    return run(&o);
}
