// Marks the audio path for the RT-safety interposer (tests/rtcheck). When the interposer
// is preloaded, allocation, free and mutex locks inside a scope fail the test. Without it
// the hooks are null and a scope costs two predictable branches.
#pragma once

namespace foldback::kit {

struct RtHooks {
    void (*enter)() = nullptr;
    void (*leave)() = nullptr;
};
// Looked up once (dlsym, RTLD_DEFAULT) on first use from a control thread.
const RtHooks& rtHooks() noexcept;

class RtScope {
  public:
    explicit RtScope(const RtHooks& hooks) noexcept : hooks_(hooks) {
        if (hooks_.enter) hooks_.enter();
    }
    ~RtScope() {
        if (hooks_.leave) hooks_.leave();
    }
    RtScope(const RtScope&) = delete;
    RtScope& operator=(const RtScope&) = delete;

  private:
    const RtHooks& hooks_;
};

}  // namespace foldback::kit
