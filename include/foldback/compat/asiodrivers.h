/* SDK-compatible driver list for Linux hosts, over the Foldback registry (C++ only, as in
 * the SDK). Names are instance names (at most 31 bytes). */
#ifndef FOLDBACK_COMPAT_ASIODRIVERS_H
#define FOLDBACK_COMPAT_ASIODRIVERS_H
#ifdef __cplusplus
#include "asio.h"

class AsioDrivers {
  public:
    AsioDrivers();
    ~AsioDrivers();
    bool getCurrentDriverName(char* name);              /* name: >= 32 bytes */
    long getDriverNames(char** names, long maxDrivers); /* each names[i]: >= 32 bytes */
    bool loadDriver(char* name);
    void removeCurrentDriver();
    long getCurrentDriverIndex();

  private:
    long curIndex;
};

extern AsioDrivers* asioDrivers;
bool loadAsioDriver(char* name);
#endif
#endif
