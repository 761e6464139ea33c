// Watches an instance's config.toml (its entry's and the user overlay's) while the
// instance is open. A change is never hot-swapped into a running stream: the kit asks the
// host for a reset (kAsioResetRequest), and the re-created instance reads the new file.
#pragma once

#include <atomic>
#include <filesystem>
#include <functional>
#include <thread>
#include <vector>

namespace foldback::kit {

class ConfigWatch {
  public:
    // onChange runs on the watch thread (not the audio thread).
    ConfigWatch(std::vector<std::filesystem::path> dirs, std::function<void()> onChange);
    ~ConfigWatch();
    ConfigWatch(const ConfigWatch&) = delete;
    ConfigWatch& operator=(const ConfigWatch&) = delete;

  private:
    void run();
    int inotify_ = -1;
    int stopPipe_[2] = {-1, -1};
    std::function<void()> onChange_;
    std::thread thread_;
};

}  // namespace foldback::kit
