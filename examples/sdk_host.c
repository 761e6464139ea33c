#define _POSIX_C_SOURCE 200809L
/*
 * sdk_host: a C host written only against the SDK-style C API (foldback/compat/asio.h),
 * as a ported Steinberg-SDK host would be. It loads an instance by name, prints what the
 * driver offers, streams every channel for a while and checks what a host relies on:
 * buffer index 0,1,0,1..., position +bufferSize per switch, and that every shortfall of
 * switches against wall-clock time is accounted for by kAsioOverload messages.
 *
 *   sdk_host NAME [SECONDS] [BUFFER_SIZE]      exit 0 = all checks passed
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "foldback/compat/asio.h"

static struct {
    long bufferSize;
    long switches, badIndex, badPosition, overloads, resyncs, resets;
    long expectIndex;
    ASIOSamples expectPosition;
    ASIOSamples lastPosition;
    int timeInfo;
} g;

static void onSwitch(long index, ASIOSamples position) {
    if (index != g.expectIndex) g.badIndex++;
    if (position != g.expectPosition) {
        /* A jump is legitimate only when the driver said it lost sync. */
        if (!(g.resyncs > 0 && position > g.expectPosition && position % g.bufferSize == 0))
            g.badPosition++;
    }
    g.expectIndex = index ^ 1;
    g.lastPosition = position;
    g.expectPosition = position + g.bufferSize;
    g.switches++;
    ASIOOutputReady(); /* as RtAudio does: harmless whatever the driver answered */
}

static void bufferSwitch(long index, ASIOBool direct) {
    ASIOSamples pos = 0;
    ASIOTimeStamp stamp = 0;
    (void)direct;
    g.timeInfo = 0;
    if (ASIOGetSamplePosition(&pos, &stamp) != ASE_OK) pos = -1;
    onSwitch(index, pos);
}

static ASIOTime* bufferSwitchTimeInfo(ASIOTime* params, long index, ASIOBool direct) {
    (void)direct;
    g.timeInfo = 1;
    onSwitch(index, params->timeInfo.samplePosition);
    return NULL;
}

static void sampleRateDidChange(ASIOSampleRate rate) {
    (void)rate;
}

static long asioMessage(long selector, long value, void* message, double* opt) {
    (void)message;
    (void)opt;
    switch (selector) {
        case kAsioSelectorSupported:
            return value == kAsioEngineVersion || value == kAsioSupportsTimeInfo ||
                   value == kAsioOverload || value == kAsioResyncRequest ||
                   value == kAsioResetRequest;
        case kAsioEngineVersion:
            return 2;
        case kAsioSupportsTimeInfo:
            return 1;
        case kAsioOverload:
            g.overloads++;
            return 1;
        case kAsioResyncRequest:
            g.resyncs++;
            return 1;
        case kAsioResetRequest:
            g.resets++;
            return 1;
        default:
            return 0;
    }
}

static double now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

int main(int argc, char** argv) {
    const char* name = argc > 1 ? argv[1] : "loopback";
    const double seconds = argc > 2 ? atof(argv[2]) : 10.0;
    long in = 0, out = 0, minSize, maxSize, pref, gran, inLat, outLat;
    ASIODriverInfo info;
    ASIOSampleRate rate = 0;
    ASIOBufferInfo* infos;
    ASIOCallbacks callbacks = {bufferSwitch, sampleRateDidChange, asioMessage,
                               bufferSwitchTimeInfo};
    long n, i;

    if (ASIOLoadDriver(name) != ASE_OK) {
        fprintf(stderr, "sdk_host: cannot load '%s': %s\n", name, ASIOLastLoadError());
        return 2;
    }
    memset(&info, 0, sizeof info);
    info.asioVersion = 2;
    if (ASIOInit(&info) != ASE_OK) {
        fprintf(stderr, "sdk_host: init failed: %s\n", info.errorMessage);
        return 2;
    }
    ASIOGetChannels(&in, &out);
    ASIOGetBufferSize(&minSize, &maxSize, &pref, &gran);
    ASIOGetSampleRate(&rate);
    g.bufferSize = argc > 3 ? atol(argv[3]) : pref;
    printf("driver '%s' version %ld: %ld in, %ld out, %.0f Hz, buffer %ld..%ld pref %ld gran %ld\n",
           info.name, info.driverVersion, in, out, rate, minSize, maxSize, pref, gran);

    n = in + out;
    infos = calloc((size_t)n, sizeof *infos);
    for (i = 0; i < n; i++) {
        infos[i].isInput = i < in ? ASIOTrue : ASIOFalse;
        infos[i].channelNum = i < in ? i : i - in;
    }
    if (ASIOCreateBuffers(infos, n, g.bufferSize, &callbacks) != ASE_OK) {
        char text[124];
        fprintf(stderr, "sdk_host: createBuffers(%ld) failed\n", g.bufferSize);
        (void)text;
        ASIOExit();
        return 2;
    }
    ASIOGetLatencies(&inLat, &outLat);
    printf("buffer %ld frames, latency in %ld + out %ld frames\n", g.bufferSize, inLat, outLat);

    double t0 = now();
    if (ASIOStart() != ASE_OK) {
        fprintf(stderr, "sdk_host: start failed\n");
        ASIOExit();
        return 2;
    }
    while (now() - t0 < seconds) {
        struct timespec ts = {0, 20000000};
        nanosleep(&ts, NULL);
    }
    ASIOStop();
    const double elapsed = now() - t0;
    ASIODisposeBuffers();
    ASIOExit();
    free(infos);

    const double nominal = elapsed * rate / (double)g.bufferSize;
    const double share = g.switches / nominal;
    printf(
        "%ld switches in %.2f s (%.1f%% of nominal %.0f), time info %s, index errors %ld, "
        "position errors %ld, overloads %ld, resyncs %ld\n",
        g.switches, elapsed, 100.0 * share, nominal, g.timeInfo ? "yes" : "no", g.badIndex,
        g.badPosition, g.overloads, g.resyncs);
    int ok = g.badIndex == 0 && g.badPosition == 0 && share >= 0.90;
    /* Every shortfall is counted: fewer switches than nominal only with overload reports. */
    if (share < 0.999 && g.overloads == 0) ok = 0;
    printf("%s\n", ok ? "PASS" : "FAIL");
    return ok ? 0 : 1;
}
