// DESIGN.md §2: a C++ class whose only members are pure virtual functions in vtable order
// (no virtual destructor) has the layout of the C driver object under the Itanium ABI. The
// test proves it both ways, on real objects:
//   - a C object (a table of C functions, c_table.c) called through the C++ interface;
//   - a C++ implementation called through the C table, from C code.
// Each call must run the function of the same slot and deliver every argument and the
// result intact. Two wrong interfaces (two methods swapped; a virtual destructor first)
// show that the harness notices when the views disagree.
#include <gtest/gtest.h>

#include <array>
#include <cstddef>
#include <cstring>
#include <iterator>
#include <string>
#include <type_traits>

#include "c_table.h"

// The interfaces live in a named namespace on purpose. In an anonymous namespace GCC sees
// every class derived from them (one, in this file) and turns calls through the interface
// into direct calls to that class, which is wrong for an object that came from C. A host
// that uses the C++ view on a driver's objects must likewise give the interface external
// linkage.
namespace abi_views {

// The C++ view of FoldbackDriver: slot i of the vtable is the i-th function below.
class IAsioDriver {
  public:
    virtual long queryInterface(const void* iid, void** out) = 0;
    virtual unsigned long addRef() = 0;
    virtual unsigned long release() = 0;
    virtual ASIOBool init(void* sysRef) = 0;
    virtual void getDriverName(char* name) = 0;
    virtual long getDriverVersion() = 0;
    virtual void getErrorMessage(char* string) = 0;
    virtual ASIOError start() = 0;
    virtual ASIOError stop() = 0;
    virtual ASIOError getChannels(long* numInputChannels, long* numOutputChannels) = 0;
    virtual ASIOError getLatencies(long* inputLatency, long* outputLatency) = 0;
    virtual ASIOError getBufferSize(long* minSize, long* maxSize, long* preferredSize,
                                    long* granularity) = 0;
    virtual ASIOError canSampleRate(ASIOSampleRate sampleRate) = 0;
    virtual ASIOError getSampleRate(ASIOSampleRate* sampleRate) = 0;
    virtual ASIOError setSampleRate(ASIOSampleRate sampleRate) = 0;
    virtual ASIOError getClockSources(ASIOClockSource* clocks, long* numSources) = 0;
    virtual ASIOError setClockSource(long reference) = 0;
    virtual ASIOError getSamplePosition(ASIOSamples* sPos, ASIOTimeStamp* tStamp) = 0;
    virtual ASIOError getChannelInfo(ASIOChannelInfo* info) = 0;
    virtual ASIOError createBuffers(ASIOBufferInfo* bufferInfos, long numChannels, long bufferSize,
                                    const ASIOCallbacks* callbacks) = 0;
    virtual ASIOError disposeBuffers() = 0;
    virtual ASIOError controlPanel() = 0;
    virtual ASIOError future(long selector, void* opt) = 0;
    virtual ASIOError outputReady() = 0;
};

static_assert(std::is_polymorphic_v<IAsioDriver> && std::is_abstract_v<IAsioDriver>);
static_assert(!std::has_virtual_destructor_v<IAsioDriver>, "a virtual destructor adds 2 slots");
static_assert(sizeof(IAsioDriver) == sizeof(FoldbackDriver), "only the vtable pointer");
static_assert(alignof(IAsioDriver) == alignof(FoldbackDriver));

// Defect 1: getLatencies declared before getChannels. Same signatures, so every call
// compiles and runs; only the slot is wrong.
class IAsioDriverSwapped {
  public:
    virtual long queryInterface(const void* iid, void** out) = 0;
    virtual unsigned long addRef() = 0;
    virtual unsigned long release() = 0;
    virtual ASIOBool init(void* sysRef) = 0;
    virtual void getDriverName(char* name) = 0;
    virtual long getDriverVersion() = 0;
    virtual void getErrorMessage(char* string) = 0;
    virtual ASIOError start() = 0;
    virtual ASIOError stop() = 0;
    virtual ASIOError getLatencies(long* inputLatency, long* outputLatency) = 0;
    virtual ASIOError getChannels(long* numInputChannels, long* numOutputChannels) = 0;
    virtual ASIOError getBufferSize(long* minSize, long* maxSize, long* preferredSize,
                                    long* granularity) = 0;
    virtual ASIOError canSampleRate(ASIOSampleRate sampleRate) = 0;
    virtual ASIOError getSampleRate(ASIOSampleRate* sampleRate) = 0;
    virtual ASIOError setSampleRate(ASIOSampleRate sampleRate) = 0;
    virtual ASIOError getClockSources(ASIOClockSource* clocks, long* numSources) = 0;
    virtual ASIOError setClockSource(long reference) = 0;
    virtual ASIOError getSamplePosition(ASIOSamples* sPos, ASIOTimeStamp* tStamp) = 0;
    virtual ASIOError getChannelInfo(ASIOChannelInfo* info) = 0;
    virtual ASIOError createBuffers(ASIOBufferInfo* bufferInfos, long numChannels, long bufferSize,
                                    const ASIOCallbacks* callbacks) = 0;
    virtual ASIOError disposeBuffers() = 0;
    virtual ASIOError controlPanel() = 0;
    virtual ASIOError future(long selector, void* opt) = 0;
    virtual ASIOError outputReady() = 0;
};

// Defect 2: a virtual destructor declared first takes slots 0 and 1 (complete and
// deleting destructor), which moves every method two slots down.
class IAsioDriverVirtualDtor {
  public:
    virtual ~IAsioDriverVirtualDtor() = default;
    virtual long queryInterface(const void* iid, void** out) = 0;
    virtual unsigned long addRef() = 0;
    virtual unsigned long release() = 0;
    virtual ASIOBool init(void* sysRef) = 0;
    virtual void getDriverName(char* name) = 0;
    virtual long getDriverVersion() = 0;
    virtual void getErrorMessage(char* string) = 0;
    virtual ASIOError start() = 0;
    virtual ASIOError stop() = 0;
    virtual ASIOError getChannels(long* numInputChannels, long* numOutputChannels) = 0;
    virtual ASIOError getLatencies(long* inputLatency, long* outputLatency) = 0;
    virtual ASIOError getBufferSize(long* minSize, long* maxSize, long* preferredSize,
                                    long* granularity) = 0;
    virtual ASIOError canSampleRate(ASIOSampleRate sampleRate) = 0;
    virtual ASIOError getSampleRate(ASIOSampleRate* sampleRate) = 0;
    virtual ASIOError setSampleRate(ASIOSampleRate sampleRate) = 0;
    virtual ASIOError getClockSources(ASIOClockSource* clocks, long* numSources) = 0;
    virtual ASIOError setClockSource(long reference) = 0;
    virtual ASIOError getSamplePosition(ASIOSamples* sPos, ASIOTimeStamp* tStamp) = 0;
    virtual ASIOError getChannelInfo(ASIOChannelInfo* info) = 0;
    virtual ASIOError createBuffers(ASIOBufferInfo* bufferInfos, long numChannels, long bufferSize,
                                    const ASIOCallbacks* callbacks) = 0;
    virtual ASIOError disposeBuffers() = 0;
    virtual ASIOError controlPanel() = 0;
    virtual ASIOError future(long selector, void* opt) = 0;
    virtual ASIOError outputReady() = 0;
};

}  // namespace abi_views

