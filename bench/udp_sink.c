/* udp_sink: the machine's ceiling for bench/run.py -- the cheapest possible receiver.
 *
 * Binds N UDP sockets on HOST (OS-chosen ports, SO_RCVBUF like srs's media.rcvbuf),
 * writes their ports to PORTS_FILE (one a line), then drains them with epoll +
 * recvmmsg(2), counting the packets rtp_blast sent (SSRC 0x5250xxxx: strays from other
 * processes on a reused port are not counted) and doing nothing else, until
 * SIGTERM/SIGINT.  Prints:
 *   received <packets> sockets <n>
 *
 *   udp_sink N PORTS_FILE [HOST] [RCVBUF_BYTES]
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#define BATCH 64
#define SLOT 2048

static volatile sig_atomic_t stop_flag = 0;
static void on_signal(int sig) { (void)sig; stop_flag = 1; }

int main(int argc, char **argv) {
    if (argc < 3) {
        fprintf(stderr, "usage: %s N PORTS_FILE [HOST] [RCVBUF_BYTES]\n", argv[0]);
        return 2;
    }
    int n = atoi(argv[1]);
    const char *host = argc > 3 ? argv[3] : "127.0.0.1";
    int rcvbuf = argc > 4 ? atoi(argv[4]) : 1048576;
    if (n <= 0) { fprintf(stderr, "udp_sink: N must be positive\n"); return 2; }
    int ep = epoll_create1(0);
    FILE *out = fopen(argv[2], "w");
    if (ep < 0 || !out) { perror("udp_sink"); return 2; }
    for (int i = 0; i < n; i++) {
        int fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0);
        if (fd < 0) { perror("socket"); return 2; }
        if (rcvbuf > 0) setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof rcvbuf);
        struct sockaddr_in a = {0};
        a.sin_family = AF_INET;
        inet_pton(AF_INET, host, &a.sin_addr);
        socklen_t alen = sizeof a;
        if (bind(fd, (struct sockaddr *)&a, sizeof a) < 0 ||
            getsockname(fd, (struct sockaddr *)&a, &alen) < 0) {
            perror("bind");
            return 2;
        }
        struct epoll_event ev = {.events = EPOLLIN, .data.fd = fd};
        epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev);
        fprintf(out, "%d\n", ntohs(a.sin_port));
    }
    fclose(out);
    signal(SIGTERM, on_signal);
    signal(SIGINT, on_signal);
    static unsigned char bufs[BATCH][SLOT];
    struct mmsghdr msgs[BATCH];
    struct iovec iov[BATCH];
    for (int i = 0; i < BATCH; i++) {
        iov[i].iov_base = bufs[i];
        iov[i].iov_len = SLOT;
        memset(&msgs[i], 0, sizeof msgs[i]);
        msgs[i].msg_hdr.msg_iov = &iov[i];
        msgs[i].msg_hdr.msg_iovlen = 1;
    }
    printf("ready\n");
    fflush(stdout);
    unsigned long received = 0;
    struct epoll_event events[256];
    while (!stop_flag) {
        int r = epoll_wait(ep, events, 256, 100);
        for (int e = 0; e < r; e++) {
            for (;;) {
                int got = recvmmsg(events[e].data.fd, msgs, BATCH, MSG_DONTWAIT, NULL);
                if (got <= 0) break;
                for (int i = 0; i < got; i++)
                    if (msgs[i].msg_len >= 12 && bufs[i][8] == 0x52 && bufs[i][9] == 0x50)
                        received++;
                if (got < BATCH) break;
            }
        }
    }
    printf("received %lu sockets %d\n", received, n);
    return 0;
}
