/* The C half of the view test: see c_table.h. */
#include "c_table.h"

#include <string.h>

AbiArgs abiArgs;
AbiCall abiCLast = {.slot = -1};

/* clang-format off */
static const char* const kSlotNames[kAbiSlots] = {
    "queryInterface", "addRef", "release", "init", "getDriverName", "getDriverVersion",
    "getErrorMessage", "start", "stop", "getChannels", "getLatencies", "getBufferSize",
    "canSampleRate", "getSampleRate", "setSampleRate", "getClockSources", "setClockSource",
    "getSamplePosition", "getChannelInfo", "createBuffers", "disposeBuffers", "controlPanel",
    "future", "outputReady"};
/* clang-format on */

const char* abiSlotName(int slot) {
    return slot >= 0 && slot < kAbiSlots ? kSlotNames[slot] : "(beyond the table)";
}

int abiSlotIsVoid(int slot) {
    return slot == 4 || slot == 6;
}

long abiResult(int slot) {
    return abiSlotIsVoid(slot) ? 0 : 0x5A00000000L + slot;
}

AbiCall abiExpectedCall(int slot, const void* self) {
    AbiCall c;
    memset(&c, 0, sizeof c);
    c.slot = slot;
    c.self = self;
    switch (slot) {
        case 0:
            c.ptr[0] = abiArgs.iid;
            c.ptr[1] = &abiArgs.out;
            break;
        case 3:
            c.ptr[0] = &abiArgs.sysRefTarget;
            break;
        case 4:
        case 6:
            c.ptr[0] = abiArgs.text;
            break;
        case 9:
        case 10:
            c.ptr[0] = &abiArgs.longs[0];
            c.ptr[1] = &abiArgs.longs[1];
            break;
        case 11:
            for (int i = 0; i < 4; ++i) c.ptr[i] = &abiArgs.longs[i];
            break;
        case 12:
            c.rate = ABI_RATE_A;
            break;
        case 13:
            c.ptr[0] = &abiArgs.rate;
            break;
        case 14:
            c.rate = ABI_RATE_B;
            break;
        case 15:
            c.ptr[0] = abiArgs.clocks;
            c.ptr[1] = &abiArgs.longs[0];
            break;
        case 16:
            c.num[0] = ABI_LONG_A;
            break;
        case 17:
            c.ptr[0] = &abiArgs.position;
            c.ptr[1] = &abiArgs.stamp;
            break;
        case 18:
            c.ptr[0] = &abiArgs.info;
            break;
        case 19:
            c.ptr[0] = abiArgs.buffers;
            c.num[0] = ABI_LONG_A;
            c.num[1] = ABI_LONG_B;
            c.ptr[1] = &abiArgs.callbacks;
            break;
        case 22:
            c.num[0] = ABI_SELECTOR;
            c.ptr[0] = abiArgs.text;
            break;
        default:
            break; /* no arguments after self */
    }
    return c;
}

/* ---- the C table: entry i records slot i -------------------------------------------- */

static AbiCall* begin(int slot, const FoldbackDriver* self) {
    memset(&abiCLast, 0, sizeof abiCLast);
    abiCLast.slot = slot;
    abiCLast.self = self;
    return &abiCLast;
}

