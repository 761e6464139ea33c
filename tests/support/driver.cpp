#include "support/driver.hpp"

#include <gtest/gtest.h>

#include <utility>

namespace foldback::testsupport {

Driver::Driver(FoldbackInstantiateFn factory, const std::string& instanceName) {
    d_ = factory();
    if (d_) nameResult_ = future(kFoldbackSetInstanceName, const_cast<char*>(instanceName.c_str()));
}

Driver::Driver(Driver&& other) noexcept
    : d_(std::exchange(other.d_, nullptr)), nameResult_(other.nameResult_) {}

Driver& Driver::operator=(Driver&& other) noexcept {
    if (this != &other) {
        release();
        d_ = std::exchange(other.d_, nullptr);
        nameResult_ = other.nameResult_;
    }
    return *this;
}

long Driver::release() {
    if (!d_) return -1;
    FoldbackDriver* d = std::exchange(d_, nullptr);
    return static_cast<long>(d->lpVtbl->release(d));
}

std::string Driver::errorMessage() const {
    char text[256] = {};
    v().getErrorMessage(d_, text);
    return text;
}

FoldbackCounters Driver::counters() const {
    FoldbackCounters c{};
    if (v().future(d_, kFoldbackGetCounters, &c) != ASE_SUCCESS)
        ADD_FAILURE() << "kFoldbackGetCounters failed";
    return c;
}

std::string Driver::channelName(bool input, long channel) const {
    ASIOChannelInfo info{};
    info.channel = channel;
    info.isInput = input ? ASIOTrue : ASIOFalse;
    if (v().getChannelInfo(d_, &info) != ASE_OK) return "<error>";
    return info.name;
}

}  // namespace foldback::testsupport
