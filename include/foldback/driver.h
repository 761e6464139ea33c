/*
 * foldback/driver.h -- the driver object, its 24-slot vtable, the four exported entry
 * points, and Foldback's reserved future() selectors.
 *
 * Binary-compatible with the cwASIO Linux driver ABI (spec/linux-abi.md §1-§2): drivers
 * built here load in cwASIO hosts, and cwASIO drivers load in Foldback hosts.
 *
 * Thread tags used below (defined in docs/abi.md):
 *   [control]  one host thread at a time, never from inside a driver callback
 *   [any]      any thread, including the audio thread inside bufferSwitch
 *   [rt]       the audio thread
 */
#ifndef FOLDBACK_DRIVER_H
#define FOLDBACK_DRIVER_H

#include <pthread.h>

#include "asio.h"

/* Hand-aligned ABI declarations; tests/abi matches their text. */
/* clang-format off */
#ifdef __cplusplus
extern "C" {
#endif

typedef struct FoldbackDriver FoldbackDriver;

/* The 24 entries, in IASIO order; `self` first in every call. Entry i is at byte 8*i. */
typedef struct FoldbackDriverVtbl {
    /* [any] IUnknown-style. On Linux iid is NULL (any value is accepted); 0 = success. */
    long (*queryInterface)(FoldbackDriver* self, const void* iid, void** out);
    unsigned long (*addRef)(FoldbackDriver* self);
    /* [control] The final release stops streaming, joins every driver thread and drops the
     * host's callbacks before it frees anything: releasing while running is safe. */
    unsigned long (*release)(FoldbackDriver* self);

    /* [control] Loaded -> Initialized. Returns ASIOTrue (1) or ASIOFalse (0), never an
     * ASIOError. Needs the instance name (future 0x7F000001) first. sysRef is ignored. */
    ASIOBool (*init)(FoldbackDriver* self, void* sysRef);
    /* [any] Writes at most 32 bytes including the NUL. */
    void (*getDriverName)(FoldbackDriver* self, char* name);
    long (*getDriverVersion)(FoldbackDriver* self);
    /* [any] Writes at most 124 bytes including the NUL: the text of the last error. */
    void (*getErrorMessage)(FoldbackDriver* self, char* string);
    /* [control] Prepared -> Running; the first switch has index 0 and position 0. */
    ASIOError (*start)(FoldbackDriver* self);
    /* [control] Running -> Prepared; no callback runs after it returns. Idempotent. */
    ASIOError (*stop)(FoldbackDriver* self);
    ASIOError (*getChannels)(FoldbackDriver* self, long* numInputChannels, long* numOutputChannels);
    /* Frames; valid (estimate) once initialized, exact once prepared. */
    ASIOError (*getLatencies)(FoldbackDriver* self, long* inputLatency, long* outputLatency);
    ASIOError (*getBufferSize)(FoldbackDriver* self, long* minSize, long* maxSize,
                               long* preferredSize, long* granularity);
    ASIOError (*canSampleRate)(FoldbackDriver* self, ASIOSampleRate sampleRate);
    /* [any] */
    ASIOError (*getSampleRate)(FoldbackDriver* self, ASIOSampleRate* sampleRate);
    ASIOError (*setSampleRate)(FoldbackDriver* self, ASIOSampleRate sampleRate);
    /* *numSources: capacity in, count out; never writes beyond the capacity. */
    ASIOError (*getClockSources)(FoldbackDriver* self, ASIOClockSource* clocks, long* numSources);
    ASIOError (*setClockSource)(FoldbackDriver* self, long reference);
    /* [any] Position and CLOCK_MONOTONIC ns of the current block. Lock-free. */
    ASIOError (*getSamplePosition)(FoldbackDriver* self, ASIOSamples* sPos, ASIOTimeStamp* tStamp);
    ASIOError (*getChannelInfo)(FoldbackDriver* self, ASIOChannelInfo* info);
    /* [control] Initialized -> Prepared. The driver copies *callbacks. */
    ASIOError (*createBuffers)(FoldbackDriver* self, ASIOBufferInfo* bufferInfos, long numChannels,
                               long bufferSize, const ASIOCallbacks* callbacks);
    /* [control] Prepared/Running -> Initialized (implies stop). */
    ASIOError (*disposeBuffers)(FoldbackDriver* self);
    ASIOError (*controlPanel)(FoldbackDriver* self);
    /* [control, or any for the capability queries] Success is ASE_SUCCESS, not ASE_OK. */
    ASIOError (*future)(FoldbackDriver* self, long selector, void* opt);
    /* [rt] usually from inside bufferSwitch. */
    ASIOError (*outputReady)(FoldbackDriver* self);
} FoldbackDriverVtbl;

struct FoldbackDriver {
    const FoldbackDriverVtbl* lpVtbl; /* first member; private state follows */
};

/* ---- exported entry points: a driver .so exports exactly these four --------------- */

/* A new, independent instance holding one reference owned by the caller; NULL on failure. */
FoldbackDriver* instantiateDriver(void);
/* Harmless bookkeeping only: a driver never dlcloses itself (spec/linux-abi.md §7). */
void releaseDriver(FoldbackDriver* drv);
/* Installer hooks: register/unregister this .so under `name` in /etc/cwASIO (where cwASIO
 * hosts look; Foldback hosts read it too). 0 or a positive errno. */
int registerDriver(const char* name);
int unregisterDriver(const char* name);

typedef FoldbackDriver* (*FoldbackInstantiateFn)(void);

/* ---- future() selectors ------------------------------------------------------------ */

enum {
    /* cwASIO's multi-instance selector: opt = const char* instance name, before init.
     * NULL or "" -> ASE_SUCCESS (probe); registered -> ASE_SUCCESS; unknown or longer
     * than 31 bytes -> ASE_NotPresent; after init -> ASE_InvalidMode. */
    kFoldbackSetInstanceName = 0x7F000001,

    /* Foldback's reserved range: 0x7F000100 .. 0x7F0001FF (docs/abi.md). A driver that
     * does not know a selector of this range answers ASE_InvalidParameter, as for any
     * unknown selector, so hosts probe and never assume. */
    kFoldbackReservedFirst = 0x7F000100,
    /* opt = const FoldbackThreadCreator*: every audio thread the driver or its engine
     * starts from now on is created through it (the Wine bridge needs Wine-created
     * threads). Allowed before createBuffers; NULL restores the default. */
    kFoldbackSetThreadCreator = 0x7F000101,
    /* opt = FoldbackCounters*: streaming statistics since createBuffers. [any] */
    kFoldbackGetCounters = 0x7F000102,
    /* opt = FoldbackStatus*: warnings (e.g. no real-time scheduling) as text. [control] */
    kFoldbackGetStatus = 0x7F000103,
    /* opt = FoldbackDeviceList*: the devices this driver can see, registered or not, so a
     * tool can offer them for registration. Any state, no init needed. [control] */
    kFoldbackListDevices = 0x7F000104,
    /* opt = const FoldbackFault*: test-only fault injection, drivers that support it
     * (loopback) answer ASE_SUCCESS, others ASE_NotPresent. */
    kFoldbackInjectFault = 0x7F000120,
    kFoldbackReservedLast = 0x7F0001FF
};

/* Creates a thread running fn(arg); returns 0 or an errno like pthread_create. The driver
 * raises the thread's scheduling itself from inside fn. */
typedef struct FoldbackThreadCreator {
    int (*create)(void* context, pthread_t* thread, void* (*fn)(void*), void* arg);
    void* context;
} FoldbackThreadCreator;

typedef struct FoldbackCounters {
    long long switches;        /* bufferSwitch calls */
    long long overloads;       /* kAsioOverload events (every xrun) */
    long long resyncs;         /* kAsioResyncRequest events (frames lost or position jump) */
    long long skippedFrames;   /* frames never delivered (position jumped over them) */
    long long latePeriods;     /* periods delivered back to back after a late wake-up */
    long long resets;          /* kAsioResetRequest events */
} FoldbackCounters;

typedef struct FoldbackStatus {
    long realtime;             /* 1 if the audio thread runs SCHED_FIFO */
    long rtPriority;           /* its priority, 0 if none */
    char warning[256];         /* empty, or a sentence a person can act on */
} FoldbackStatus;

typedef struct FoldbackDevice {
    char id[64];            /* what an instance's config names, e.g. "hw:CARD=USB,DEV=0" */
    char description[128];  /* one line for people: name, channels, formats, rates */
    long inputs, outputs;
} FoldbackDevice;

typedef struct FoldbackDeviceList {
    FoldbackDevice* devices;  /* in: room for `capacity` entries */
    long capacity;            /* in */
    long count;               /* out: devices found (may exceed capacity; only capacity written) */
} FoldbackDeviceList;

enum {
    kFoldbackFaultLatePeriod = 1,   /* value = ms the next wake-up is delayed */
    kFoldbackFaultDropFrames = 2,   /* value = frames the device loses */
    kFoldbackFaultDeviceLoss = 3,   /* device disappears: kAsioResetRequest */
    kFoldbackFaultRateChange = 4,   /* value = new rate in Hz: sampleRateDidChange */
    kFoldbackFaultDeviceReturn = 5  /* the lost device is back (re-init works again) */
};

typedef struct FoldbackFault {
    long kind;
    long value;
} FoldbackFault;

#ifdef __cplusplus
} /* extern "C" */
#endif
/* clang-format on */

#endif /* FOLDBACK_DRIVER_H */
