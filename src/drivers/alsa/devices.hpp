// What the ALSA driver can see without opening an instance: every card and PCM device
// (snd_card_next, snd_ctl_pcm_next_device), and who holds a busy device (a scan of
// /proc/*/fd for its /dev/snd node, like fuser).
#pragma once

#include <string>
#include <vector>

#include "kit/backend.hpp"

namespace foldback::alsa {

// Every hw: PCM device of every card, ready to name in an instance's config
// (id "hw:CARD=<id>,DEV=<n>", which survives renumbering). None on a machine without
// sound cards.
std::vector<kit::DeviceCandidate> discoverCards();

struct Holder {
    int pid = 0;
    std::string command;  // /proc/PID/comm
};
// Processes other than this one with `path` open (readable /proc entries only).
std::vector<Holder> holdersOf(const std::string& path);

// The kernel card index of a plain hw device's PCM name ("hw:1", "hw:1,0",
// "hw:CARD=USB,DEV=0", "plughw:…"; card ids through snd_card_get_index); -1 for other PCMs
// and unknown ids.
int pcmCard(const std::string& pcmName);

// For an ALSA PCM name, the /dev/snd nodes it uses when it is a plain hw device
// ("hw:1,0", "hw:CARD=USB,DEV=0", "plughw:1"); empty for other PCMs.
std::vector<std::string> deviceNodes(const std::string& pcmName, bool capture);

// The sentence for a busy device: who holds it and how to free it.
std::string busyText(const std::string& pcmName, bool capture);

}  // namespace foldback::alsa
