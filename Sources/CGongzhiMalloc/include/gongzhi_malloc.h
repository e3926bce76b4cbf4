#ifndef GONGZHI_MALLOC_H
#define GONGZHI_MALLOC_H

/// Sets glibc's M_MMAP_THRESHOLD and M_TRIM_THRESHOLD (mallopt) to the given byte counts. Returns 1 when both
/// were taken, 0 otherwise (and always 0 with another C library).
int gz_set_malloc_thresholds(int mmap_threshold, int trim_threshold);

#endif
