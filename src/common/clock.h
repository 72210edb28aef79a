/* The one place time comes from. Everything in Vigil measures time in
 * microseconds of CLOCK_MONOTONIC ("usec_t"); pure modules take the current
 * time as an argument so tests can drive a fake clock. */
#ifndef VIGIL_CLOCK_H
#define VIGIL_CLOCK_H

#include <stdint.h>

typedef uint64_t vg_usec_t;

#define VG_USEC_PER_MSEC UINT64_C(1000)
#define VG_USEC_PER_SEC UINT64_C(1000000)
#define VG_USEC_INFINITY UINT64_MAX

/* CLOCK_MONOTONIC now, in microseconds. */
vg_usec_t clock_now(void);

#endif
