/* What bench/rtp_blast.c and bench/rtp_churn.c share: a stop flag set by SIGTERM/SIGINT,
 * a monotonic clock in seconds, the sending socket, and the 1 ms slot clock that paces
 * every sendmmsg(2) batch.  Included by both; built by bench/loadgen.py build_native. */
#ifndef SRS_BENCH_RTP_PACE_H
#define SRS_BENCH_RTP_PACE_H

#include <signal.h>
#include <stdio.h>
#include <sys/socket.h>
#include <time.h>

static volatile sig_atomic_t stop_flag = 0;
static void on_signal(int sig) { (void)sig; stop_flag = 1; }

static double now_s(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* A UDP socket with a 4 MB send buffer; SIGTERM/SIGINT end the run.  -1 on failure. */
static int open_sender(void) {
    int fd = socket(AF_INET, SOCK_DGRAM, 0);
    if (fd < 0) { perror("socket"); return -1; }
    int sndbuf = 4 << 20;
    setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &sndbuf, sizeof sndbuf);
    signal(SIGTERM, on_signal);
    signal(SIGINT, on_signal);
    return fd;
}

/* Sleep until 1 ms slot number `slot` after `base`; returns 1 (without sleeping) when
 * more than a slot behind, so the caller catches up and counts it late. */
static int wait_slot(const struct timespec *base, long slot) {
    struct timespec due = *base;
    due.tv_sec += slot / 1000;
    due.tv_nsec += (slot % 1000) * 1000000L;
    if (due.tv_nsec >= 1000000000L) { due.tv_sec++; due.tv_nsec -= 1000000000L; }
    struct timespec cur;
    clock_gettime(CLOCK_MONOTONIC, &cur);
    if (cur.tv_sec > due.tv_sec ||
        (cur.tv_sec == due.tv_sec && cur.tv_nsec > due.tv_nsec + 1000000L))
        return 1;
    clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &due, NULL);
    return 0;
}

#endif
