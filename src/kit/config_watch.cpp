#include "kit/config_watch.hpp"

#include <fcntl.h>
#include <poll.h>
#include <sys/inotify.h>
#include <unistd.h>

#include <cstring>

namespace foldback::kit {

ConfigWatch::ConfigWatch(std::vector<std::filesystem::path> dirs, std::function<void()> onChange)
    : onChange_(std::move(onChange)) {
    inotify_ = inotify_init1(IN_CLOEXEC | IN_NONBLOCK);
    if (inotify_ < 0 || pipe2(stopPipe_, O_CLOEXEC) != 0) return;  // no watching: best effort
    bool any = false;
    for (const auto& d : dirs) {
        // Editors replace the file (rename) or rewrite it in place: both are caught.
        if (inotify_add_watch(inotify_, d.c_str(),
                              IN_CLOSE_WRITE | IN_MOVED_TO | IN_CREATE | IN_DELETE) >= 0)
            any = true;
    }
    if (any) thread_ = std::thread([this] { run(); });
}

ConfigWatch::~ConfigWatch() {
    if (thread_.joinable()) {
        const char b = 1;
        (void)!write(stopPipe_[1], &b, 1);
        thread_.join();
    }
    for (int fd : {inotify_, stopPipe_[0], stopPipe_[1]})
        if (fd >= 0) close(fd);
}

void ConfigWatch::run() {
    alignas(inotify_event) char buf[4096];
    for (;;) {
        pollfd fds[2] = {{inotify_, POLLIN, 0}, {stopPipe_[0], POLLIN, 0}};
        if (poll(fds, 2, -1) < 0) continue;
        if (fds[1].revents) return;
        const ssize_t n = read(inotify_, buf, sizeof buf);
        bool changed = false;
        for (ssize_t off = 0; off < n;) {
            const auto* ev = reinterpret_cast<const inotify_event*>(buf + off);
            if (ev->len && std::strcmp(ev->name, "config.toml") == 0) changed = true;
            off += static_cast<ssize_t>(sizeof(inotify_event) + ev->len);
        }
        if (changed) onChange_();
    }
}

}  // namespace foldback::kit
