/* bench_pipewire's raw client: a plain pw_filter node that copies N inputs to N outputs in
 * its process callback, as a hand-written PipeWire client would. C: libspa's headers are. */
#ifndef FOLDBACK_BENCH_PW_RAW_CLIENT_H
#define FOLDBACK_BENCH_PW_RAW_CLIENT_H
#include <stddef.h>
#ifdef __cplusplus
extern "C" {
#endif
/* Makes node `name` with ports in_1..in_N / out_1..out_N and waits until it runs. 0, or -1
 * with a sentence in err. */
int bench_raw_open(const char* name, int channels, char* err, size_t errlen);
long long bench_raw_callbacks(void);
void bench_raw_close(void);
#ifdef __cplusplus
}
#endif
#endif
