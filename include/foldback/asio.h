/*
 * foldback/asio.h -- the ASIO-compatible driver interface types, Linux LP64 form.
 *
 * Every type, constant and struct a host or driver needs, restated from the facts in
 * spec/asio-interface.md (section numbers below refer to it) and laid out as the
 * cwASIO-compatible Linux ABI of spec/linux-abi.md §3:
 *   - `long` stays `long` (64-bit on LP64), exactly as in the ASIO declarations;
 *   - sample positions and time stamps are native 64-bit integers (`long long`),
 *     never the Windows hi/lo pair;
 *   - natural alignment, no packing pragma.
 * Windows layouts exist only inside the Wine bridge.
 *
 * Foldback definitions (stricter than cwASIO, see docs/abi.md):
 *   - ASIOTimeStamp / systemTime are CLOCK_MONOTONIC nanoseconds;
 *   - ASIOSamples / samplePosition are frames since start(), never wrapping;
 *   - name buffers are 32 bytes and error texts 124 bytes, including the NUL.
 *
 * Compiles alone as C11 and as C++20. ASIO is a trademark of Steinberg Media
 * Technologies GmbH; Foldback is an independent, ASIO-compatible implementation.
 */
#ifndef FOLDBACK_ASIO_H
#define FOLDBACK_ASIO_H

