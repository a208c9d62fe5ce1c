/* rtp_churn: paced G.711 RTP for calls that come and go, for bench/churn.py.
 *
 * Why: bench/rtp_blast sends to a fixed list of ports for a fixed time; under churn the
 * calls (and their ports) appear while the sender runs.  This one tails the SIPp log
 * files the scenario appends "<call_number> <port1> <port2>" lines to, and for each new
 * line sends the call's 2 streams, 50 packets/s each (12 + 160 bytes, PCMU, 20 ms), for
 * HOLD seconds starting in the 1 ms slot the line was read (HOLD 0: until stopped).
 * One sendmmsg(2) per 1 ms slot carries every stream whose 20 ms phase falls in it.
 *
 *   rtp_churn MAX_SECONDS LOG HOLD SSRC_BASE [LOG HOLD SSRC_BASE ...]
 *
 * Stream k (0, 1) of call n read from a LOG sends with SSRC SSRC_BASE + 2n + k (decimal
 * or 0x hex), its own sequence numbers and timestamps.  Runs until SIGTERM/SIGINT or
 * MAX_SECONDS, then prints on stdout:
 *   sent <packets> streams <n> seconds <wall> late_slots <n> errors <n> calls <n>
 * and one "ssrc <ssrc> <port> <packets>" line per stream (SSRC in decimal).
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "rtp_pace.h"

#define BATCH 1024
#define PERIOD_MS 20      /* 50 packets/s */
#define PAYLOAD 160       /* 20 ms of PCMU */
#define PKT_LEN (12 + PAYLOAD)
#define MAX_SOURCES 8
#define LINE_MAX_LEN 256

struct stream {
    struct sockaddr_in dst;
    uint32_t ssrc;
    uint32_t count;
    long end_slot; /* first slot it no longer sends in; -1: until stopped */
};

struct source {
    const char *path;
    int fd;
    long hold_ms;
    uint32_t ssrc_base;
    char line[LINE_MAX_LEN];
    size_t used;
};


static struct stream *streams;
static size_t n_streams, cap_streams;
static int *bucket[PERIOD_MS]; /* stream indices by phase (start slot mod 20) */
static size_t bucket_len[PERIOD_MS], bucket_cap[PERIOD_MS];
static unsigned long calls;

static void *grow(void *ptr, size_t *cap, size_t need, size_t size) {
    if (need <= *cap) return ptr;
    size_t next = *cap ? *cap * 2 : 1024;
    while (next < need) next *= 2;
    void *p = realloc(ptr, next * size);
    if (!p) { perror("realloc"); exit(2); }
    *cap = next;
    return p;
}

static void add_stream(int port, uint32_t ssrc, long slot, long hold_ms) {
    streams = grow(streams, &cap_streams, n_streams + 1, sizeof *streams);
    struct stream *s = &streams[n_streams];
    memset(s, 0, sizeof *s);
    s->dst.sin_family = AF_INET;
    s->dst.sin_port = htons((uint16_t)port);
    s->dst.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    s->ssrc = ssrc;
    s->end_slot = hold_ms > 0 ? slot + hold_ms : -1;
    int ph = (int)(slot % PERIOD_MS);
    bucket[ph] = grow(bucket[ph], &bucket_cap[ph], bucket_len[ph] + 1, sizeof(int));
    bucket[ph][bucket_len[ph]++] = (int)n_streams;
    n_streams++;
}

/* One complete log line: "<call_number> <port1> <port2>"; anything else is skipped. */
static void on_line(struct source *src, const char *line, long slot) {
    unsigned long number;
    int p1, p2;
    char extra;
    if (sscanf(line, "%lu %d %d %c", &number, &p1, &p2, &extra) != 3) return;
    if (p1 <= 0 || p1 > 65535 || p2 <= 0 || p2 > 65535) return;
    uint32_t ssrc = src->ssrc_base + 2u * (uint32_t)number;
    add_stream(p1, ssrc, slot, src->hold_ms);
    add_stream(p2, ssrc + 1, slot, src->hold_ms);
    calls++;
}

/* Read what was appended to the log since the last call (the file may not exist yet). */
static void poll_source(struct source *src, long slot) {
    if (src->fd < 0) {
        src->fd = open(src->path, O_RDONLY | O_NONBLOCK);
        if (src->fd < 0) return;
    }
    char buf[65536];
    for (;;) {
        ssize_t got = read(src->fd, buf, sizeof buf);
        if (got <= 0) return;
        for (ssize_t i = 0; i < got; i++) {
            if (buf[i] == '\n') {
                src->line[src->used] = '\0';
                on_line(src, src->line, slot);
                src->used = 0;
            } else if (src->used < LINE_MAX_LEN - 1) {
                src->line[src->used++] = buf[i];
            }
        }
    }
}

