// A private world for one registry test: a fresh temporary directory, FOLDBACK_DRIVER_PATH,
// XDG_CONFIG_HOME and HOME pointing into it, and helpers to write entries by hand. The real
// /etc and ~ are never written: the system roots are only ever read, and nothing here
// registers with Scope::System.
#pragma once

#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

namespace foldback::test {
namespace fs = std::filesystem;

class EnvVar {
  public:
    EnvVar(const char* name) : name_(name) {
        if (const char* v = ::getenv(name)) old_ = v;
    }
    ~EnvVar() {
        if (old_)
            ::setenv(name_, old_->c_str(), 1);
        else
            ::unsetenv(name_);
    }
    void set(const std::string& value) { ::setenv(name_, value.c_str(), 1); }
    void unset() { ::unsetenv(name_); }
    EnvVar(const EnvVar&) = delete;
    EnvVar& operator=(const EnvVar&) = delete;

  private:
    const char* name_;
    std::optional<std::string> old_;
};

class TestWorld {
  public:
    TestWorld() {
        std::string tmpl = (fs::temp_directory_path() / "foldback-registry-XXXXXX").string();
        if (!::mkdtemp(tmpl.data())) throw std::runtime_error("mkdtemp failed");
        base = tmpl;
        ::chmod(base.c_str(), 0755);
        envA = makeDir("envA");
        envB = makeDir("envB");
        xdg = makeDir("xdg");
        home = makeDir("home");
        lib = makeDir("lib");
        userRoot = xdg / "foldback" / "drivers";
        path_.set(envA.string() + ":" + envB.string());
        xdg_.set(xdg.string());
        home_.set(home.string());
    }
    ~TestWorld() {
        std::error_code ec;
        // Undo chmod 0555 / chown so that the tree can be removed.
        for (auto it = fs::recursive_directory_iterator(base, ec);
             !ec && it != fs::recursive_directory_iterator(); it.increment(ec))
            if (it->is_directory()) ::chmod(it->path().c_str(), 0755);
        fs::remove_all(base, ec);
    }

    fs::path makeDir(const fs::path& rel, mode_t mode = 0755) {
        fs::path p = base / rel;
        fs::create_directories(p);
        ::chmod(p.c_str(), mode);
        return p;
    }

    static void writeFile(const fs::path& p, const std::string& content, mode_t mode = 0644) {
        fs::create_directories(p.parent_path());
        std::ofstream(p, std::ios::binary | std::ios::trunc) << content;
        ::chmod(p.c_str(), mode);
    }

    static std::string readFile(const fs::path& p) {
        std::ifstream in(p, std::ios::binary);
        return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
    }

    // Writes <root>/<name>/driver (verbatim content) and optionally a description.
    static fs::path writeEntry(const fs::path& root, const std::string& name,
                               const std::string& driverContent,
                               std::optional<std::string> description = std::nullopt) {
        fs::path dir = root / name;
        fs::create_directories(dir);
        ::chmod(dir.c_str(), 0755);
        writeFile(dir / "driver", driverContent);
        if (description) writeFile(dir / "description", *description);
        return dir;
    }

    // A copy of a fixture driver in this world's lib directory (mode 0755), so that the
    // permission rules see a known state whatever the build tree's umask was.
    fs::path installFixture(const fs::path& from, const std::string& filename) {
        fs::path to = lib / filename;
        fs::copy_file(from, to, fs::copy_options::overwrite_existing);
        ::chmod(to.c_str(), 0755);
        return to;
    }

    // A plain file that stands in for a driver where only the registry's checks matter.
    fs::path fakeDriver(const std::string& filename = "fake.so") {
        fs::path p = lib / filename;
        writeFile(p, "not really a driver\n", 0755);
        return p;
    }

    fs::path base, envA, envB, xdg, home, lib, userRoot;

  private:
    EnvVar path_{"FOLDBACK_DRIVER_PATH"};
    EnvVar xdg_{"XDG_CONFIG_HOME"};
    EnvVar home_{"HOME"};
};

}  // namespace foldback::test
