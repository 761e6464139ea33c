/*
 * The C half of the view test (views_test.cpp), compiled by the C compiler in c_table.c:
 *   - a driver object whose vtable is a table of C functions, each recording its slot and
 *     the arguments it received;
 *   - a caller that invokes any slot of any object through the C table;
 *   - the layout facts (sizes, alignments, offsets, constants) as the C compiler sees them,
 *     so the C++ side can compare them with its own.
 */
#ifndef FOLDBACK_TESTS_ABI_C_TABLE_H
#define FOLDBACK_TESTS_ABI_C_TABLE_H

#include <stddef.h>

#include <foldback/driver.h>

#ifdef __cplusplus
extern "C" {
#endif

enum { kAbiSlots = 24 };

/* One call as the callee saw it: the slot that ran and every argument it received. */
typedef struct AbiCall {
    int slot; /* -1: nothing ran */
    const void* self;
    const void* ptr[4];
    long num[2];
    double rate;
} AbiCall;

/* Argument storage; pointer arguments point into it. */
typedef struct AbiArgs {
    char iid[16];
    void* out;
    int sysRefTarget;
    char text[124];
    long longs[4];
    ASIOSampleRate rate;
    ASIOClockSource clocks[2];
    ASIOSamples position;
    ASIOTimeStamp stamp;
    ASIOChannelInfo info;
    ASIOBufferInfo buffers[2];
    ASIOCallbacks callbacks;
} AbiArgs;
extern AbiArgs abiArgs;

/* Numbers wider than 32 bits and rates a float cannot hold: a view that says int or float
 * where the ABI says long or double delivers a different value. */
#define ABI_LONG_A 0x123456789AL
#define ABI_LONG_B (-0x0FEDCBA987L)
#define ABI_SELECTOR 0x17F000001L
#define ABI_RATE_A 48000.000000123
#define ABI_RATE_B 96000.000000456

/* The call the canonical arguments make on `slot` of the object `self`. */
AbiCall abiExpectedCall(int slot, const void* self);
/* What `slot` returns: distinct and wider than 32 bits; 0 for the two void slots. */
long abiResult(int slot);
int abiSlotIsVoid(int slot);
const char* abiSlotName(int slot);

/* The last call any entry of the C table recorded. */
extern AbiCall abiCLast;
/* A C driver object; entry i of its table records slot i and returns abiResult(i). The
 * table is followed by two more recorders (slots 24 and 25), so that a view that is two
 * slots off lands on a recorder instead of on garbage. */
FoldbackDriver* abiCDriver(void);
/* Calls entry `slot` of drv's table, from C, with the canonical arguments; returns its
 * result (0 for void). */
long abiCallFromC(FoldbackDriver* drv, int slot);

/* ---- layout facts, listed once and evaluated by both compilers ------------------------ */

typedef struct AbiFact {
    const char* name;
    long long value;
} AbiFact;
extern const AbiFact abiCFacts[];
extern const size_t abiCFactCount;

/* clang-format off */
#define ABI_STRUCTS(X)                                                                        \
    X(ASIODriverInfo) X(ASIOClockSource) X(ASIOChannelInfo) X(ASIOBufferInfo)                 \
    X(AsioTimeInfo) X(ASIOTimeCode) X(ASIOTime) X(ASIOCallbacks) X(ASIOInputMonitor)          \
    X(ASIOChannelControls) X(ASIOTransportParameters) X(ASIOIoFormat)                         \
    X(ASIOInternalBufferInfo) X(FoldbackDriver) X(FoldbackDriverVtbl)                         \
    X(FoldbackThreadCreator) X(FoldbackCounters) X(FoldbackStatus) X(FoldbackDevice)          \
    X(FoldbackDeviceList) X(FoldbackFault)

#define ABI_FIELDS(X)                                                                         \
    X(ASIODriverInfo, asioVersion) X(ASIODriverInfo, driverVersion) X(ASIODriverInfo, name)   \
    X(ASIODriverInfo, errorMessage) X(ASIODriverInfo, sysRef)                                 \
    X(ASIOClockSource, index) X(ASIOClockSource, associatedChannel)                           \
    X(ASIOClockSource, associatedGroup) X(ASIOClockSource, isCurrentSource)                   \
    X(ASIOClockSource, name)                                                                  \
    X(ASIOChannelInfo, channel) X(ASIOChannelInfo, isInput) X(ASIOChannelInfo, isActive)      \
    X(ASIOChannelInfo, channelGroup) X(ASIOChannelInfo, type) X(ASIOChannelInfo, name)        \
    X(ASIOBufferInfo, isInput) X(ASIOBufferInfo, channelNum) X(ASIOBufferInfo, buffers)       \
    X(AsioTimeInfo, speed) X(AsioTimeInfo, systemTime) X(AsioTimeInfo, samplePosition)        \
    X(AsioTimeInfo, sampleRate) X(AsioTimeInfo, flags) X(AsioTimeInfo, reserved)              \
    X(ASIOTimeCode, speed) X(ASIOTimeCode, timeCodeSamples) X(ASIOTimeCode, flags)            \
    X(ASIOTimeCode, future)                                                                   \
    X(ASIOTime, reserved) X(ASIOTime, timeInfo) X(ASIOTime, timeCode)                         \
    X(ASIOCallbacks, bufferSwitch) X(ASIOCallbacks, sampleRateDidChange)                      \
    X(ASIOCallbacks, asioMessage) X(ASIOCallbacks, bufferSwitchTimeInfo)                      \
    X(ASIOInputMonitor, input) X(ASIOInputMonitor, output) X(ASIOInputMonitor, gain)          \
    X(ASIOInputMonitor, state) X(ASIOInputMonitor, pan)                                       \
    X(ASIOChannelControls, channel) X(ASIOChannelControls, isInput)                           \
    X(ASIOChannelControls, gain) X(ASIOChannelControls, meter)                                \
    X(ASIOChannelControls, future)                                                            \
    X(ASIOTransportParameters, command) X(ASIOTransportParameters, samplePosition)            \
    X(ASIOTransportParameters, track) X(ASIOTransportParameters, trackSwitches)               \
    X(ASIOTransportParameters, future)                                                        \
    X(ASIOIoFormat, FormatType) X(ASIOIoFormat, future)                                       \
    X(ASIOInternalBufferInfo, inputSamples) X(ASIOInternalBufferInfo, outputSamples)          \
    X(FoldbackDriver, lpVtbl)                                                                 \
    X(FoldbackDriverVtbl, queryInterface) X(FoldbackDriverVtbl, addRef)                       \
    X(FoldbackDriverVtbl, release) X(FoldbackDriverVtbl, init)                                \
    X(FoldbackDriverVtbl, getDriverName) X(FoldbackDriverVtbl, getDriverVersion)              \
    X(FoldbackDriverVtbl, getErrorMessage) X(FoldbackDriverVtbl, start)                       \
    X(FoldbackDriverVtbl, stop) X(FoldbackDriverVtbl, getChannels)                            \
    X(FoldbackDriverVtbl, getLatencies) X(FoldbackDriverVtbl, getBufferSize)                  \
    X(FoldbackDriverVtbl, canSampleRate) X(FoldbackDriverVtbl, getSampleRate)                 \
    X(FoldbackDriverVtbl, setSampleRate) X(FoldbackDriverVtbl, getClockSources)               \
    X(FoldbackDriverVtbl, setClockSource) X(FoldbackDriverVtbl, getSamplePosition)            \
    X(FoldbackDriverVtbl, getChannelInfo) X(FoldbackDriverVtbl, createBuffers)                \
    X(FoldbackDriverVtbl, disposeBuffers) X(FoldbackDriverVtbl, controlPanel)                 \
    X(FoldbackDriverVtbl, future) X(FoldbackDriverVtbl, outputReady)                          \
    X(FoldbackThreadCreator, create) X(FoldbackThreadCreator, context)                        \
    X(FoldbackCounters, switches) X(FoldbackCounters, resets)                                 \
    X(FoldbackStatus, realtime) X(FoldbackStatus, rtPriority) X(FoldbackStatus, warning)      \
    X(FoldbackDevice, id) X(FoldbackDevice, description) X(FoldbackDevice, inputs)            \
    X(FoldbackDevice, outputs)                                                                \
    X(FoldbackDeviceList, devices) X(FoldbackDeviceList, capacity)                            \
    X(FoldbackDeviceList, count)                                                              \
    X(FoldbackFault, kind) X(FoldbackFault, value)

#define ABI_CONSTANTS(X)                                                                      \
    X(ASIOFalse) X(ASIOTrue)                                                                  \
    X(ASE_OK) X(ASE_SUCCESS) X(ASE_NotPresent) X(ASE_HWMalfunction) X(ASE_InvalidParameter)   \
    X(ASE_InvalidMode) X(ASE_SPNotAdvancing) X(ASE_NoClock) X(ASE_NoMemory)                   \
    X(ASIOSTInt16MSB) X(ASIOSTInt24MSB) X(ASIOSTInt32MSB) X(ASIOSTFloat32MSB)                 \
    X(ASIOSTFloat64MSB) X(ASIOSTInt32MSB16) X(ASIOSTInt32MSB18) X(ASIOSTInt32MSB20)           \
    X(ASIOSTInt32MSB24) X(ASIOSTInt16LSB) X(ASIOSTInt24LSB) X(ASIOSTInt32LSB)                 \
    X(ASIOSTFloat32LSB) X(ASIOSTFloat64LSB) X(ASIOSTInt32LSB16) X(ASIOSTInt32LSB18)           \
    X(ASIOSTInt32LSB20) X(ASIOSTInt32LSB24) X(ASIOSTDSDInt8LSB1) X(ASIOSTDSDInt8MSB1)         \
    X(ASIOSTDSDInt8NER8) X(ASIOSTLastEntry)                                                   \
    X(kAsioSelectorSupported) X(kAsioEngineVersion) X(kAsioResetRequest)                      \
    X(kAsioBufferSizeChange) X(kAsioResyncRequest) X(kAsioLatenciesChanged)                   \
    X(kAsioSupportsTimeInfo) X(kAsioSupportsTimeCode) X(kAsioMMCCommand)                      \
    X(kAsioSupportsInputMonitor) X(kAsioSupportsInputGain) X(kAsioSupportsInputMeter)         \
    X(kAsioSupportsOutputGain) X(kAsioSupportsOutputMeter) X(kAsioOverload)                   \
    X(kAsioNumMessageSelectors)                                                               \
    X(kAsioEnableTimeCodeRead) X(kAsioDisableTimeCodeRead) X(kAsioSetInputMonitor)            \
    X(kAsioTransport) X(kAsioSetInputGain) X(kAsioGetInputMeter) X(kAsioSetOutputGain)        \
    X(kAsioGetOutputMeter) X(kAsioCanInputMonitor) X(kAsioCanTimeInfo) X(kAsioCanTimeCode)    \
    X(kAsioCanTransport) X(kAsioCanInputGain) X(kAsioCanInputMeter) X(kAsioCanOutputGain)     \
    X(kAsioCanOutputMeter) X(kAsioOptionalOne) X(kAsioSetIoFormat) X(kAsioGetIoFormat)        \
    X(kAsioCanDoIoFormat) X(kAsioCanReportOverload) X(kAsioGetInternalBufferSamples)          \
    X(kSystemTimeValid) X(kSamplePositionValid) X(kSampleRateValid) X(kSpeedValid)            \
    X(kSampleRateChanged) X(kClockSourceChanged)                                              \
    X(kTcValid) X(kTcRunning) X(kTcReverse) X(kTcOnspeed) X(kTcStill) X(kTcSpeedValid)        \
    X(kTransStart) X(kTransStop) X(kTransLocate) X(kTransPunchIn) X(kTransPunchOut)           \
    X(kTransArmOn) X(kTransArmOff) X(kTransMonitorOn) X(kTransMonitorOff) X(kTransArm)        \
    X(kTransMonitor)                                                                          \
    X(kASIOFormatInvalid) X(kASIOPCMFormat) X(kASIODSDFormat)                                 \
    X(kFoldbackSetInstanceName) X(kFoldbackReservedFirst) X(kFoldbackSetThreadCreator)        \
    X(kFoldbackGetCounters) X(kFoldbackGetStatus) X(kFoldbackListDevices)                     \
    X(kFoldbackInjectFault) X(kFoldbackReservedLast)
/* clang-format on */

/* Expand into AbiFact initializers; usable from C and C++. */
#ifdef __cplusplus
#define ABI_ALIGNOF(T) alignof(T)
#else
#define ABI_ALIGNOF(T) _Alignof(T)
#endif
#define ABI_FACT_SIZE(T) \
    {"sizeof(" #T ")", (long long)sizeof(T)}, {"alignof(" #T ")", (long long)ABI_ALIGNOF(T)},
#define ABI_FACT_OFFSET(T, f) {"offsetof(" #T ", " #f ")", (long long)offsetof(T, f)},
#define ABI_FACT_CONSTANT(c) {#c, (long long)(c)},

#ifdef __cplusplus
} /* extern "C" */
#endif

#endif /* FOLDBACK_TESTS_ABI_C_TABLE_H */
