// Marks the audio path for the RT-safety interposer (tests/rtcheck). When the interposer
// is preloaded, allocation, free and mutex locks inside a scope fail the test. Without it
// the hooks are null and a scope costs two predictable branches on a flag in a register.
#pragma once

namespace foldback::kit {

struct RtHooks {
    void (*enter)() = nullptr;
    void (*leave)() = nullptr;
};
// Looked up once (dlsym, RTLD_DEFAULT) on first use from a control thread.
const RtHooks& rtHooks() noexcept;
// Whether the interposer is there (its hooks were found). Call on a control thread.
inline bool rtChecked() noexcept {
    return rtHooks().enter != nullptr;
}

class RtScope {
  public:
    // `checked`: rtChecked(), looked at on a control thread and kept beside the caller's
    // period state. Without the interposer a scope then reads no memory of its own (the
    // hooks live on a page the period would otherwise touch only for them; kit/hot.hpp).
    explicit RtScope(bool checked) noexcept : checked_(checked) {
        if (checked_) [[unlikely]]
            rtHooks().enter();
    }
    ~RtScope() {
        if (checked_) [[unlikely]]
            rtHooks().leave();
    }
    RtScope(const RtScope&) = delete;
    RtScope& operator=(const RtScope&) = delete;

  private:
    bool checked_;
};

}  // namespace foldback::kit