int main(int argc, char **argv) {
    if (argc < 5 || (argc - 2) % 3 != 0 || (argc - 2) / 3 > MAX_SOURCES) {
        fprintf(stderr, "usage: %s MAX_SECONDS LOG HOLD SSRC_BASE [LOG HOLD SSRC_BASE ...]\n",
                argv[0]);
        return 2;
    }
    double max_seconds = atof(argv[1]);
    struct source sources[MAX_SOURCES];
    int n_sources = (argc - 2) / 3;
    for (int i = 0; i < n_sources; i++) {
        sources[i].path = argv[2 + 3 * i];
        sources[i].fd = -1;
        sources[i].hold_ms = (long)(atof(argv[3 + 3 * i]) * 1000.0);
        sources[i].ssrc_base = (uint32_t)strtoul(argv[4 + 3 * i], NULL, 0);
        sources[i].used = 0;
    }
    static uint8_t pkts[BATCH][PKT_LEN];
    static struct mmsghdr msgs[BATCH];
    static struct iovec iov[BATCH];
    static int idx[BATCH];
    for (int b = 0; b < BATCH; b++) {
        pkts[b][0] = 0x80; /* V=2 */
        pkts[b][1] = 0;    /* PT 0 = PCMU */
        for (int i = 0; i < PAYLOAD; i++) /* a quiet 1 kHz-ish square wave in mu-law */
            pkts[b][12 + i] = (i / 4) % 2 ? 0x9f : 0x1f;
    }
    int fd = open_sender();
    if (fd < 0) return 2;

    unsigned long sent = 0, errors = 0, late = 0;
    double start = now_s();
    long total_slots = (long)(max_seconds * 1000.0);
    struct timespec base;
    clock_gettime(CLOCK_MONOTONIC, &base);
    for (long slot = 0; slot < total_slots && !stop_flag; slot++) {
        late += wait_slot(&base, slot); /* late: more than a slot behind, caught up */
        for (int i = 0; i < n_sources; i++) poll_source(&sources[i], slot);

        int ph = (int)(slot % PERIOD_MS);
        int b = 0;
        size_t j = 0;
        while (j < bucket_len[ph] || b > 0) {
            if (j < bucket_len[ph]) {
                struct stream *s = &streams[bucket[ph][j]];
                if (s->end_slot >= 0 && slot >= s->end_slot) {
                    bucket[ph][j] = bucket[ph][--bucket_len[ph]]; /* done: swap-remove */
                    continue;
                }
                uint8_t *p = pkts[b];
                uint16_t seq = htons((uint16_t)s->count);
                uint32_t ts = htonl(s->count * (uint32_t)PAYLOAD);
                uint32_t ssrc = htonl(s->ssrc);
                memcpy(p + 2, &seq, 2);
                memcpy(p + 4, &ts, 4);
                memcpy(p + 8, &ssrc, 4);
                iov[b].iov_base = p;
                iov[b].iov_len = PKT_LEN;
                memset(&msgs[b].msg_hdr, 0, sizeof msgs[b].msg_hdr);
                msgs[b].msg_hdr.msg_name = &s->dst;
                msgs[b].msg_hdr.msg_namelen = sizeof s->dst;
                msgs[b].msg_hdr.msg_iov = &iov[b];
                msgs[b].msg_hdr.msg_iovlen = 1;
                idx[b++] = bucket[ph][j++];
                if (b < BATCH && j < bucket_len[ph]) continue;
            }
            int done = 0;
            while (done < b) {
                int r = sendmmsg(fd, msgs + done, (unsigned)(b - done), 0);
                if (r < 0) {
                    if (errno == EINTR) continue;
                    errors++;
                    done++; /* skip the failing datagram */
                    continue;
                }
                for (int i = done; i < done + r; i++) streams[idx[i]].count++;
                sent += (unsigned long)r;
                done += r;
            }
            b = 0;
        }
    }
    double wall = now_s() - start;
    printf("sent %lu streams %zu seconds %.3f late_slots %lu errors %lu calls %lu\n", sent,
           n_streams, wall, late, errors, calls);
    for (size_t k = 0; k < n_streams; k++)
        printf("ssrc %u %d %u\n", streams[k].ssrc, ntohs(streams[k].dst.sin_port),
               streams[k].count);
    return 0;
}