/* Hand-aligned ABI declarations; tests/abi matches their text. */
/* clang-format off */
#ifdef __cplusplus
extern "C" {
#endif

/* ---- §2 basic types ------------------------------------------------------------- */

typedef long long ASIOSamples;    /* frames; 64-bit, never wraps */
typedef long long ASIOTimeStamp;  /* CLOCK_MONOTONIC nanoseconds */
typedef double ASIOSampleRate;    /* IEEE 754 binary64, frames per second */
typedef long ASIOBool;
typedef long ASIOError;
typedef long ASIOSampleType;
typedef long ASIOIoFormatType;

enum { ASIOFalse = 0, ASIOTrue = 1 };

/* ---- §3.1 errors ---------------------------------------------------------------- */

enum {
    ASE_OK = 0,                    /* success of every call except future() */
    ASE_SUCCESS = 0x3f4847a0,      /* the only success code of future() */
    ASE_NotPresent = -1000,        /* hardware/feature not present or not available */
    ASE_HWMalfunction = -999,      /* hardware is malfunctioning */
    ASE_InvalidParameter = -998,   /* bad argument; also the answer to unknown future() selectors */
    ASE_InvalidMode = -997,        /* call in a bad state, unsupported buffer size */
    ASE_SPNotAdvancing = -996,     /* sample position not advancing (not running / no clock) */
    ASE_NoClock = -995,            /* sample rate unknown or not supported */
    ASE_NoMemory = -994            /* out of memory */
};

/* ---- §3.2 sample types ---------------------------------------------------------- */

enum {
    ASIOSTInt16MSB = 0,
    ASIOSTInt24MSB = 1,   /* packed, 3 bytes */
    ASIOSTInt32MSB = 2,
    ASIOSTFloat32MSB = 3,
    ASIOSTFloat64MSB = 4,
    ASIOSTInt32MSB16 = 8, /* N valid bits, right-justified in a 32-bit word, sign-extended */
    ASIOSTInt32MSB18 = 9,
    ASIOSTInt32MSB20 = 10,
    ASIOSTInt32MSB24 = 11,
    ASIOSTInt16LSB = 16,
    ASIOSTInt24LSB = 17,  /* packed, 3 bytes */
    ASIOSTInt32LSB = 18,
    ASIOSTFloat32LSB = 19,
    ASIOSTFloat64LSB = 20,
    ASIOSTInt32LSB16 = 24,
    ASIOSTInt32LSB18 = 25,
    ASIOSTInt32LSB20 = 26,
    ASIOSTInt32LSB24 = 27,
    ASIOSTDSDInt8LSB1 = 32,
    ASIOSTDSDInt8MSB1 = 33,
    ASIOSTDSDInt8NER8 = 40,
    ASIOSTLastEntry = 41
};

/* ---- §3.4 asioMessage selectors (driver -> host) --------------------------------- */

enum {
    kAsioSelectorSupported = 1,
    kAsioEngineVersion = 2,
    kAsioResetRequest = 3,
    kAsioBufferSizeChange = 4,
    kAsioResyncRequest = 5,
    kAsioLatenciesChanged = 6,
    kAsioSupportsTimeInfo = 7,
    kAsioSupportsTimeCode = 8,
    kAsioMMCCommand = 9,
    kAsioSupportsInputMonitor = 10,
    kAsioSupportsInputGain = 11,
    kAsioSupportsInputMeter = 12,
    kAsioSupportsOutputGain = 13,
    kAsioSupportsOutputMeter = 14,
    kAsioOverload = 15,
    kAsioNumMessageSelectors = 16
};

/* ---- §3.5 future() selectors (host -> driver) ------------------------------------ */

enum {
    kAsioEnableTimeCodeRead = 1,
    kAsioDisableTimeCodeRead = 2,
    kAsioSetInputMonitor = 3,
    kAsioTransport = 4,
    kAsioSetInputGain = 5,
    kAsioGetInputMeter = 6,
    kAsioSetOutputGain = 7,
    kAsioGetOutputMeter = 8,
    kAsioCanInputMonitor = 9,
    kAsioCanTimeInfo = 10,
    kAsioCanTimeCode = 11,
    kAsioCanTransport = 12,
    kAsioCanInputGain = 13,
    kAsioCanInputMeter = 14,
    kAsioCanOutputGain = 15,
    kAsioCanOutputMeter = 16,
    kAsioOptionalOne = 17,
    kAsioSetIoFormat = 0x23111961,
    kAsioGetIoFormat = 0x23111983,
    kAsioCanDoIoFormat = 0x23112004,
    kAsioCanReportOverload = 0x24042012,
    kAsioGetInternalBufferSamples = 0x25042012
};

/* ---- §3.6 flags ------------------------------------------------------------------ */

typedef enum AsioTimeInfoFlags {
    kSystemTimeValid = 1,
    kSamplePositionValid = 1 << 1,
    kSampleRateValid = 1 << 2,
    kSpeedValid = 1 << 3,
    kSampleRateChanged = 1 << 4,
    kClockSourceChanged = 1 << 5
} AsioTimeInfoFlags;

typedef enum ASIOTimeCodeFlags {
    kTcValid = 1,
    kTcRunning = 1 << 1,
    kTcReverse = 1 << 2,
    kTcOnspeed = 1 << 3,
    kTcStill = 1 << 4,
    kTcSpeedValid = 1 << 8
} ASIOTimeCodeFlags;

enum {
    kTransStart = 1,
    kTransStop,
    kTransLocate,
    kTransPunchIn,
    kTransPunchOut,
    kTransArmOn,
    kTransArmOff,
    kTransMonitorOn,
    kTransMonitorOff,
    kTransArm,
    kTransMonitor
};

/* ---- §3.7 IoFormat -------------------------------------------------------------- */

enum { kASIOFormatInvalid = -1, kASIOPCMFormat = 0, kASIODSDFormat = 1 };

/* ---- §4 structures --------------------------------------------------------------- */

/* Host side only (filled by ASIOInit); never crosses the driver boundary. */
typedef struct ASIODriverInfo {
    long asioVersion;        /* in: host's ASIO version; out: 2 */
    long driverVersion;      /* out: getDriverVersion() */
    char name[32];           /* out: getDriverName(), NUL-terminated */
    char errorMessage[124];  /* out: getErrorMessage() when init fails */
    void* sysRef;            /* in: opaque; Foldback drivers never dereference it */
} ASIODriverInfo;

typedef struct ASIOClockSource {
    long index;              /* pass to setClockSource */
    long associatedChannel;  /* first input channel carrying this clock, or -1 */
    long associatedGroup;    /* its channel group, or -1 */
    ASIOBool isCurrentSource;
    char name[32];
} ASIOClockSource;

typedef struct ASIOChannelInfo {
    long channel;            /* in: 0..n-1 */
    ASIOBool isInput;        /* in */
    ASIOBool isActive;       /* out: has buffers in the current createBuffers */
    long channelGroup;       /* out */
    ASIOSampleType type;     /* out */
    char name[32];           /* out, NUL-terminated */
} ASIOChannelInfo;

typedef struct ASIOBufferInfo {
    ASIOBool isInput;        /* in */
    long channelNum;         /* in */
    void* buffers[2];        /* out: half 0 and half 1, owned by the driver */
} ASIOBufferInfo;

typedef struct ASIOTimeCode {
    double speed;
    ASIOSamples timeCodeSamples;
    unsigned long flags;     /* ASIOTimeCodeFlags */
    char future[64];
} ASIOTimeCode;

typedef struct AsioTimeInfo {
    double speed;                 /* 1.0 = nominal */
    ASIOTimeStamp systemTime;     /* CLOCK_MONOTONIC ns of samplePosition's first frame */
    ASIOSamples samplePosition;   /* first frame of the current half, since start() */
    ASIOSampleRate sampleRate;
    unsigned long flags;          /* AsioTimeInfoFlags */
    char reserved[12];
} AsioTimeInfo;

typedef struct ASIOTime {
    long reserved[4];             /* must be 0 */
    struct AsioTimeInfo timeInfo;
    struct ASIOTimeCode timeCode; /* valid only when timeCode.flags & kTcValid */
} ASIOTime;

typedef struct ASIOCallbacks {
    void (*bufferSwitch)(long doubleBufferIndex, ASIOBool directProcess);
    void (*sampleRateDidChange)(ASIOSampleRate sRate);
    long (*asioMessage)(long selector, long value, void* message, double* opt);
    ASIOTime* (*bufferSwitchTimeInfo)(ASIOTime* params, long doubleBufferIndex,
                                      ASIOBool directProcess);
} ASIOCallbacks;

typedef struct ASIOInputMonitor {
    long input;   /* -1 = all */
    long output;
    long gain;    /* 0 .. 0x7fffffff = -inf .. +12 dB */
    ASIOBool state;
    long pan;     /* 0 = left .. 0x7fffffff = right */
} ASIOInputMonitor;

typedef struct ASIOChannelControls {
    long channel;
    ASIOBool isInput;
    long gain;
    long meter;
    char future[32];
} ASIOChannelControls;

typedef struct ASIOTransportParameters {
    long command;
    ASIOSamples samplePosition;
    long track;
    long trackSwitches[16];
    char future[64];
} ASIOTransportParameters;

typedef struct ASIOIoFormat_s {
    ASIOIoFormatType FormatType;
    char future[512 - sizeof(ASIOIoFormatType)];
} ASIOIoFormat;

typedef struct ASIOInternalBufferInfo {
    long inputSamples;   /* driver buffering beyond the double buffer, already in getLatencies */
    long outputSamples;
} ASIOInternalBufferInfo;

/* ---- layout pins (spec/linux-abi.md §3.2, LP64) ----------------------------------- */

#if defined(__LP64__) || defined(_LP64)
#  ifdef __cplusplus
#    define FOLDBACK_STATIC_ASSERT(e, m) static_assert(e, m)
#  else
#    define FOLDBACK_STATIC_ASSERT(e, m) _Static_assert(e, m)
#  endif
#  define FOLDBACK_OFF(T, f) __builtin_offsetof(T, f)
FOLDBACK_STATIC_ASSERT(sizeof(long) == 8, "LP64 expected");
FOLDBACK_STATIC_ASSERT(sizeof(ASIOSamples) == 8 && sizeof(ASIOTimeStamp) == 8, "native int64");
FOLDBACK_STATIC_ASSERT(sizeof(ASIODriverInfo) == 184, "ASIODriverInfo size");
FOLDBACK_STATIC_ASSERT(FOLDBACK_OFF(ASIODriverInfo, name) == 16, "ASIODriverInfo.name");
FOLDBACK_STATIC_ASSERT(FOLDBACK_OFF(ASIODriverInfo, errorMessage) == 48, "ASIODriverInfo.errorMessage");
FOLDBACK_STATIC_ASSERT(FOLDBACK_OFF(ASIODriverInfo, sysRef) == 176, "ASIODriverInfo.sysRef");
FOLDBACK_STATIC_ASSERT(sizeof(ASIOClockSource) == 64, "ASIOClockSource size");
FOLDBACK_STATIC_ASSERT(FOLDBACK_OFF(ASIOClockSource, isCurrentSource) == 24, "isCurrentSource");
FOLDBACK_STATIC_ASSERT(FOLDBACK_OFF(ASIOClockSource, name) == 32, "ASIOClockSource.name");
FOLDBACK_STATIC_ASSERT(sizeof(ASIOChannelInfo) == 72, "ASIOChannelInfo size");
FOLDBACK_STATIC_ASSERT(FOLDBACK_OFF(ASIOChannelInfo, isActive) == 16, "isActive");
FOLDBACK_STATIC_ASSERT(FOLDBACK_OFF(ASIOChannelInfo, channelGroup) == 24, "channelGroup");
FOLDBACK_STATIC_ASSERT(FOLDBACK_OFF(ASIOChannelInfo, type) == 32, "type");
FOLDBACK_STATIC_ASSERT(FOLDBACK_OFF(ASIOChannelInfo, name) == 40, "ASIOChannelInfo.name");
FOLDBACK_STATIC_ASSERT(sizeof(ASIOBufferInfo) == 32, "ASIOBufferInfo size");
FOLDBACK_STATIC_ASSERT(FOLDBACK_OFF(ASIOBufferInfo, channelNum) == 8, "channelNum");
FOLDBACK_STATIC_ASSERT(FOLDBACK_OFF(ASIOBufferInfo, buffers) == 16, "buffers");
FOLDBACK_STATIC_ASSERT(sizeof(AsioTimeInfo) == 56, "AsioTimeInfo size");
FOLDBACK_STATIC_ASSERT(FOLDBACK_OFF(AsioTimeInfo, systemTime) == 8, "systemTime");
FOLDBACK_STATIC_ASSERT(FOLDBACK_OFF(AsioTimeInfo, samplePosition) == 16, "samplePosition");
FOLDBACK_STATIC_ASSERT(FOLDBACK_OFF(AsioTimeInfo, sampleRate) == 24, "sampleRate");
FOLDBACK_STATIC_ASSERT(FOLDBACK_OFF(AsioTimeInfo, flags) == 32, "flags");
FOLDBACK_STATIC_ASSERT(FOLDBACK_OFF(AsioTimeInfo, reserved) == 40, "reserved");
FOLDBACK_STATIC_ASSERT(sizeof(ASIOTimeCode) == 88, "ASIOTimeCode size");
FOLDBACK_STATIC_ASSERT(FOLDBACK_OFF(ASIOTimeCode, flags) == 16, "ASIOTimeCode.flags");
FOLDBACK_STATIC_ASSERT(FOLDBACK_OFF(ASIOTimeCode, future) == 24, "ASIOTimeCode.future");
FOLDBACK_STATIC_ASSERT(sizeof(ASIOTime) == 176, "ASIOTime size");
FOLDBACK_STATIC_ASSERT(FOLDBACK_OFF(ASIOTime, timeInfo) == 32, "ASIOTime.timeInfo");
FOLDBACK_STATIC_ASSERT(FOLDBACK_OFF(ASIOTime, timeCode) == 88, "ASIOTime.timeCode");
FOLDBACK_STATIC_ASSERT(sizeof(ASIOCallbacks) == 32, "ASIOCallbacks size");
FOLDBACK_STATIC_ASSERT(FOLDBACK_OFF(ASIOCallbacks, asioMessage) == 16, "asioMessage");
FOLDBACK_STATIC_ASSERT(FOLDBACK_OFF(ASIOCallbacks, bufferSwitchTimeInfo) == 24, "bufferSwitchTimeInfo");
FOLDBACK_STATIC_ASSERT(sizeof(ASIOInputMonitor) == 40, "ASIOInputMonitor size");
FOLDBACK_STATIC_ASSERT(FOLDBACK_OFF(ASIOInputMonitor, pan) == 32, "ASIOInputMonitor.pan");
FOLDBACK_STATIC_ASSERT(sizeof(ASIOChannelControls) == 64, "ASIOChannelControls size");
FOLDBACK_STATIC_ASSERT(FOLDBACK_OFF(ASIOChannelControls, future) == 32, "ASIOChannelControls.future");
FOLDBACK_STATIC_ASSERT(sizeof(ASIOTransportParameters) == 216, "ASIOTransportParameters size");
FOLDBACK_STATIC_ASSERT(FOLDBACK_OFF(ASIOTransportParameters, track) == 16, "track");
FOLDBACK_STATIC_ASSERT(FOLDBACK_OFF(ASIOTransportParameters, trackSwitches) == 24, "trackSwitches");
FOLDBACK_STATIC_ASSERT(FOLDBACK_OFF(ASIOTransportParameters, future) == 152, "transport future");
FOLDBACK_STATIC_ASSERT(sizeof(ASIOIoFormat) == 512, "ASIOIoFormat size");
FOLDBACK_STATIC_ASSERT(sizeof(ASIOInternalBufferInfo) == 16, "ASIOInternalBufferInfo size");
FOLDBACK_STATIC_ASSERT(ASE_SUCCESS == 1061701536, "ASE_SUCCESS value");
FOLDBACK_STATIC_ASSERT(ASIOSTLastEntry == 41, "ASIOSTLastEntry");
FOLDBACK_STATIC_ASSERT(kAsioGetInternalBufferSamples == 0x25042012, "selector value");
#  undef FOLDBACK_OFF
#  undef FOLDBACK_STATIC_ASSERT
#endif

#ifdef __cplusplus
} /* extern "C" */
#endif
/* clang-format on */

#endif /* FOLDBACK_ASIO_H */
