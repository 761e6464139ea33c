/*
 * tests/rtcheck/rtcheck.h -- the contract of libfoldback_rtcheck.so, the RT-safety
 * interposer (see README.md next to this file).
 *
 * The library is loaded with LD_PRELOAD and exports these three functions. Code that
 * wants to be checked never links against it: it looks the functions up once, outside
 * the audio path, with dlsym(RTLD_DEFAULT, "foldback_rtcheck_enter") and calls nothing
 * when they are absent (the normal case: the interposer is a test tool only).
 *
 * While the calling thread is inside a scope (depth > 0), every malloc-family call
 * (operator new and delete included, through malloc and free), every mutex, rwlock and
 * condition-variable wait and every semaphore wait on that thread is a violation.
 * Other threads are never affected.
 */
#ifndef FOLDBACK_TESTS_RTCHECK_H
#define FOLDBACK_TESTS_RTCHECK_H

#ifdef __cplusplus
extern "C" {
#endif

/* [rt] Opens a checked scope on the calling thread. Nestable: the kit opens one around
 * its period function and a host callback may open another inside it. Allocation-free,
 * lock-free: one thread-local increment. */
void foldback_rtcheck_enter(void);
/* [rt] Closes the innermost scope of the calling thread. Extra calls at depth 0 are
 * ignored (the depth never goes negative). */
void foldback_rtcheck_leave(void);
/* [any] Violations counted so far in this process (all threads). In the default `abort`
 * mode the process dies at the first one, so this is mostly useful in `count` mode. */
long foldback_rtcheck_violations(void);

typedef void (*FoldbackRtcheckScopeFn)(void);
typedef long (*FoldbackRtcheckViolationsFn)(void);

/* Exit status of a `count`-mode process that saw at least one violation. */
#define FOLDBACK_RTCHECK_EXIT_VIOLATIONS 86

#ifdef __cplusplus
} /* extern "C" */
#endif

#endif /* FOLDBACK_TESTS_RTCHECK_H */
