#include "kit/rt_scope.hpp"

#include <dlfcn.h>

namespace foldback::kit {

const RtHooks& rtHooks() noexcept {
    // Resolved on first use, which is createBuffers on a control thread.
    static const RtHooks hooks = [] {
        RtHooks h;
        h.enter = reinterpret_cast<void (*)()>(dlsym(RTLD_DEFAULT, "foldback_rtcheck_enter"));
        h.leave = reinterpret_cast<void (*)()>(dlsym(RTLD_DEFAULT, "foldback_rtcheck_leave"));
        if (!h.enter || !h.leave) h = RtHooks{};
        return h;
    }();
    return hooks;
}

}  // namespace foldback::kit