static long cQueryInterface(FoldbackDriver* self, const void* iid, void** out) {
    AbiCall* c = begin(0, self);
    c->ptr[0] = iid;
    c->ptr[1] = out;
    return abiResult(0);
}
static unsigned long cAddRef(FoldbackDriver* self) {
    begin(1, self);
    return (unsigned long)abiResult(1);
}
static unsigned long cRelease(FoldbackDriver* self) {
    begin(2, self);
    return (unsigned long)abiResult(2);
}
static ASIOBool cInit(FoldbackDriver* self, void* sysRef) {
    begin(3, self)->ptr[0] = sysRef;
    return abiResult(3);
}
static void cGetDriverName(FoldbackDriver* self, char* name) {
    begin(4, self)->ptr[0] = name;
}
static long cGetDriverVersion(FoldbackDriver* self) {
    begin(5, self);
    return abiResult(5);
}
static void cGetErrorMessage(FoldbackDriver* self, char* text) {
    begin(6, self)->ptr[0] = text;
}
static ASIOError cStart(FoldbackDriver* self) {
    begin(7, self);
    return abiResult(7);
}
static ASIOError cStop(FoldbackDriver* self) {
    begin(8, self);
    return abiResult(8);
}
static ASIOError cGetChannels(FoldbackDriver* self, long* in, long* out) {
    AbiCall* c = begin(9, self);
    c->ptr[0] = in;
    c->ptr[1] = out;
    return abiResult(9);
}
static ASIOError cGetLatencies(FoldbackDriver* self, long* in, long* out) {
    AbiCall* c = begin(10, self);
    c->ptr[0] = in;
    c->ptr[1] = out;
    return abiResult(10);
}
static ASIOError cGetBufferSize(FoldbackDriver* self, long* min, long* max, long* pref,
                                long* gran) {
    AbiCall* c = begin(11, self);
    c->ptr[0] = min;
    c->ptr[1] = max;
    c->ptr[2] = pref;
    c->ptr[3] = gran;
    return abiResult(11);
}
static ASIOError cCanSampleRate(FoldbackDriver* self, ASIOSampleRate rate) {
    begin(12, self)->rate = rate;
    return abiResult(12);
}
static ASIOError cGetSampleRate(FoldbackDriver* self, ASIOSampleRate* rate) {
    begin(13, self)->ptr[0] = rate;
    return abiResult(13);
}
static ASIOError cSetSampleRate(FoldbackDriver* self, ASIOSampleRate rate) {
    begin(14, self)->rate = rate;
    return abiResult(14);
}
static ASIOError cGetClockSources(FoldbackDriver* self, ASIOClockSource* clocks, long* num) {
    AbiCall* c = begin(15, self);
    c->ptr[0] = clocks;
    c->ptr[1] = num;
    return abiResult(15);
}
static ASIOError cSetClockSource(FoldbackDriver* self, long reference) {
    begin(16, self)->num[0] = reference;
    return abiResult(16);
}
static ASIOError cGetSamplePosition(FoldbackDriver* self, ASIOSamples* pos, ASIOTimeStamp* ts) {
    AbiCall* c = begin(17, self);
    c->ptr[0] = pos;
    c->ptr[1] = ts;
    return abiResult(17);
}
static ASIOError cGetChannelInfo(FoldbackDriver* self, ASIOChannelInfo* info) {
    begin(18, self)->ptr[0] = info;
    return abiResult(18);
}
static ASIOError cCreateBuffers(FoldbackDriver* self, ASIOBufferInfo* infos, long numChannels,
                                long bufferSize, const ASIOCallbacks* callbacks) {
    AbiCall* c = begin(19, self);
    c->ptr[0] = infos;
    c->num[0] = numChannels;
    c->num[1] = bufferSize;
    c->ptr[1] = callbacks;
    return abiResult(19);
}
static ASIOError cDisposeBuffers(FoldbackDriver* self) {
    begin(20, self);
    return abiResult(20);
}
static ASIOError cControlPanel(FoldbackDriver* self) {
    begin(21, self);
    return abiResult(21);
}
static ASIOError cFuture(FoldbackDriver* self, long selector, void* opt) {
    AbiCall* c = begin(22, self);
    c->num[0] = selector;
    c->ptr[0] = opt;
    return abiResult(22);
}
static ASIOError cOutputReady(FoldbackDriver* self) {
    begin(23, self);
    return abiResult(23);
}
/* Where a view two slots off lands after the last entry. */
static long cBeyond24(FoldbackDriver* self) {
    begin(24, self);
    return 0;
}
static long cBeyond25(FoldbackDriver* self) {
    begin(25, self);
    return 0;
}

