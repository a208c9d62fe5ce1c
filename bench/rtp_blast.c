/* rtp_blast: paced G.711 RTP load for bench/run.py (built with the system gcc).
 *
 * Why C: at 1,000 calls x 2 streams x 50 pps = 100,000 packets/s a Python sender would
 * need most of a core itself on the 2-core box it shares with srs; here one sendmmsg(2)
 * per 1 ms slot sends every stream whose 20 ms phase falls in that slot.
 *
 *   rtp_blast PORTS_FILE SECONDS [HOST] [PPS] [PAYLOAD_BYTES]
 *
 * PORTS_FILE holds one destination UDP port per line (one RTP stream each).  Stream k
 * sends every 1000/PPS ms, phase-shifted by k ms, with its own SSRC (0x5250_0000 + k),
 * sequence numbers and timestamps (payload type 0, PCMU).  Prints on stdout:
 *   sent <packets> streams <n> seconds <wall> late_slots <n> errors <n>
 * and one "port <port> <packets>" line per stream.  Stops early on SIGTERM/SIGINT.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
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

#define MAX_STREAMS 65536
#define BATCH 1024


int main(int argc, char **argv) {
    if (argc < 3) {
        fprintf(stderr, "usage: %s PORTS_FILE SECONDS [HOST] [PPS] [PAYLOAD_BYTES]\n", argv[0]);
        return 2;
    }
    double seconds = atof(argv[2]);
    const char *host = argc > 3 ? argv[3] : "127.0.0.1";
    int pps = argc > 4 ? atoi(argv[4]) : 50;
    int payload = argc > 5 ? atoi(argv[5]) : 160;
    if (pps <= 0 || pps > 1000 || payload <= 0 || payload > 1400) {
        fprintf(stderr, "rtp_blast: bad PPS or PAYLOAD_BYTES\n");
        return 2;
    }
    FILE *fh = fopen(argv[1], "r");
    if (!fh) { perror(argv[1]); return 2; }
    static int ports[MAX_STREAMS];
    int n = 0, port;
    while (n < MAX_STREAMS && fscanf(fh, "%d", &port) == 1) ports[n++] = port;
    fclose(fh);
    if (n == 0) { fprintf(stderr, "rtp_blast: no ports in %s\n", argv[1]); return 2; }

    int period_ms = 1000 / pps;  /* slots per cycle: stream k sends in slot k % period */
    size_t len = 12 + (size_t)payload;
    uint8_t *pkts = calloc((size_t)n, len);
    struct sockaddr_in *dst = calloc((size_t)n, sizeof *dst);
    unsigned long *count = calloc((size_t)n, sizeof *count);
    struct mmsghdr *msgs = calloc(BATCH, sizeof *msgs);
    struct iovec *iov = calloc(BATCH, sizeof *iov);
    static int idx[BATCH]; /* stream index of each message in the batch */
    if (!pkts || !dst || !count || !msgs || !iov) { perror("calloc"); return 2; }
    for (int k = 0; k < n; k++) {
        uint8_t *p = pkts + (size_t)k * len;
        p[0] = 0x80;  /* V=2 */
        p[1] = 0;     /* PT 0 = PCMU */
        uint32_t ssrc = htonl(0x52500000u + (uint32_t)k);
        memcpy(p + 8, &ssrc, 4);
        for (int i = 0; i < payload; i++)  /* a quiet 1 kHz-ish square wave in mu-law */
            p[12 + i] = (i / 4) % 2 ? 0x9f : 0x1f;
        dst[k].sin_family = AF_INET;
        dst[k].sin_port = htons((uint16_t)ports[k]);
        if (inet_pton(AF_INET, host, &dst[k].sin_addr) != 1) {
            fprintf(stderr, "rtp_blast: bad host %s\n", host);
            return 2;
        }
    }
    int fd = open_sender();
    if (fd < 0) return 2;

    unsigned long sent = 0, errors = 0, late = 0;
    double start = now_s();
    long total_slots = (long)(seconds * 1000.0);
    struct timespec base;
    clock_gettime(CLOCK_MONOTONIC, &base);
    for (long slot = 0; slot < total_slots && !stop_flag; slot++) {
        late += wait_slot(&base, slot); /* late: more than a slot behind, caught up */
        int phase = (int)(slot % period_ms);
        int b = 0;
        for (int k = phase; k < n; k += period_ms) {
            uint8_t *p = pkts + (size_t)k * len;
            uint16_t seq = htons((uint16_t)count[k]);
            uint32_t ts = htonl((uint32_t)(count[k] * (unsigned long)payload));
            memcpy(p + 2, &seq, 2);
            memcpy(p + 4, &ts, 4);
            iov[b].iov_base = p;
            iov[b].iov_len = len;
            memset(&msgs[b].msg_hdr, 0, sizeof msgs[b].msg_hdr);
            msgs[b].msg_hdr.msg_name = &dst[k];
            msgs[b].msg_hdr.msg_namelen = sizeof dst[k];
            msgs[b].msg_hdr.msg_iov = &iov[b];
            msgs[b].msg_hdr.msg_iovlen = 1;
            idx[b] = k;
            b++;
            if (b == BATCH || k + period_ms >= n) {
                int done = 0;
                while (done < b) {
                    int r = sendmmsg(fd, msgs + done, (unsigned)(b - done), 0);
                    if (r < 0) {
                        if (errno == EINTR) continue;
                        errors++;
                        done++;  /* skip the failing datagram (e.g. ECONNREFUSED) */
                        continue;
                    }
                    for (int i = done; i < done + r; i++) count[idx[i]]++;
                    sent += (unsigned long)r;
                    done += r;
                }
                b = 0;
            }
        }
    }
    double wall = now_s() - start;
    printf("sent %lu streams %d seconds %.3f late_slots %lu errors %lu\n", sent, n, wall, late, errors);
    for (int k = 0; k < n; k++) printf("port %d %lu\n", ports[k], count[k]);
    return 0;
}