namespace {

using abi_views::IAsioDriver;
using abi_views::IAsioDriverSwapped;
using abi_views::IAsioDriverVirtualDtor;

// Calls the method of slot `slot` (by name) through a C++ view, with the canonical
// arguments of c_table.h.
template <class View>
long callThroughView(View* v, int slot) {
    AbiArgs& a = abiArgs;
    switch (slot) {
        case 0:
            return v->queryInterface(a.iid, &a.out);
        case 1:
            return static_cast<long>(v->addRef());
        case 2:
            return static_cast<long>(v->release());
        case 3:
            return v->init(&a.sysRefTarget);
        case 4:
            v->getDriverName(a.text);
            return 0;
        case 5:
            return v->getDriverVersion();
        case 6:
            v->getErrorMessage(a.text);
            return 0;
        case 7:
            return v->start();
        case 8:
            return v->stop();
        case 9:
            return v->getChannels(&a.longs[0], &a.longs[1]);
        case 10:
            return v->getLatencies(&a.longs[0], &a.longs[1]);
        case 11:
            return v->getBufferSize(&a.longs[0], &a.longs[1], &a.longs[2], &a.longs[3]);
        case 12:
            return v->canSampleRate(ABI_RATE_A);
        case 13:
            return v->getSampleRate(&a.rate);
        case 14:
            return v->setSampleRate(ABI_RATE_B);
        case 15:
            return v->getClockSources(a.clocks, &a.longs[0]);
        case 16:
            return v->setClockSource(ABI_LONG_A);
        case 17:
            return v->getSamplePosition(&a.position, &a.stamp);
        case 18:
            return v->getChannelInfo(&a.info);
        case 19:
            return v->createBuffers(a.buffers, ABI_LONG_A, ABI_LONG_B, &a.callbacks);
        case 20:
            return v->disposeBuffers();
        case 21:
            return v->controlPanel();
        case 22:
            return v->future(ABI_SELECTOR, a.text);
        case 23:
            return v->outputReady();
        default:
            return -1;
    }
}

// A C++ driver: each override records its own slot (by name) and what it received.
template <class View>
class Recorder final : public View {
  public:
    AbiCall last{};