typedef long (*BeyondFn)(FoldbackDriver*);

static const struct {
    FoldbackDriverVtbl table;
    BeyondFn beyond[2];
} kTable = {
    {
        /* by name, as a C driver writes it */
        .queryInterface = cQueryInterface,
        .addRef = cAddRef,
        .release = cRelease,
        .init = cInit,
        .getDriverName = cGetDriverName,
        .getDriverVersion = cGetDriverVersion,
        .getErrorMessage = cGetErrorMessage,
        .start = cStart,
        .stop = cStop,
        .getChannels = cGetChannels,
        .getLatencies = cGetLatencies,
        .getBufferSize = cGetBufferSize,
        .canSampleRate = cCanSampleRate,
        .getSampleRate = cGetSampleRate,
        .setSampleRate = cSetSampleRate,
        .getClockSources = cGetClockSources,
        .setClockSource = cSetClockSource,
        .getSamplePosition = cGetSamplePosition,
        .getChannelInfo = cGetChannelInfo,
        .createBuffers = cCreateBuffers,
        .disposeBuffers = cDisposeBuffers,
        .controlPanel = cControlPanel,
        .future = cFuture,
        .outputReady = cOutputReady,
    },
    {cBeyond24, cBeyond25},
};

/* The object: the table pointer first, private state after it, as in a real C driver. */
static struct {
    FoldbackDriver base;
    long privateState;
} s_driver = {{&kTable.table}, 42};

FoldbackDriver* abiCDriver(void) {
    return &s_driver.base;
}

long abiCallFromC(FoldbackDriver* drv, int slot) {
    const FoldbackDriverVtbl* t = drv->lpVtbl;
    AbiArgs* a = &abiArgs;
    switch (slot) {
        case 0:
            return t->queryInterface(drv, a->iid, &a->out);
        case 1:
            return (long)t->addRef(drv);
        case 2:
            return (long)t->release(drv);
        case 3:
            return t->init(drv, &a->sysRefTarget);
        case 4:
            t->getDriverName(drv, a->text);
            return 0;
        case 5:
            return t->getDriverVersion(drv);
        case 6:
            t->getErrorMessage(drv, a->text);
            return 0;
        case 7:
            return t->start(drv);
        case 8:
            return t->stop(drv);
        case 9:
            return t->getChannels(drv, &a->longs[0], &a->longs[1]);
        case 10:
            return t->getLatencies(drv, &a->longs[0], &a->longs[1]);
        case 11:
            return t->getBufferSize(drv, &a->longs[0], &a->longs[1], &a->longs[2], &a->longs[3]);
        case 12:
            return t->canSampleRate(drv, ABI_RATE_A);
        case 13:
            return t->getSampleRate(drv, &a->rate);
        case 14:
            return t->setSampleRate(drv, ABI_RATE_B);
        case 15:
            return t->getClockSources(drv, a->clocks, &a->longs[0]);
        case 16:
            return t->setClockSource(drv, ABI_LONG_A);
        case 17:
            return t->getSamplePosition(drv, &a->position, &a->stamp);
        case 18:
            return t->getChannelInfo(drv, &a->info);
        case 19:
            return t->createBuffers(drv, a->buffers, ABI_LONG_A, ABI_LONG_B, &a->callbacks);
        case 20:
            return t->disposeBuffers(drv);
        case 21:
            return t->controlPanel(drv);
        case 22:
            return t->future(drv, ABI_SELECTOR, a->text);
        case 23:
            return t->outputReady(drv);
        default:
            return -1;
    }
}

const AbiFact abiCFacts[] = {ABI_STRUCTS(ABI_FACT_SIZE) ABI_FIELDS(ABI_FACT_OFFSET)
                                 ABI_CONSTANTS(ABI_FACT_CONSTANT)};
const size_t abiCFactCount = sizeof abiCFacts / sizeof abiCFacts[0];
