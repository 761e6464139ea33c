/* SDK-compatible asio.h for Linux hosts: the types (foldback/asio.h) and the host C API
 * (foldback/sdk.h). ASIOSamples and ASIOTimeStamp are `long long`, not hi/lo structs. */
#ifndef FOLDBACK_COMPAT_ASIO_H
#define FOLDBACK_COMPAT_ASIO_H
#include "../asio.h"
#include "../sdk.h"
#include "asiosys.h"
#endif