    FoldbackDriver* asC() { return reinterpret_cast<FoldbackDriver*>(static_cast<View*>(this)); }

    long queryInterface(const void* iid, void** out) override {
        begin(0).ptr[0] = iid;
        last.ptr[1] = out;
        return abiResult(0);
    }
    unsigned long addRef() override { return static_cast<unsigned long>(ret(1)); }
    unsigned long release() override { return static_cast<unsigned long>(ret(2)); }
    ASIOBool init(void* sysRef) override {
        begin(3).ptr[0] = sysRef;
        return abiResult(3);
    }
    void getDriverName(char* name) override { begin(4).ptr[0] = name; }
    long getDriverVersion() override { return ret(5); }
    void getErrorMessage(char* string) override { begin(6).ptr[0] = string; }
    ASIOError start() override { return ret(7); }
    ASIOError stop() override { return ret(8); }
    ASIOError getChannels(long* in, long* out) override { return pointers(9, in, out); }
    ASIOError getLatencies(long* in, long* out) override { return pointers(10, in, out); }
    ASIOError getBufferSize(long* min, long* max, long* pref, long* gran) override {
        begin(11);
        last.ptr[0] = min;
        last.ptr[1] = max;
        last.ptr[2] = pref;
        last.ptr[3] = gran;
        return abiResult(11);
    }
    ASIOError canSampleRate(ASIOSampleRate rate) override {
        begin(12).rate = rate;
        return abiResult(12);
    }
    ASIOError getSampleRate(ASIOSampleRate* rate) override {
        begin(13).ptr[0] = rate;
        return abiResult(13);
    }
    ASIOError setSampleRate(ASIOSampleRate rate) override {
        begin(14).rate = rate;
        return abiResult(14);
    }
    ASIOError getClockSources(ASIOClockSource* clocks, long* num) override {
        return pointers(15, clocks, num);
    }
    ASIOError setClockSource(long reference) override {
        begin(16).num[0] = reference;
        return abiResult(16);
    }
    ASIOError getSamplePosition(ASIOSamples* pos, ASIOTimeStamp* ts) override {
        return pointers(17, pos, ts);
    }
    ASIOError getChannelInfo(ASIOChannelInfo* info) override {
        begin(18).ptr[0] = info;
        return abiResult(18);
    }
    ASIOError createBuffers(ASIOBufferInfo* infos, long numChannels, long bufferSize,
                            const ASIOCallbacks* callbacks) override {
        begin(19);
        last.ptr[0] = infos;
        last.num[0] = numChannels;
        last.num[1] = bufferSize;
        last.ptr[1] = callbacks;
        return abiResult(19);
    }
    ASIOError disposeBuffers() override { return ret(20); }
    ASIOError controlPanel() override { return ret(21); }
    ASIOError future(long selector, void* opt) override {
        begin(22).num[0] = selector;
        last.ptr[0] = opt;
        return abiResult(22);
    }
    ASIOError outputReady() override { return ret(23); }

