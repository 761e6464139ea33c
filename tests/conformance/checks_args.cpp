// docs/errors.md §2: hostile and edge arguments, one check per argument class.
#include <cmath>
#include <cstring>
#include <functional>
#include <limits>

#include "suite.hpp"

namespace foldback::conformance::detail {

namespace {

bool powerOfTwo(long v) {
    return v > 0 && (v & (v - 1)) == 0;
}

std::string rateText(double r) {
    if (std::isnan(r)) return "NaN";
    if (std::isinf(r)) return r > 0 ? "+Inf" : "-Inf";
    char buf[64];
    std::snprintf(buf, sizeof buf, "%g", r);
    return buf;
}

}  // namespace

void Suite::argumentClasses() {
    const Facts& f = facts_;
    const double nan = std::numeric_limits<double>::quiet_NaN();
    const double inf = std::numeric_limits<double>::infinity();

    Instance a(*this, "arguments I");
    if (!a.bringTo(State::I)) {
        record("A.setup", "an instance for the argument checks reaches I", true, false,
               a.problem());
        return;
    }
    FoldbackDriver* d = a.driver();
    const auto& v = a.vt();
    auto expectA = [&](Instance& i, const std::string& id, const std::string& title, bool spec,
                       long got, std::initializer_list<long> want, std::string extra = {}) {
        i.observe(title, got != ASE_OK && got != ASE_SUCCESS);
        expectCode(id, title, spec, got, want, std::move(extra));
    };
    long in = 0, out = 0, x = 0, y = 0, z = 0;

    // A1-A3: NULL out-pointers.
    expectA(a, "A1.in_null", "getChannels(NULL, &out)", false, v.getChannels(d, nullptr, &out),
            {ASE_InvalidParameter});
    expectA(a, "A1.out_null", "getChannels(&in, NULL)", false, v.getChannels(d, &in, nullptr),
            {ASE_InvalidParameter});
    expectA(a, "A2.in_null", "getLatencies(NULL, &out)", false, v.getLatencies(d, nullptr, &out),
            {ASE_InvalidParameter});
    expectA(a, "A2.out_null", "getLatencies(&in, NULL)", false, v.getLatencies(d, &in, nullptr),
            {ASE_InvalidParameter});
    expectA(a, "A3.min_null", "getBufferSize(NULL, &max, &pref, &gran)", false,
            v.getBufferSize(d, nullptr, &x, &y, &z), {ASE_InvalidParameter});
    expectA(a, "A3.max_null", "getBufferSize(&min, NULL, &pref, &gran)", false,
            v.getBufferSize(d, &x, nullptr, &y, &z), {ASE_InvalidParameter});
    expectA(a, "A3.pref_null", "getBufferSize(&min, &max, NULL, &gran)", false,
            v.getBufferSize(d, &x, &y, nullptr, &z), {ASE_InvalidParameter});
    expectA(a, "A3.gran_null", "getBufferSize(&min, &max, &pref, NULL)", false,
            v.getBufferSize(d, &x, &y, &z, nullptr), {ASE_InvalidParameter});

    // A4, A5: rates.
    struct RateCase {
        const char* name;
        double rate;
    };
    const RateCase rates[] = {{"unsupported", 12345}, {"zero", 0},  {"negative", -48000},
                              {"nan", nan},           {"inf", inf}, {"neg_inf", -inf},
                              {"huge", 1e12}};
    for (const auto& rc : rates) {
        expectA(a, std::string("A4.") + rc.name, "canSampleRate(" + rateText(rc.rate) + ")", true,
                v.canSampleRate(d, rc.rate), {ASE_NoClock});
    }
    auto rateKept = [&]() -> std::string {
        double now = -1;
        v.getSampleRate(d, &now);
        std::string why;
        if (now != f.rate) {
            v.setSampleRate(d, f.rate);
            why = "the rate changed to " + rateText(now);
        }
        return why;
    };
    for (const auto& rc : rates) {
        if (rc.rate == 0) continue;  // A6
        long r = v.setSampleRate(d, rc.rate);
        expectA(a, std::string("A5.") + rc.name, "setSampleRate(" + rateText(rc.rate) + ")", true,
                r, {ASE_NoClock}, rateKept());
    }
    if (f.clockSources == 1) {
        long r = v.setSampleRate(d, 0);
        expectA(a, "A6", "setSampleRate(0) with only an internal clock", false, r, {ASE_NoClock},
                rateKept());
    } else {
        skip("A6", "setSampleRate(0) with only an internal clock", false,
             "the driver has " + std::to_string(f.clockSources) + " clock sources");
    }
    expectA(a, "A7", "getSampleRate(NULL)", false, v.getSampleRate(d, nullptr),
            {ASE_InvalidParameter});

    // A8-A10: clock sources.
    {
        ASIOClockSource clocks[4];
        auto fill = [&] { std::memset(clocks, 0x5A, sizeof clocks); };
        auto untouched = [&](int from) {
            const auto* bytes = reinterpret_cast<const unsigned char*>(&clocks[from]);
            for (std::size_t k = 0; k < sizeof(ASIOClockSource) * std::size_t(4 - from); ++k) {
                if (bytes[k] != 0x5A) return false;
            }
            return true;
        };
        long n = 4;
        expectA(a, "A8.arr_null", "getClockSources(NULL, &n)", false,
                v.getClockSources(d, nullptr, &n), {ASE_InvalidParameter});
        fill();
        expectA(a, "A8.num_null", "getClockSources(arr, NULL)", false,
                v.getClockSources(d, clocks, nullptr), {ASE_InvalidParameter},
                untouched(0) ? "" : "wrote into the array");
        fill();
        n = 0;
        expectA(a, "A8.cap_zero", "getClockSources(arr, &n) with n = 0", false,
                v.getClockSources(d, clocks, &n), {ASE_InvalidParameter},
                untouched(0) ? "" : "wrote into the array");
        fill();
        n = -1;
        expectA(a, "A8.cap_negative", "getClockSources(arr, &n) with n = -1", false,
                v.getClockSources(d, clocks, &n), {ASE_InvalidParameter},
                untouched(0) ? "" : "wrote into the array");
        fill();
        n = 1;
        long r = v.getClockSources(d, clocks, &n);
        std::string extra;
        if (!untouched(1)) extra = "wrote past the first entry";
        // errors.md says *num = 1; the spec says "out = number of sources". Both are accepted.
        if (r == ASE_OK && n != 1 && n != f.clockSources) {
            extra += (extra.empty() ? "" : "; ") + std::string("*num = ") + std::to_string(n);
        }
        if (r == ASE_OK && untouched(0))
            extra += (extra.empty() ? "" : "; ") + std::string("wrote no entry");
        expectA(a, "A9", "getClockSources(arr, &n) with n = 1", true, r, {ASE_OK}, extra);
    }
    expectA(a, "A10.negative", "setClockSource(-1)", false, v.setClockSource(d, -1),
            {ASE_InvalidParameter});
    expectA(a, "A10.too_big", "setClockSource(number of sources)", false,
            v.setClockSource(d, std::max(f.clockSources, 1L)), {ASE_InvalidParameter});

    // A12, A13: channel info.
    expectA(a, "A12", "getChannelInfo(NULL)", false, v.getChannelInfo(d, nullptr),
            {ASE_InvalidParameter});
    struct ChannelCase {
        const char* name;
        bool input;
        long channel;
    };
    const ChannelCase badChannels[] = {{"in_negative", true, -1},
                                       {"in_too_big", true, f.inputs},
                                       {"out_negative", false, -1},
                                       {"out_too_big", false, f.outputs}};
    for (const auto& bc : badChannels) {
        ASIOChannelInfo info{};
        info.channel = bc.channel;
        info.isInput = bc.input ? ASIOTrue : ASIOFalse;
        expectA(a, std::string("A13.") + bc.name,
                std::string("getChannelInfo(") + (bc.input ? "input " : "output ") +
                    std::to_string(bc.channel) + ")",
                false, v.getChannelInfo(d, &info), {ASE_InvalidParameter});
    }

    createBuffersHostile();

    // A22, A23: future() selectors.
    struct SelectorCase {
        const char* name;
        long selector;
    };
    const SelectorCase unknown[] = {{"0", 0},
                                    {"17", kAsioOptionalOne},
                                    {"minus1", -1},
                                    {"reserved_7F000150", 0x7F000150},
                                    {"reserved_7F0001FF", kFoldbackReservedLast},
                                    {"unknown_12345678", 0x12345678}};
    for (const auto& sc : unknown) {
        char title[64];
        std::snprintf(title, sizeof title, "future(0x%lX, NULL)",
                      static_cast<unsigned long>(sc.selector));
        expectA(a, std::string("A22.") + sc.name, title, false, v.future(d, sc.selector, nullptr),
                {ASE_InvalidParameter});
    }
    expectA(a, "A23", "future(kAsioGetInternalBufferSamples, NULL)", false,
            v.future(d, kAsioGetInternalBufferSamples, nullptr), {ASE_InvalidParameter});

    // A24, A32, A33 need P and R too.
    Instance p(*this, "arguments P");
    bool haveP = p.bringTo(State::P);
    Instance r(*this, "arguments R");
    bool haveR = r.bringTo(State::R);
    auto internalBuffers = [&](Instance& i, State s) {
        ASIOInternalBufferInfo info{-12345, -12345};
        long res = i.vt().future(i.driver(), kAsioGetInternalBufferSamples, &info);
        std::string extra;
        if (res == ASE_SUCCESS && (info.inputSamples < 0 || info.outputSamples < 0)) {
            extra = "inputSamples " + std::to_string(info.inputSamples) + ", outputSamples " +
                    std::to_string(info.outputSamples);
        }
        expectA(i, std::string("A24.") + stateName(s),
                std::string("future(kAsioGetInternalBufferSamples, &info) in ") + stateName(s),
                false, res, {ASE_SUCCESS}, extra);
    };
    auto getFormat = [&](Instance& i, State s) {
        ASIOIoFormat fmt;
        std::memset(&fmt, 0, sizeof fmt);
        fmt.FormatType = 12345;
        long res = i.vt().future(i.driver(), kAsioGetIoFormat, &fmt);
        expectA(i, std::string("A33.") + stateName(s),
                std::string("future(kAsioGetIoFormat, &f) in ") + stateName(s), false, res,
                {ASE_SUCCESS},
                res == ASE_SUCCESS && fmt.FormatType != kASIOPCMFormat
                    ? "FormatType " + std::to_string(fmt.FormatType) + ", expected kASIOPCMFormat"
                    : "");
    };
    auto setFormatLate = [&](Instance& i, State s) {
        ASIOIoFormat fmt;
        std::memset(&fmt, 0, sizeof fmt);
        fmt.FormatType = kASIOPCMFormat;
        expectA(i, std::string("A32.") + stateName(s),
                std::string("future(kAsioSetIoFormat, {PCM}) in ") + stateName(s), true,
                i.vt().future(i.driver(), kAsioSetIoFormat, &fmt), {ASE_InvalidMode});
    };
    internalBuffers(a, State::I);
    for (auto [inst, have, s] : {std::tuple<Instance*, bool, State>{&p, haveP, State::P},
                                 std::tuple<Instance*, bool, State>{&r, haveR, State::R}}) {
        if (have) {
            internalBuffers(*inst, s);
            setFormatLate(*inst, s);
        } else {
            std::string why = std::string("the instance could not be brought to ") + stateName(s) +
                              ": " + inst->problem();
            skip(std::string("A24.") + stateName(s), "future(kAsioGetInternalBufferSamples, &info)",
                 true, why);
            skip(std::string("A32.") + stateName(s), "future(kAsioSetIoFormat, {PCM})", true, why);
        }
    }

    // A11: while running.
    if (haveR) {
        ASIOSamples pos = 0;
        ASIOTimeStamp ts = 0;
        expectA(r, "A11.pos_null", "getSamplePosition(NULL, &t) while running", false,
                r.vt().getSamplePosition(r.driver(), nullptr, &ts), {ASE_InvalidParameter});
        expectA(r, "A11.time_null", "getSamplePosition(&p, NULL) while running", false,
                r.vt().getSamplePosition(r.driver(), &pos, nullptr), {ASE_InvalidParameter});
    } else {
        skip("A11.pos_null", "getSamplePosition(NULL, &t) while running", false, r.problem());
        skip("A11.time_null", "getSamplePosition(&p, NULL) while running", false, r.problem());
    }

    // A25-A27: the instance-name selector.
    {
        Instance n(*this, "A25");
        if (!n.ok() || !n.problem().empty()) {
            skip("A25.null", "future(0x7F000001, NULL)", true, n.problem());
            skip("A25.empty", "future(0x7F000001, \"\")", true, n.problem());
        } else {
            auto nameKept = [&]() -> std::string {
                BoundedText name = readBounded(n.vt().getDriverName, n.driver(), 32);
                if (options_.instanceName.empty() || name.text == options_.instanceName) return "";
                return "getDriverName then says \"" + name.text + "\"";
            };
            long res = n.vt().future(n.driver(), kFoldbackSetInstanceName, nullptr);
            expectA(n, "A25.null", "future(0x7F000001, NULL)", true, res, {ASE_SUCCESS},
                    nameKept());
            res = n.vt().future(n.driver(), kFoldbackSetInstanceName, const_cast<char*>(""));
            expectA(n, "A25.empty", "future(0x7F000001, \"\")", true, res, {ASE_SUCCESS},
                    nameKept());
        }
    }
    {
        Instance n(*this, "A26", false);
        const std::string longName(40, 'a');
        const std::pair<const char*, std::string> names[] = {{"unknown", "no-such-instance"},
                                                             {"long", longName},
                                                             {"slash", "a/b"},
                                                             {"dotdot", ".."}};
        for (const auto& [what, name] : names) {
            if (!n.ok()) {
                skip(std::string("A26.") + what, "future(0x7F000001, \"" + name + "\")", true,
                     n.problem());
                continue;
            }
            long res = n.vt().future(n.driver(), kFoldbackSetInstanceName,
                                     const_cast<char*>(name.c_str()));
            BoundedText now = readBounded(n.vt().getDriverName, n.driver(), 32);
            std::string extra;
            if (!name.empty() && now.text == name.substr(0, now.text.size()) && !now.text.empty()) {
                extra = "getDriverName then says \"" + now.text + "\"";
            }
            expectA(n, std::string("A26.") + what, "future(0x7F000001, \"" + name + "\")", true,
                    res, {ASE_NotPresent}, extra);
        }
    }
    {
        std::string name = options_.instanceName.empty() ? "x" : options_.instanceName;
        expectA(a, "A27", "future(0x7F000001, name) after init", false,
                v.future(d, kFoldbackSetInstanceName, const_cast<char*>(name.c_str())),
                {ASE_InvalidMode});
    }

    // A28, A29, A36: optional features this driver may not have.
    struct Feature {
        const char* name;
        long can;
        long set;  // 0 = no setter
        const char* setName;
    };
    const Feature features[] = {
        {"input_monitor", kAsioCanInputMonitor, kAsioSetInputMonitor, "kAsioSetInputMonitor"},
        {"time_code", kAsioCanTimeCode, 0, nullptr},
        {"transport", kAsioCanTransport, kAsioTransport, "kAsioTransport"},
        {"input_gain", kAsioCanInputGain, kAsioSetInputGain, "kAsioSetInputGain"},
        {"input_meter", kAsioCanInputMeter, kAsioGetInputMeter, "kAsioGetInputMeter"},
        {"output_gain", kAsioCanOutputGain, kAsioSetOutputGain, "kAsioSetOutputGain"},
        {"output_meter", kAsioCanOutputMeter, kAsioGetOutputMeter, "kAsioGetOutputMeter"}};
    for (const auto& ft : features) {
        long res = v.future(d, ft.can, nullptr);
        expectA(a, std::string("A28.") + ft.name,
                "future(kAsioCan..." + std::string(ft.name) + ", NULL)", false, res,
                {ASE_NotPresent, ASE_SUCCESS}, "");
    }
    for (const auto& ft : features) {
        if (ft.set == 0) continue;
        std::string id = std::string("A29.") + ft.name;
        std::string title = std::string("future(") + ft.setName + ", ...) without the feature";
        if (f.canAnswer[ft.can] == ASE_SUCCESS) {
            skip(id, title, false, "the driver has this feature");
            continue;
        }
        ASIOInputMonitor monitor{0, 0, 0x20000000, ASIOFalse, 0x3fffffff};
        ASIOTransportParameters transport{};
        transport.command = kTransStop;
        ASIOChannelControls controls{};
        controls.channel = 0;
        controls.isInput =
            ft.set == kAsioSetInputGain || ft.set == kAsioGetInputMeter ? ASIOTrue : ASIOFalse;
        controls.gain = 0x20000000;
        void* opt = ft.set == kAsioSetInputMonitor ? static_cast<void*>(&monitor)
                    : ft.set == kAsioTransport     ? static_cast<void*>(&transport)
                                                   : static_cast<void*>(&controls);
        expectA(a, id, title, false, v.future(d, ft.set, opt), {ASE_NotPresent});
    }
    for (auto [what, sel] : {std::pair<const char*, long>{"enable", kAsioEnableTimeCodeRead},
                             std::pair<const char*, long>{"disable", kAsioDisableTimeCodeRead}}) {
        std::string id = std::string("A36.") + what;
        std::string title = std::string("future(kAsio") +
                            (sel == kAsioEnableTimeCodeRead ? "Enable" : "Disable") +
                            "TimeCodeRead) without time code";
        if (f.canTimeCode) {
            skip(id, title, false, "the driver reads time code");
        } else {
            expectA(a, id, title, false, v.future(d, sel, nullptr), {ASE_NotPresent});
        }
    }

    // A30, A31, A33.I, A34: IoFormat.
    for (auto [what, sel] : {std::pair<const char*, long>{"can_do", kAsioCanDoIoFormat},
                             std::pair<const char*, long>{"set", kAsioSetIoFormat}}) {
        ASIOIoFormat fmt;
        std::memset(&fmt, 0, sizeof fmt);
        fmt.FormatType = kASIOPCMFormat;
        std::string name = sel == kAsioSetIoFormat ? "kAsioSetIoFormat" : "kAsioCanDoIoFormat";
        expectA(a, std::string("A30.") + what, "future(" + name + ", {PCM}) in I", false,
                v.future(d, sel, &fmt), {ASE_SUCCESS});
    }
    for (auto [what, sel] : {std::pair<const char*, long>{"can_do", kAsioCanDoIoFormat},
                             std::pair<const char*, long>{"set", kAsioSetIoFormat}}) {
        ASIOIoFormat fmt;
        std::memset(&fmt, 0, sizeof fmt);
        fmt.FormatType = kASIODSDFormat;
        std::string name = sel == kAsioSetIoFormat ? "kAsioSetIoFormat" : "kAsioCanDoIoFormat";
        long res = v.future(d, sel, &fmt);
        std::string id = std::string("A31.") + what;
        std::string title = "future(" + name + ", {DSD})";
        if (res == ASE_SUCCESS) {
            record(id, title, true, true, "the driver supports DSD");
            if (sel == kAsioSetIoFormat) {
                ASIOIoFormat pcm;
                std::memset(&pcm, 0, sizeof pcm);
                pcm.FormatType = kASIOPCMFormat;
                v.future(d, kAsioSetIoFormat, &pcm);
            }
            continue;
        }
        expectA(a, id, title, false, res, {ASE_NotPresent},
                fmt.FormatType != kASIOFormatInvalid
                    ? "FormatType is " + std::to_string(fmt.FormatType) +
                          ", expected -1 (kASIOFormatInvalid)"
                    : "");
    }
    getFormat(a, State::I);
    if (haveP)
        getFormat(p, State::P);
    else
        skip("A33.P", "future(kAsioGetIoFormat, &f) in P", true, p.problem());
    if (haveR)
        getFormat(r, State::R);
    else
        skip("A33.R", "future(kAsioGetIoFormat, &f) in R", true, r.problem());
    for (auto [what, sel, name] :
         {std::tuple<const char*, long, const char*>{"get", kAsioGetIoFormat, "kAsioGetIoFormat"},
          std::tuple<const char*, long, const char*>{"set", kAsioSetIoFormat, "kAsioSetIoFormat"},
          std::tuple<const char*, long, const char*>{"can_do", kAsioCanDoIoFormat,
                                                     "kAsioCanDoIoFormat"}}) {
        expectA(a, std::string("A34.") + what, std::string("future(") + name + ", NULL)", false,
                v.future(d, sel, nullptr), {ASE_InvalidParameter});
    }

    // A35: NULL text buffers.
    {
        std::string before = readBounded(v.getErrorMessage, d, 124).text;
        v.getDriverName(d, nullptr);
        std::string after = readBounded(v.getErrorMessage, d, 124).text;
        record("A35.name", "getDriverName(NULL)", false, before == after,
               before == after ? "no crash, no effect"
                               : "the error text changed to \"" + after + "\"");
        v.getErrorMessage(d, nullptr);
        std::string after2 = readBounded(v.getErrorMessage, d, 124).text;
        record("A35.message", "getErrorMessage(NULL)", false, after == after2,
               after == after2 ? "no crash, no effect"
                               : "the error text changed to \"" + after2 + "\"");
    }
}

void Suite::createBuffersHostile() {
    const Facts& f = facts_;
    const long size = f.bufferSize;
    auto standard = makeInfos(standardChannels());

    // One fresh instance in I per call, so that a call that wrongly succeeds cannot
    // change what the next one sees.
    auto hostile = [&](const std::string& id, const std::string& title, bool spec, long want,
                       const std::function<long(Instance&, const ASIOCallbacks&)>& call) {
        Instance i(*this, id);
        if (!i.bringTo(State::I)) {
            skip(id, title, spec, "the instance could not be brought to I: " + i.problem());
            return;
        }
        Slot& slot = i.freshSlot(i.slotSetup);
        ASIOCallbacks cb = slot.callbacks();
        long r = call(i, cb);
        if (r != ASE_OK) slot.markClosed();
        i.observe(title, r != ASE_OK);
        expectCode(id, title, spec, r, {want});
    };
    auto withInfos = [&](std::vector<ASIOBufferInfo> infos, long count, long bufferSize) {
        return [infos, count, bufferSize](Instance& i, const ASIOCallbacks& cb) mutable {
            return i.createBuffers(infos.data(), count, bufferSize, &cb);
        };
    };

    hostile("A14", "createBuffers(NULL, n, size, cb)", true, ASE_InvalidMode,
            [&](Instance& i, const ASIOCallbacks& cb) {
                return i.createBuffers(nullptr, long(standard.size()), size, &cb);
            });
    hostile("A15.zero", "createBuffers with numChannels 0", true, ASE_InvalidMode,
            withInfos(standard, 0, size));
    hostile("A15.negative", "createBuffers with numChannels -1", true, ASE_InvalidMode,
            withInfos(standard, -1, size));
    {
        auto all = makeInfos(allChannels());
        all.push_back(all.front());  // one more entry than channels exist
        hostile("A15.too_many", "createBuffers with numChannels > inputs + outputs", true,
                ASE_InvalidMode, withInfos(all, long(all.size()), size));
    }
    // A16: one valid channel plus an unknown one.
    ASIOBufferInfo valid{};
    valid.isInput = f.outputs > 0 ? ASIOFalse : ASIOTrue;
    valid.channelNum = 0;
    struct Bad {
        const char* name;
        bool input;
        long channel;
    };
    for (const Bad& b : {Bad{"in_negative", true, -1}, Bad{"in_too_big", true, f.inputs},
                         Bad{"out_negative", false, -1}, Bad{"out_too_big", false, f.outputs}}) {
        ASIOBufferInfo bad{};
        bad.isInput = b.input ? ASIOTrue : ASIOFalse;
        bad.channelNum = b.channel;
        hostile(std::string("A16.") + b.name,
                std::string("createBuffers with ") + (b.input ? "input " : "output ") +
                    std::to_string(b.channel),
                true, ASE_InvalidMode, withInfos({valid, bad}, 2, size));
    }
    // A17: the same channel twice.
    for (bool input : {true, false}) {
        if ((input ? f.inputs : f.outputs) == 0) {
            skip(std::string("A17.") + (input ? "input" : "output") + "_twice",
                 "createBuffers with the same channel twice", false, "no such channels");
            continue;
        }
        ASIOBufferInfo ch{};
        ch.isInput = input ? ASIOTrue : ASIOFalse;
        ch.channelNum = 0;
        hostile(std::string("A17.") + (input ? "input" : "output") + "_twice",
                std::string("createBuffers with ") + (input ? "input" : "output") + " 0 twice",
                false, ASE_InvalidMode, withInfos({ch, ch}, 2, size));
    }
    // A18: sizes.
    struct SizeCase {
        const char* name;
        long size;
        std::string skipWhy;
    };
    std::vector<SizeCase> sizes = {{"zero", 0, ""}, {"negative", -size, ""}};
    sizes.push_back(f.minSize > 1 ? SizeCase{"below_min", f.minSize - 1, ""}
                                  : SizeCase{"below_min", 0, "the minimum size is 1"});
    {
        long above = f.granularity == -1 ? f.maxSize * 2
                     : f.granularity > 0 ? f.maxSize + f.granularity
                                         : f.maxSize + 1;
        sizes.push_back({"above_max", above, ""});
    }
    sizes.push_back({"huge", long(1) << 40, ""});
    {
        long off = 0;
        std::string why;
        if (f.granularity == -1) {
            for (long s = f.preferredSize + 1; s <= f.maxSize && off == 0; ++s) {
                if (!powerOfTwo(s)) off = s;
            }
            for (long s = f.preferredSize - 1; s >= f.minSize && off == 0; --s) {
                if (!powerOfTwo(s)) off = s;
            }
        } else if (f.granularity > 1 && f.minSize + 1 <= f.maxSize) {
            off = f.minSize + 1;
        }
        if (off == 0) {
            why = "granularity " + std::to_string(f.granularity) + " leaves no size between " +
                  std::to_string(f.minSize) + " and " + std::to_string(f.maxSize) +
                  " that is off the grid";
        }
        sizes.push_back({"granularity", off, why});
    }
    for (const auto& sc : sizes) {
        std::string id = std::string("A18.") + sc.name;
        std::string title =
            "createBuffers with size " + std::to_string(sc.size) + " (" + sc.name + ")";
        if (!sc.skipWhy.empty()) {
            skip(id, "createBuffers with a size " + std::string(sc.name), true, sc.skipWhy);
            continue;
        }
        hostile(id, title, true, ASE_InvalidMode,
                withInfos(standard, long(standard.size()), sc.size));
    }
    // A19: callbacks.
    hostile("A19.callbacks_null", "createBuffers with callbacks NULL", false, ASE_InvalidParameter,
            [&](Instance& i, const ASIOCallbacks&) {
                auto infos = standard;
                return i.createBuffers(infos.data(), long(infos.size()), size, nullptr);
            });
    hostile("A19.bufferswitch_null", "createBuffers with bufferSwitch NULL", false,
            ASE_InvalidParameter, [&](Instance& i, const ASIOCallbacks& cb) {
                auto infos = standard;
                ASIOCallbacks partial = cb;
                partial.bufferSwitch = nullptr;
                return i.createBuffers(infos.data(), long(infos.size()), size, &partial);
            });

    // A21: failures leave I; a valid call then succeeds.
    {
        Instance i(*this, "A21");
        if (!i.bringTo(State::I)) {
            skip("A21.state_kept", "a failed createBuffers leaves the state I", false, i.problem());
            skip("A21.then_valid", "a valid createBuffers succeeds after failed ones", false,
                 i.problem());
        } else {
            Slot& slot = i.freshSlot(i.slotSetup);
            ASIOCallbacks cb = slot.callbacks();
            auto infos = standard;
            long r1 = i.createBuffers(infos.data(), long(infos.size()), 0, &cb);
            long r2 = i.createBuffers(nullptr, long(infos.size()), size, &cb);
            slot.markClosed();
            long st = i.vt().start(i.driver());
            i.observe("start after failed createBuffers", st != ASE_OK);
            std::string extra;
            if (r1 == ASE_OK || r2 == ASE_OK) extra = "a bad createBuffers succeeded";
            expectCode("A21.state_kept", "start after failed createBuffers (still I)", false, st,
                       {ASE_InvalidMode}, extra);
            if (st == ASE_OK) {
                i.setState(State::R);
                skip("A21.then_valid", "a valid createBuffers succeeds after failed ones", false,
                     "start succeeded, the state is not I");
            } else if (r1 == ASE_OK || r2 == ASE_OK) {
                skip("A21.then_valid", "a valid createBuffers succeeds after failed ones", false,
                     "a bad createBuffers succeeded, the state is not I");
            } else {
                long r = i.createBuffersOwn(standard, size);
                i.observe("createBuffers after failed ones", r != ASE_OK);
                expectCode("A21.then_valid", "a valid createBuffers succeeds after failed ones",
                           false, r, {ASE_OK});
            }
        }
    }
}

}  // namespace foldback::conformance::detail
