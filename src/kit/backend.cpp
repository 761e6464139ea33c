#include "kit/backend.hpp"

#include <algorithm>

namespace foldback::kit {

bool Backend::canSampleRate(double rate, const Capabilities& caps) const {
    return std::find(caps.rates.begin(), caps.rates.end(), rate) != caps.rates.end();
}

}  // namespace foldback::kit