  private:
    AbiCall& begin(int slot) {
        last = AbiCall{};
        last.slot = slot;
        last.self = asC();
        return last;
    }
    long ret(int slot) {
        begin(slot);
        return abiResult(slot);
    }
    long pointers(int slot, const void* p0, const void* p1) {
        begin(slot);
        last.ptr[0] = p0;
        last.ptr[1] = p1;
        return abiResult(slot);
    }
};

// The compiler must not assume anything about the object behind a view.
template <class T>
T* opaque(T* p) {
    asm volatile("" : "+r"(p));
    return p;
}

// For each method slot (by name), the slot of the function that actually ran.
using SlotsRun = std::array<int, kAbiSlots>;

template <class View>
SlotsRun cObjectThroughCppView() {
    SlotsRun ran{};
    auto* view = opaque(reinterpret_cast<View*>(abiCDriver()));
    for (int slot = 0; slot < kAbiSlots; ++slot) {
        abiCLast = AbiCall{};
        abiCLast.slot = -1;
        callThroughView(view, slot);
        ran[slot] = abiCLast.slot;
    }
    return ran;
}

template <class View>
SlotsRun cppObjectThroughCTable() {
    SlotsRun ran{};
    Recorder<View> impl;
    for (int slot = 0; slot < kAbiSlots; ++slot) {
        impl.last = AbiCall{};
        impl.last.slot = -1;
        abiCallFromC(opaque(impl.asC()), slot);
        ran[slot] = impl.last.slot;
    }
    return ran;
}

SlotsRun identity() {
    SlotsRun s{};
    for (int i = 0; i < kAbiSlots; ++i) s[i] = i;
    return s;
}

void expectSameCall(const AbiCall& got, const AbiCall& want) {
    EXPECT_EQ(got.slot, want.slot) << "ran " << abiSlotName(got.slot);
    EXPECT_EQ(got.self, want.self) << "self";
    for (int i = 0; i < 4; ++i) EXPECT_EQ(got.ptr[i], want.ptr[i]) << "pointer argument " << i;
    for (int i = 0; i < 2; ++i) EXPECT_EQ(got.num[i], want.num[i]) << "long argument " << i;
    // Bit-exact: the double must travel unconverted.
    EXPECT_EQ(std::memcmp(&got.rate, &want.rate, sizeof got.rate), 0)
        << "double argument " << got.rate << " != " << want.rate;
}

TEST(AbiViews, CppViewOfACObjectRunsTheCFunctionOfTheSameSlot) {
    FoldbackDriver* drv = abiCDriver();
    auto* view = opaque(reinterpret_cast<IAsioDriver*>(drv));
    for (int slot = 0; slot < kAbiSlots; ++slot) {
        SCOPED_TRACE(std::string("C++ ") + abiSlotName(slot) + " on a C object");
        abiCLast = AbiCall{};
        abiCLast.slot = -1;
        const long result = callThroughView(view, slot);
        expectSameCall(abiCLast, abiExpectedCall(slot, drv));
        EXPECT_EQ(result, abiResult(slot)) << "result";
    }
}

TEST(AbiViews, CTableOfACppObjectRunsTheOverrideOfTheSameSlot) {
    Recorder<IAsioDriver> impl;
    FoldbackDriver* drv = opaque(impl.asC());
    ASSERT_EQ(static_cast<void*>(drv), static_cast<void*>(&impl)) << "vptr at offset 0";
    for (int slot = 0; slot < kAbiSlots; ++slot) {
        SCOPED_TRACE(std::string("C ") + abiSlotName(slot) + " on a C++ object");
        impl.last = AbiCall{};
        impl.last.slot = -1;
        const long result = abiCallFromC(drv, slot);
        expectSameCall(impl.last, abiExpectedCall(slot, drv));
        EXPECT_EQ(result, abiResult(slot)) << "result";
    }
}

TEST(AbiViews, BothViewsAgreeInBothDirectionsSlotBySlot) {
    EXPECT_EQ(cObjectThroughCppView<IAsioDriver>(), identity());
    EXPECT_EQ(cppObjectThroughCTable<IAsioDriver>(), identity());
}

// The C and C++ compilers see the same sizes, alignments, offsets and constants.
TEST(AbiViews, CAndCppCompilersSeeTheSameLayout) {
    const AbiFact cpp[] = {ABI_STRUCTS(ABI_FACT_SIZE) ABI_FIELDS(ABI_FACT_OFFSET)
                               ABI_CONSTANTS(ABI_FACT_CONSTANT)};
    ASSERT_EQ(std::size(cpp), abiCFactCount);
    for (std::size_t i = 0; i < abiCFactCount; ++i) {
        EXPECT_STREQ(cpp[i].name, abiCFacts[i].name);
        EXPECT_EQ(cpp[i].value, abiCFacts[i].value) << cpp[i].name << ": C++ vs C";
    }
}

// ---- the harness notices wrong views -----------------------------------------------------

TEST(AbiViewsHarness, NoticesTwoSwappedMethods) {
    SlotsRun want = identity();
    std::swap(want[9], want[10]);  // getChannels runs getLatencies and the reverse
    EXPECT_EQ(cObjectThroughCppView<IAsioDriverSwapped>(), want);
    EXPECT_EQ(cppObjectThroughCTable<IAsioDriverSwapped>(), want);
}

TEST(AbiViewsHarness, NoticesAVirtualDestructorInFront) {
    SlotsRun want{};
    for (int i = 0; i < kAbiSlots; ++i) want[i] = i + 2;  // 22, 23 land beyond the table
    EXPECT_EQ(cObjectThroughCppView<IAsioDriverVirtualDtor>(), want);
    // Not the other direction: there C would call the destructor through slots 0 and 1.
}

}  // namespace
