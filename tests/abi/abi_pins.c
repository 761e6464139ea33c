/*
 * The Linux LP64 driver ABI, pinned at compile time from the C side: every constant,
 * typedef, struct size, alignment, field offset and field type of foldback/asio.h and
 * foldback/driver.h, against spec/linux-abi.md §2.1 (object and vtable) and §3 (types,
 * structs, constants). The numbers here are copied from the spec, never from the headers.
 *
 * Field types are pinned too, not just offsets: `int` where the ABI says `long` keeps
 * some offsets on LP64 and still breaks every caller. mutants.cmake proves that each kind
 * of pin fires.
 */
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include <foldback/driver.h>

#define PIN(expr, value) _Static_assert((expr) == (value), #expr " == " #value)
/* The exact type through pointer types: no promotion, no decay, no qualifier loss. */
#define PIN_TYPEDEF(T, U) _Static_assert(_Generic((T*)0, U * : 1, default : 0), #T " is " #U)
#define PIN_STRUCT(T, size, align) \
    PIN(sizeof(T), size);          \
    PIN(_Alignof(T), align)
/* Offset and exact type of a member; U is a type name (typedefs below for arrays and
 * function pointers). */
#define PIN_FIELD(T, f, off, U) \
    PIN(offsetof(T, f), off);   \
    _Static_assert(_Generic(&((T*)0)->f, U * : 1, default : 0), #T "." #f " is " #U)

_Static_assert(sizeof(void*) == 8 && sizeof(long) == 8, "these pins are for LP64 targets");

/* ---- §3.1 scalars --------------------------------------------------------------------- */

PIN_TYPEDEF(ASIOSamples, long long);
PIN_TYPEDEF(ASIOTimeStamp, long long);
PIN_TYPEDEF(ASIOSampleRate, double);
PIN_TYPEDEF(ASIOBool, long);
PIN_TYPEDEF(ASIOError, long);
PIN_TYPEDEF(ASIOSampleType, long);
PIN_TYPEDEF(ASIOIoFormatType, long);
PIN(ASIOFalse, 0);
PIN(ASIOTrue, 1);

/* ---- §3.3 constants ------------------------------------------------------------------- */

/* errors */
PIN(ASE_OK, 0);
PIN(ASE_SUCCESS, 0x3f4847a0);
PIN(ASE_NotPresent, -1000);
PIN(ASE_HWMalfunction, -999);
PIN(ASE_InvalidParameter, -998);
PIN(ASE_InvalidMode, -997);
PIN(ASE_SPNotAdvancing, -996);
PIN(ASE_NoClock, -995);
PIN(ASE_NoMemory, -994);

/* sample types */
PIN(ASIOSTInt16MSB, 0);
PIN(ASIOSTInt24MSB, 1);
PIN(ASIOSTInt32MSB, 2);
PIN(ASIOSTFloat32MSB, 3);
PIN(ASIOSTFloat64MSB, 4);
PIN(ASIOSTInt32MSB16, 8);
PIN(ASIOSTInt32MSB18, 9);
PIN(ASIOSTInt32MSB20, 10);
PIN(ASIOSTInt32MSB24, 11);
PIN(ASIOSTInt16LSB, 16);
PIN(ASIOSTInt24LSB, 17);
PIN(ASIOSTInt32LSB, 18);
PIN(ASIOSTFloat32LSB, 19);
PIN(ASIOSTFloat64LSB, 20);
PIN(ASIOSTInt32LSB16, 24);
PIN(ASIOSTInt32LSB18, 25);
PIN(ASIOSTInt32LSB20, 26);
PIN(ASIOSTInt32LSB24, 27);
PIN(ASIOSTDSDInt8LSB1, 32);
PIN(ASIOSTDSDInt8MSB1, 33);
PIN(ASIOSTDSDInt8NER8, 40);
PIN(ASIOSTLastEntry, 41);

/* asioMessage selectors (driver -> host) */
PIN(kAsioSelectorSupported, 1);
PIN(kAsioEngineVersion, 2);
PIN(kAsioResetRequest, 3);
PIN(kAsioBufferSizeChange, 4);
PIN(kAsioResyncRequest, 5);
PIN(kAsioLatenciesChanged, 6);
PIN(kAsioSupportsTimeInfo, 7);
PIN(kAsioSupportsTimeCode, 8);
PIN(kAsioMMCCommand, 9);
PIN(kAsioSupportsInputMonitor, 10);
PIN(kAsioSupportsInputGain, 11);
PIN(kAsioSupportsInputMeter, 12);
PIN(kAsioSupportsOutputGain, 13);
PIN(kAsioSupportsOutputMeter, 14);
PIN(kAsioOverload, 15);
PIN(kAsioNumMessageSelectors, 16);

/* future() selectors (host -> driver) */
PIN(kAsioEnableTimeCodeRead, 1);
PIN(kAsioDisableTimeCodeRead, 2);
PIN(kAsioSetInputMonitor, 3);
PIN(kAsioTransport, 4);
PIN(kAsioSetInputGain, 5);
PIN(kAsioGetInputMeter, 6);
PIN(kAsioSetOutputGain, 7);
PIN(kAsioGetOutputMeter, 8);
PIN(kAsioCanInputMonitor, 9);
PIN(kAsioCanTimeInfo, 10);
PIN(kAsioCanTimeCode, 11);
PIN(kAsioCanTransport, 12);
PIN(kAsioCanInputGain, 13);
PIN(kAsioCanInputMeter, 14);
PIN(kAsioCanOutputGain, 15);
PIN(kAsioCanOutputMeter, 16);
PIN(kAsioOptionalOne, 17);
PIN(kAsioSetIoFormat, 0x23111961);
PIN(kAsioGetIoFormat, 0x23111983);
PIN(kAsioCanDoIoFormat, 0x23112004);
PIN(kAsioCanReportOverload, 0x24042012);
PIN(kAsioGetInternalBufferSamples, 0x25042012);
/* cwASIO's multi-instance selector (§1.3, §4.5) */
PIN(kFoldbackSetInstanceName, 0x7F000001);

/* time info flags */
PIN(kSystemTimeValid, 0x01);
PIN(kSamplePositionValid, 0x02);
PIN(kSampleRateValid, 0x04);
PIN(kSpeedValid, 0x08);
PIN(kSampleRateChanged, 0x10);
PIN(kClockSourceChanged, 0x20);

/* time code flags */
PIN(kTcValid, 0x001);
PIN(kTcRunning, 0x002);
PIN(kTcReverse, 0x004);
PIN(kTcOnspeed, 0x008);
PIN(kTcStill, 0x010);
PIN(kTcSpeedValid, 0x100);

/* transport commands */
PIN(kTransStart, 1);
PIN(kTransStop, 2);
PIN(kTransLocate, 3);
PIN(kTransPunchIn, 4);
PIN(kTransPunchOut, 5);
PIN(kTransArmOn, 6);
PIN(kTransArmOff, 7);
PIN(kTransMonitorOn, 8);
PIN(kTransMonitorOff, 9);
PIN(kTransArm, 10);
PIN(kTransMonitor, 11);

/* IoFormat */
PIN(kASIOFormatInvalid, -1);
PIN(kASIOPCMFormat, 0);
PIN(kASIODSDFormat, 1);

/* ---- §3.2 structs (natural alignment, no packing) ------------------------------------- */

typedef char Char12[12];
typedef char Char32[32];
typedef char Char64[64];
typedef char Char124[124];
typedef char Char504[504];
typedef long Long4[4];
typedef long Long16[16];
typedef void* Buffers2[2];

PIN_STRUCT(ASIODriverInfo, 184, 8);
PIN_FIELD(ASIODriverInfo, asioVersion, 0, long);
PIN_FIELD(ASIODriverInfo, driverVersion, 8, long);
PIN_FIELD(ASIODriverInfo, name, 16, Char32);
PIN_FIELD(ASIODriverInfo, errorMessage, 48, Char124);
PIN_FIELD(ASIODriverInfo, sysRef, 176, void*);

PIN_STRUCT(ASIOClockSource, 64, 8);
PIN_FIELD(ASIOClockSource, index, 0, long);
PIN_FIELD(ASIOClockSource, associatedChannel, 8, long);
PIN_FIELD(ASIOClockSource, associatedGroup, 16, long);
PIN_FIELD(ASIOClockSource, isCurrentSource, 24, ASIOBool);
PIN_FIELD(ASIOClockSource, name, 32, Char32);

PIN_STRUCT(ASIOChannelInfo, 72, 8);
PIN_FIELD(ASIOChannelInfo, channel, 0, long);
PIN_FIELD(ASIOChannelInfo, isInput, 8, ASIOBool);
PIN_FIELD(ASIOChannelInfo, isActive, 16, ASIOBool);
PIN_FIELD(ASIOChannelInfo, channelGroup, 24, long);
PIN_FIELD(ASIOChannelInfo, type, 32, ASIOSampleType);
PIN_FIELD(ASIOChannelInfo, name, 40, Char32);

PIN_STRUCT(ASIOBufferInfo, 32, 8);
PIN_FIELD(ASIOBufferInfo, isInput, 0, ASIOBool);
PIN_FIELD(ASIOBufferInfo, channelNum, 8, long);
PIN_FIELD(ASIOBufferInfo, buffers, 16, Buffers2);

PIN_STRUCT(AsioTimeInfo, 56, 8);
PIN_FIELD(AsioTimeInfo, speed, 0, double);
PIN_FIELD(AsioTimeInfo, systemTime, 8, ASIOTimeStamp);
PIN_FIELD(AsioTimeInfo, samplePosition, 16, ASIOSamples);
PIN_FIELD(AsioTimeInfo, sampleRate, 24, ASIOSampleRate);
PIN_FIELD(AsioTimeInfo, flags, 32, unsigned long);
PIN_FIELD(AsioTimeInfo, reserved, 40, Char12);

PIN_STRUCT(ASIOTimeCode, 88, 8);
PIN_FIELD(ASIOTimeCode, speed, 0, double);
PIN_FIELD(ASIOTimeCode, timeCodeSamples, 8, ASIOSamples);
PIN_FIELD(ASIOTimeCode, flags, 16, unsigned long);
PIN_FIELD(ASIOTimeCode, future, 24, Char64);

PIN_STRUCT(ASIOTime, 176, 8);
PIN_FIELD(ASIOTime, reserved, 0, Long4);
PIN_FIELD(ASIOTime, timeInfo, 32, AsioTimeInfo);
PIN_FIELD(ASIOTime, timeCode, 88, ASIOTimeCode);

typedef void (*BufferSwitchFn)(long, ASIOBool);
typedef void (*SampleRateDidChangeFn)(ASIOSampleRate);
typedef long (*AsioMessageFn)(long, long, void*, double*);
typedef ASIOTime* (*BufferSwitchTimeInfoFn)(ASIOTime*, long, ASIOBool);

PIN_STRUCT(ASIOCallbacks, 32, 8);
PIN_FIELD(ASIOCallbacks, bufferSwitch, 0, BufferSwitchFn);
PIN_FIELD(ASIOCallbacks, sampleRateDidChange, 8, SampleRateDidChangeFn);
PIN_FIELD(ASIOCallbacks, asioMessage, 16, AsioMessageFn);
PIN_FIELD(ASIOCallbacks, bufferSwitchTimeInfo, 24, BufferSwitchTimeInfoFn);

PIN_STRUCT(ASIOInputMonitor, 40, 8);
PIN_FIELD(ASIOInputMonitor, input, 0, long);
PIN_FIELD(ASIOInputMonitor, output, 8, long);
PIN_FIELD(ASIOInputMonitor, gain, 16, long);
PIN_FIELD(ASIOInputMonitor, state, 24, ASIOBool);
PIN_FIELD(ASIOInputMonitor, pan, 32, long);

PIN_STRUCT(ASIOChannelControls, 64, 8);
PIN_FIELD(ASIOChannelControls, channel, 0, long);
PIN_FIELD(ASIOChannelControls, isInput, 8, ASIOBool);
PIN_FIELD(ASIOChannelControls, gain, 16, long);
PIN_FIELD(ASIOChannelControls, meter, 24, long);
PIN_FIELD(ASIOChannelControls, future, 32, Char32);

PIN_STRUCT(ASIOTransportParameters, 216, 8);
PIN_FIELD(ASIOTransportParameters, command, 0, long);
PIN_FIELD(ASIOTransportParameters, samplePosition, 8, ASIOSamples);
PIN_FIELD(ASIOTransportParameters, track, 16, long);
PIN_FIELD(ASIOTransportParameters, trackSwitches, 24, Long16);
PIN_FIELD(ASIOTransportParameters, future, 152, Char64);

PIN_STRUCT(ASIOIoFormat, 512, 8);
PIN_FIELD(ASIOIoFormat, FormatType, 0, ASIOIoFormatType);
PIN_FIELD(ASIOIoFormat, future, 8, Char504);

PIN_STRUCT(ASIOInternalBufferInfo, 16, 8);
PIN_FIELD(ASIOInternalBufferInfo, inputSamples, 0, long);
PIN_FIELD(ASIOInternalBufferInfo, outputSamples, 8, long);

/* ---- §2.1 the driver object and its 24-slot vtable ------------------------------------ */

typedef const FoldbackDriverVtbl* VtblPtr;
PIN_STRUCT(FoldbackDriver, 8, 8);
PIN_FIELD(FoldbackDriver, lpVtbl, 0, VtblPtr);

/* Slot i at 8*i; `self` first; exact parameter and return types. */
typedef FoldbackDriver Self;
typedef long (*QueryInterfaceFn)(Self*, const void*, void**);
typedef unsigned long (*AddRefFn)(Self*);
typedef unsigned long (*ReleaseFn)(Self*);
typedef ASIOBool (*InitFn)(Self*, void*);
typedef void (*GetDriverNameFn)(Self*, char*);
typedef long (*GetDriverVersionFn)(Self*);
typedef void (*GetErrorMessageFn)(Self*, char*);
typedef ASIOError (*StartFn)(Self*);
typedef ASIOError (*StopFn)(Self*);
typedef ASIOError (*GetChannelsFn)(Self*, long*, long*);
typedef ASIOError (*GetLatenciesFn)(Self*, long*, long*);
typedef ASIOError (*GetBufferSizeFn)(Self*, long*, long*, long*, long*);
typedef ASIOError (*CanSampleRateFn)(Self*, ASIOSampleRate);
typedef ASIOError (*GetSampleRateFn)(Self*, ASIOSampleRate*);
typedef ASIOError (*SetSampleRateFn)(Self*, ASIOSampleRate);
typedef ASIOError (*GetClockSourcesFn)(Self*, ASIOClockSource*, long*);
typedef ASIOError (*SetClockSourceFn)(Self*, long);
typedef ASIOError (*GetSamplePositionFn)(Self*, ASIOSamples*, ASIOTimeStamp*);
typedef ASIOError (*GetChannelInfoFn)(Self*, ASIOChannelInfo*);
typedef ASIOError (*CreateBuffersFn)(Self*, ASIOBufferInfo*, long, long, const ASIOCallbacks*);
typedef ASIOError (*DisposeBuffersFn)(Self*);
typedef ASIOError (*ControlPanelFn)(Self*);
typedef ASIOError (*FutureFn)(Self*, long, void*);
typedef ASIOError (*OutputReadyFn)(Self*);

PIN_STRUCT(FoldbackDriverVtbl, 192, 8);
PIN_FIELD(FoldbackDriverVtbl, queryInterface, 0 * 8, QueryInterfaceFn);
PIN_FIELD(FoldbackDriverVtbl, addRef, 1 * 8, AddRefFn);
PIN_FIELD(FoldbackDriverVtbl, release, 2 * 8, ReleaseFn);
PIN_FIELD(FoldbackDriverVtbl, init, 3 * 8, InitFn);
PIN_FIELD(FoldbackDriverVtbl, getDriverName, 4 * 8, GetDriverNameFn);
PIN_FIELD(FoldbackDriverVtbl, getDriverVersion, 5 * 8, GetDriverVersionFn);
PIN_FIELD(FoldbackDriverVtbl, getErrorMessage, 6 * 8, GetErrorMessageFn);
PIN_FIELD(FoldbackDriverVtbl, start, 7 * 8, StartFn);
PIN_FIELD(FoldbackDriverVtbl, stop, 8 * 8, StopFn);
PIN_FIELD(FoldbackDriverVtbl, getChannels, 9 * 8, GetChannelsFn);
PIN_FIELD(FoldbackDriverVtbl, getLatencies, 10 * 8, GetLatenciesFn);
PIN_FIELD(FoldbackDriverVtbl, getBufferSize, 11 * 8, GetBufferSizeFn);
PIN_FIELD(FoldbackDriverVtbl, canSampleRate, 12 * 8, CanSampleRateFn);
PIN_FIELD(FoldbackDriverVtbl, getSampleRate, 13 * 8, GetSampleRateFn);
PIN_FIELD(FoldbackDriverVtbl, setSampleRate, 14 * 8, SetSampleRateFn);
PIN_FIELD(FoldbackDriverVtbl, getClockSources, 15 * 8, GetClockSourcesFn);
PIN_FIELD(FoldbackDriverVtbl, setClockSource, 16 * 8, SetClockSourceFn);
PIN_FIELD(FoldbackDriverVtbl, getSamplePosition, 17 * 8, GetSamplePositionFn);
PIN_FIELD(FoldbackDriverVtbl, getChannelInfo, 18 * 8, GetChannelInfoFn);
PIN_FIELD(FoldbackDriverVtbl, createBuffers, 19 * 8, CreateBuffersFn);
PIN_FIELD(FoldbackDriverVtbl, disposeBuffers, 20 * 8, DisposeBuffersFn);
PIN_FIELD(FoldbackDriverVtbl, controlPanel, 21 * 8, ControlPanelFn);
PIN_FIELD(FoldbackDriverVtbl, future, 22 * 8, FutureFn);
PIN_FIELD(FoldbackDriverVtbl, outputReady, 23 * 8, OutputReadyFn);

/* ---- §1.1 the four exported entry points ---------------------------------------------- */

typedef FoldbackDriver* (*InstantiateDriverFn)(void);
typedef void (*ReleaseDriverFn)(FoldbackDriver*);
typedef int (*RegisterDriverFn)(const char*);
_Static_assert(_Generic(&instantiateDriver, InstantiateDriverFn : 1, default : 0),
               "instantiateDriver");
_Static_assert(_Generic(&releaseDriver, ReleaseDriverFn : 1, default : 0), "releaseDriver");
_Static_assert(_Generic(&registerDriver, RegisterDriverFn : 1, default : 0), "registerDriver");
_Static_assert(_Generic(&unregisterDriver, RegisterDriverFn : 1, default : 0), "unregisterDriver");
PIN_TYPEDEF(FoldbackInstantiateFn, InstantiateDriverFn);

/* ---- Foldback's own future() extensions (driver.h, docs/abi.md) ----------------------- */
/* Not in the spec: pinned as published, so that a change is deliberate. */

PIN(kFoldbackReservedFirst, 0x7F000100);
PIN(kFoldbackSetThreadCreator, 0x7F000101);
PIN(kFoldbackGetCounters, 0x7F000102);
PIN(kFoldbackGetStatus, 0x7F000103);
PIN(kFoldbackListDevices, 0x7F000104);
PIN(kFoldbackInjectFault, 0x7F000120);
PIN(kFoldbackReservedLast, 0x7F0001FF);
PIN(kFoldbackFaultLatePeriod, 1);
PIN(kFoldbackFaultDropFrames, 2);
PIN(kFoldbackFaultDeviceLoss, 3);
PIN(kFoldbackFaultRateChange, 4);
PIN(kFoldbackFaultDeviceReturn, 5);

typedef int (*ThreadCreateFn)(void*, pthread_t*, void* (*)(void*), void*);
typedef char Char256[256];
PIN_STRUCT(FoldbackThreadCreator, 16, 8);
PIN_FIELD(FoldbackThreadCreator, create, 0, ThreadCreateFn);
PIN_FIELD(FoldbackThreadCreator, context, 8, void*);
PIN_STRUCT(FoldbackCounters, 48, 8);
PIN_FIELD(FoldbackCounters, switches, 0, long long);
PIN_FIELD(FoldbackCounters, overloads, 8, long long);
PIN_FIELD(FoldbackCounters, resyncs, 16, long long);
PIN_FIELD(FoldbackCounters, skippedFrames, 24, long long);
PIN_FIELD(FoldbackCounters, latePeriods, 32, long long);
PIN_FIELD(FoldbackCounters, resets, 40, long long);
PIN_STRUCT(FoldbackStatus, 272, 8);
PIN_FIELD(FoldbackStatus, realtime, 0, long);
PIN_FIELD(FoldbackStatus, rtPriority, 8, long);
PIN_FIELD(FoldbackStatus, warning, 16, Char256);
typedef char Char128[128];
PIN_STRUCT(FoldbackDevice, 208, 8);
PIN_FIELD(FoldbackDevice, id, 0, Char64);
PIN_FIELD(FoldbackDevice, description, 64, Char128);
PIN_FIELD(FoldbackDevice, inputs, 192, long);
PIN_FIELD(FoldbackDevice, outputs, 200, long);
typedef FoldbackDevice* DevicePtr;
PIN_STRUCT(FoldbackDeviceList, 24, 8);
PIN_FIELD(FoldbackDeviceList, devices, 0, DevicePtr);
PIN_FIELD(FoldbackDeviceList, capacity, 8, long);
PIN_FIELD(FoldbackDeviceList, count, 16, long);
PIN_STRUCT(FoldbackFault, 16, 8);
PIN_FIELD(FoldbackFault, kind, 0, long);
PIN_FIELD(FoldbackFault, value, 8, long);

/* ---- run time: a table filled by member name reads back in slot order ----------------- */

typedef void (*AnyFn)(void);
static long s_slotSeen = -1;

/* 24 distinct functions whose identity is the slot number. */
/* clang-format off */
static void slot0(void) { s_slotSeen = 0; }
static void slot1(void) { s_slotSeen = 1; }
static void slot2(void) { s_slotSeen = 2; }
static void slot3(void) { s_slotSeen = 3; }
static void slot4(void) { s_slotSeen = 4; }
static void slot5(void) { s_slotSeen = 5; }
static void slot6(void) { s_slotSeen = 6; }
static void slot7(void) { s_slotSeen = 7; }
static void slot8(void) { s_slotSeen = 8; }
static void slot9(void) { s_slotSeen = 9; }
static void slot10(void) { s_slotSeen = 10; }
static void slot11(void) { s_slotSeen = 11; }
static void slot12(void) { s_slotSeen = 12; }
static void slot13(void) { s_slotSeen = 13; }
static void slot14(void) { s_slotSeen = 14; }
static void slot15(void) { s_slotSeen = 15; }
static void slot16(void) { s_slotSeen = 16; }
static void slot17(void) { s_slotSeen = 17; }
static void slot18(void) { s_slotSeen = 18; }
static void slot19(void) { s_slotSeen = 19; }
static void slot20(void) { s_slotSeen = 20; }
static void slot21(void) { s_slotSeen = 21; }
static void slot22(void) { s_slotSeen = 22; }
static void slot23(void) { s_slotSeen = 23; }
/* clang-format on */

int main(void) {
    static const AnyFn bySlot[24] = {slot0,  slot1,  slot2,  slot3,  slot4,  slot5,
                                     slot6,  slot7,  slot8,  slot9,  slot10, slot11,
                                     slot12, slot13, slot14, slot15, slot16, slot17,
                                     slot18, slot19, slot20, slot21, slot22, slot23};
    /* Filled by name, the way a C driver writes its table. */
    FoldbackDriverVtbl table = {
        .queryInterface = (QueryInterfaceFn)slot0,
        .addRef = (AddRefFn)slot1,
        .release = (ReleaseFn)slot2,
        .init = (InitFn)slot3,
        .getDriverName = (GetDriverNameFn)slot4,
        .getDriverVersion = (GetDriverVersionFn)slot5,
        .getErrorMessage = (GetErrorMessageFn)slot6,
        .start = (StartFn)slot7,
        .stop = (StopFn)slot8,
        .getChannels = (GetChannelsFn)slot9,
        .getLatencies = (GetLatenciesFn)slot10,
        .getBufferSize = (GetBufferSizeFn)slot11,
        .canSampleRate = (CanSampleRateFn)slot12,
        .getSampleRate = (GetSampleRateFn)slot13,
        .setSampleRate = (SetSampleRateFn)slot14,
        .getClockSources = (GetClockSourcesFn)slot15,
        .setClockSource = (SetClockSourceFn)slot16,
        .getSamplePosition = (GetSamplePositionFn)slot17,
        .getChannelInfo = (GetChannelInfoFn)slot18,
        .createBuffers = (CreateBuffersFn)slot19,
        .disposeBuffers = (DisposeBuffersFn)slot20,
        .controlPanel = (ControlPanelFn)slot21,
        .future = (FutureFn)slot22,
        .outputReady = (OutputReadyFn)slot23,
    };
    /* What a host does: take the table as 24 pointers and call entry i. */
    AnyFn raw[24];
    memcpy(raw, &table, sizeof raw);
    int failures = 0;
    for (long i = 0; i < 24; ++i) {
        s_slotSeen = -1;
        raw[i]();
        if (raw[i] != bySlot[i] || s_slotSeen != i) {
            fprintf(stderr, "abi_pins: entry %ld of the table runs slot %ld\n", i, s_slotSeen);
            ++failures;
        }
    }
    if (failures != 0) return 1;
    printf("abi_pins: LP64 layout pinned at compile time; the 24 entries run in slot order\n");
    return 0;
}
