#include "drivers/alsa/devices.hpp"

#include <alsa/asoundlib.h>
#include <dirent.h>
#include <limits.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <fstream>
#include <memory>

#include "drivers/alsa/hw_params.hpp"
#include "drivers/alsa/reserve.hpp"
#include "kit/error.hpp"

namespace foldback::alsa {

namespace {

std::string span(unsigned a, unsigned b) {
    return a == b ? fmt::format("{}", a) : fmt::format("{}-{}", a, b);
}

// "S32_LE S24_3LE" - carried formats only, most useful first, at most three.
std::string carried(const PcmRange& r) {
    std::string s;
    int n = 0;
    for (const auto& f : formats())
        if (std::find(r.formats.begin(), r.formats.end(), f.alsa) != r.formats.end() && n < 3) {
            s += (s.empty() ? "" : " ") + std::string(snd_pcm_format_name(f.alsa));
            ++n;
        }
    return s.empty() ? "no carried format" : s;
}

std::string trimmed(std::string s) {
    while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) s.pop_back();
    return s;
}

// Card number from "1" or an id ("USB", "CARD=USB").
int cardIndex(std::string card) {
    if (card.rfind("CARD=", 0) == 0) card = card.substr(5);
    if (card.empty()) return -1;
    if (card.find_first_not_of("0123456789") == std::string::npos) return std::atoi(card.c_str());
    return snd_card_get_index(card.c_str());
}

}  // namespace

std::vector<kit::DeviceCandidate> discoverCards() {
    std::vector<kit::DeviceCandidate> out;
    int card = -1;
    while (snd_card_next(&card) == 0 && card >= 0) {
        snd_ctl_t* ctl = nullptr;
        const std::string ctlName = fmt::format("hw:{}", card);
        if (snd_ctl_open(&ctl, ctlName.c_str(), SND_CTL_NONBLOCK) < 0) continue;
        std::unique_ptr<snd_ctl_t, int (*)(snd_ctl_t*)> ctlGuard(ctl, &snd_ctl_close);
        snd_ctl_card_info_t* info = nullptr;
        snd_ctl_card_info_alloca(&info);
        if (snd_ctl_card_info(ctl, info) < 0) continue;
        const std::string cardId = snd_ctl_card_info_get_id(info);
        const std::string cardName = snd_ctl_card_info_get_name(info);
        int dev = -1;
        while (snd_ctl_pcm_next_device(ctl, &dev) == 0 && dev >= 0) {
            kit::DeviceCandidate c;
            c.id = fmt::format("hw:CARD={},DEV={}", cardId, dev);
            const std::string plain = fmt::format("hw:{},{}", card, dev);
            std::string pcmName, shape, formatsText, rates, busy;
            for (int s = 0; s < 2; ++s) {
                const bool capture = s == 0;
                snd_pcm_info_t* pinfo = nullptr;
                snd_pcm_info_alloca(&pinfo);
                snd_pcm_info_set_device(pinfo, static_cast<unsigned>(dev));
                snd_pcm_info_set_subdevice(pinfo, 0);
                snd_pcm_info_set_stream(pinfo,
                                        capture ? SND_PCM_STREAM_CAPTURE : SND_PCM_STREAM_PLAYBACK);
                if (snd_ctl_pcm_info(ctl, pinfo) < 0) continue;
                if (pcmName.empty()) pcmName = snd_pcm_info_get_name(pinfo);
                snd_pcm_t* pcm = nullptr;
                const int r = snd_pcm_open(
                    &pcm, plain.c_str(), capture ? SND_PCM_STREAM_CAPTURE : SND_PCM_STREAM_PLAYBACK,
                    SND_PCM_NONBLOCK);
                if (r < 0) {
                    // A busy device says what opening it says (the holder and how to
                    // free it), so `list`, `doctor` and the driver's error agree.
                    if (busy.empty())
                        busy = r == -EBUSY ? busyText(plain, capture) : snd_strerror(r);
                    continue;
                }
                try {
                    const PcmRange range = describe(pcm);
                    (capture ? c.inputs : c.outputs) = static_cast<long>(range.channelsMax);
                    if (formatsText.empty()) formatsText = carried(range);
                    if (rates.empty()) rates = span(range.rateMin, range.rateMax) + " Hz";
                } catch (const std::exception&) {
                }
                snd_pcm_close(pcm);
            }
            c.description = fmt::format("{}: {} ({})", cardName, pcmName, plain);
            if (c.inputs || c.outputs)
                c.description +=
                    fmt::format(": {} in {} out, {}, {}", c.inputs, c.outputs, formatsText, rates);
            if (!busy.empty()) {
                // Who holds the card's reservation (org.freedesktop.ReserveDevice1), when
                // a session bus exists: the sound server's own name for itself.
                if (!sessionBusAddress().empty())
                    if (const std::string by = reservationHolder(fmt::format("Audio{}", card));
                        !by.empty())
                        busy += fmt::format(", reserved by {}", by);
                c.description += "; " + busy;
            }
            out.push_back(std::move(c));
        }
    }
    return out;
}

