/*
 * foldback/sdk.h -- the SDK-style C host API: one current driver, the function names of
 * the Steinberg SDK's host glue (ASIOInit ... ASIOOutputReady), plus loading by instance
 * name. SDK-based host code ports with include/foldback/compat/ (asio.h, asiosys.h,
 * asiodrivers.h) and no other change than its platform shim.
 *
 * Where the SDK glue is loose, this one is strict (spec/linux-abi.md §5.3, §7):
 *   - ASIOExit stops, disposes and releases the driver (not a no-op);
 *   - a failed ASIOInit fills errorMessage with the driver's text and unloads it;
 *   - a failed ASIOLoadDriver leaves nothing loaded, and ASIOLastLoadError says why.
 * Without a loaded driver every call returns ASE_NotPresent (as the SDK's glue does).
 * Thread: [control] from one thread at a time, except ASIOGetSamplePosition,
 * ASIOGetSampleRate and ASIOOutputReady, which may be called inside bufferSwitch.
 */
#ifndef FOLDBACK_SDK_H
#define FOLDBACK_SDK_H

#include "asio.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Loads instance `name` (registry) as the current driver, unloading any previous one.
 * ASE_OK, or ASE_NotPresent with the reason in ASIOLastLoadError(). */
ASIOError ASIOLoadDriver(const char* name);
/* The reason of the last failed ASIOLoadDriver/ASIOInit, "" if none. Valid until the next call. */
const char* ASIOLastLoadError(void);
/* Releases the current driver (stop + dispose first). Always ASE_OK. */
ASIOError ASIOUnloadDriver(void);

ASIOError ASIOInit(ASIODriverInfo* info);
ASIOError ASIOExit(void);
ASIOError ASIOStart(void);
ASIOError ASIOStop(void);
ASIOError ASIOGetChannels(long* numInputChannels, long* numOutputChannels);
ASIOError ASIOGetLatencies(long* inputLatency, long* outputLatency);
ASIOError ASIOGetBufferSize(long* minSize, long* maxSize, long* preferredSize, long* granularity);
ASIOError ASIOCanSampleRate(ASIOSampleRate sampleRate);
ASIOError ASIOGetSampleRate(ASIOSampleRate* currentRate);
ASIOError ASIOSetSampleRate(ASIOSampleRate sampleRate);
ASIOError ASIOGetClockSources(ASIOClockSource* clocks, long* numSources);
ASIOError ASIOSetClockSource(long reference);
ASIOError ASIOGetSamplePosition(ASIOSamples* sPos, ASIOTimeStamp* tStamp);
ASIOError ASIOGetChannelInfo(ASIOChannelInfo* info);
ASIOError ASIOCreateBuffers(ASIOBufferInfo* bufferInfos, long numChannels, long bufferSize,
                            ASIOCallbacks* callbacks);
ASIOError ASIODisposeBuffers(void);
ASIOError ASIOControlPanel(void);
ASIOError ASIOFuture(long selector, void* params);
ASIOError ASIOOutputReady(void);

#ifdef __cplusplus
}
#endif

#endif /* FOLDBACK_SDK_H */
