/* Platform macros an SDK-based host expects, set for Linux (the SDK's own asiosys.h falls
 * into its Mac branch here). Samples and time stamps are native 64-bit integers. */
#ifndef FOLDBACK_COMPAT_ASIOSYS_H
#define FOLDBACK_COMPAT_ASIOSYS_H
#define LINUX 1
#define WINDOWS 0
#define MAC 0
#define NATIVE_INT64 1
#define IEEE754_64FLOAT 1
#endif