std::vector<Holder> holdersOf(const std::string& path) {
    std::vector<Holder> out;
    if (path.empty()) return out;
    DIR* proc = opendir("/proc");
    if (!proc) return out;
    const int self = static_cast<int>(getpid());
    while (dirent* e = readdir(proc)) {
        char* end = nullptr;
        const long pid = std::strtol(e->d_name, &end, 10);
        if (pid <= 0 || *end != '\0' || pid == self) continue;
        const std::string fdDir = fmt::format("/proc/{}/fd", pid);
        DIR* fds = opendir(fdDir.c_str());
        if (!fds) continue;  // another user's process: not readable
        bool holds = false;
        while (dirent* f = readdir(fds)) {
            if (f->d_name[0] == '.') continue;
            char target[PATH_MAX];
            const std::string link = fdDir + "/" + f->d_name;
            const ssize_t n = readlink(link.c_str(), target, sizeof target - 1);
            if (n <= 0) continue;
            target[n] = '\0';
            if (path == target) {
                holds = true;
                break;
            }
        }
        closedir(fds);
        if (!holds) continue;
        Holder h;
        h.pid = static_cast<int>(pid);
        std::ifstream comm(fmt::format("/proc/{}/comm", pid));
        std::getline(comm, h.command);
        h.command = trimmed(h.command);
        out.push_back(std::move(h));
    }
    closedir(proc);
    return out;
}

namespace {

// The card and device parts of a plain hw device's PCM name; false for other PCMs.
bool splitHw(const std::string& pcmName, std::string& cardPart, std::string& devPart) {
    std::string rest;
    for (const char* prefix : {"hw:", "plughw:"})
        if (pcmName.rfind(prefix, 0) == 0) rest = pcmName.substr(std::strlen(prefix));
    if (rest.empty()) return false;
    cardPart = rest;
    devPart = "0";
    if (const auto comma = rest.find(','); comma != std::string::npos) {
        cardPart = rest.substr(0, comma);
        devPart = rest.substr(comma + 1);
        if (devPart.rfind("DEV=", 0) == 0) devPart = devPart.substr(4);
        if (const auto c2 = devPart.find(','); c2 != std::string::npos)
            devPart = devPart.substr(0, c2);
    }
    return true;
}

}  // namespace

int pcmCard(const std::string& pcmName) {
    std::string cardPart, devPart;
    if (!splitHw(pcmName, cardPart, devPart)) return -1;
    return cardIndex(cardPart);
}

std::vector<std::string> deviceNodes(const std::string& pcmName, bool capture) {
    std::string cardPart, devPart;
    if (!splitHw(pcmName, cardPart, devPart)) return {};
    const int card = cardIndex(cardPart);
    char* end = nullptr;
    const long dev = std::strtol(devPart.c_str(), &end, 10);
    if (card < 0 || *end != '\0' || dev < 0) return {};
    return {fmt::format("/dev/snd/pcmC{}D{}{}", card, dev, capture ? 'c' : 'p')};
}

std::string busyText(const std::string& pcmName, bool capture) {
    // Short: getErrorMessage holds 123 characters.
    const auto nodes = deviceNodes(pcmName, capture);
    const std::string what = fmt::format("'{}' is busy", pcmName);
    if (nodes.empty()) return what + ": another program uses it; quit it and try again";
    const auto holders = holdersOf(nodes.front());
    if (holders.empty())
        return fmt::format("{}: held by another user's process (fuser -v {})", what, nodes.front());
    const Holder& h = holders.front();
    if (h.command.rfind("pipewire", 0) == 0 || h.command == "wireplumber" ||
        h.command == "pulseaudio")
        return fmt::format(
            "{}: {} (pid {}) holds it; set the card's profile to Off (pavucontrol) to free it",
            what, h.command, h.pid);
    if (h.command.rfind("jackd", 0) == 0 || h.command == "jackdbus")
        return fmt::format("{}: JACK ({}, pid {}) holds it; stop JACK or use the JACK driver", what,
                           h.command, h.pid);
    return fmt::format("{}: {} (pid {}) holds it; quit it and try again", what, h.command, h.pid);
}

}  // namespace foldback::alsa
