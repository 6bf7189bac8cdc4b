// keel-rawdisk: the disk's durable-write ceiling in a given directory, the
// figures Keel's durable produce path is compared with.
//
//   keel-rawdisk --dir DIR [--mib N] [--appends N] [--paced-rate R --paced-seconds S] [--json]
//
// 1. Sequential: write() + fdatasync() of 256 KiB and of 1 MiB chunks to a
//    fresh file, N MiB each (default 256): MB/s (1 MB = 10^6 bytes).
// 2. Append latency: N (default 2000) times write() 4 KiB at the end of a fresh
//    file + fdatasync(); p50/p99/max of each write+fdatasync.
// 3. The same 4 KiB write+fdatasync into a preallocated file: fallocate() the
//    whole size, fill it with zeros and fdatasync once, then overwrite it in
//    4 KiB steps (no size or extent change per fdatasync).
// 4. With --paced-seconds S > 0: 4 KiB append+fdatasync started at a fixed R
//    per second (default 1000) for S seconds, as Keel's latency scenario
//    produces. A run of a few thousand back-to-back appends lasts a fraction
//    of a second and never meets the file system's periodic work (ext4's
//    journal commit every 5 s); a paced run as long as the broker's latency
//    run does, so its p99 is the fair floor for the broker's p99.
// Files are created under DIR and removed at the end. Exit status 1 on an I/O
// error.
#include <fcntl.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cinttypes>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

#include "latency_samples.h"

namespace keel::bench {
namespace {

int64_t NowNs() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return int64_t(ts.tv_sec) * 1000000000 + ts.tv_nsec;
}

bool WriteAll(int fd, const char* p, size_t n, off_t at = -1) {
  while (n > 0) {
    ssize_t w = at < 0 ? ::write(fd, p, n) : ::pwrite(fd, p, n, at);
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) return false;
    p += w;
    n -= size_t(w);
    if (at >= 0) at += w;
  }
  return true;
}

int OpenFresh(const std::string& path) {
  ::unlink(path.c_str());
  return ::open(path.c_str(), O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC, 0644);
}

// MB/s of `total` bytes written as `chunk`-sized write+fdatasync pairs.
bool Sequential(const std::string& path, size_t chunk, size_t total, double* mb_s) {
  std::vector<char> buf(chunk);
  for (size_t i = 0; i < chunk; ++i) buf[i] = char(i * 131 + 7);
  int fd = OpenFresh(path);
  if (fd < 0) return false;
  int64_t start = NowNs();
  bool ok = true;
  for (size_t done = 0; ok && done < total; done += chunk)
    ok = WriteAll(fd, buf.data(), chunk) && ::fdatasync(fd) == 0;
  int64_t ns = NowNs() - start;
  ::close(fd);
  ::unlink(path.c_str());
  *mb_s = ok ? double(total) / 1e6 / (double(ns) / 1e9) : 0;
  return ok;
}

// Latency of each 4 KiB write+fdatasync; `prealloc` fills the file first.
bool Appends(const std::string& path, int count, bool prealloc, LatencySamples* out) {
  constexpr size_t kBlock = 4096;
  std::vector<char> buf(kBlock, 'k');
  int fd = OpenFresh(path);
  if (fd < 0) return false;
  bool ok = true;
  if (prealloc) {
    size_t size = kBlock * size_t(count);
    ok = ::fallocate(fd, 0, 0, off_t(size)) == 0;
    std::vector<char> zeros(1 << 20, 0);
    for (size_t off = 0; ok && off < size; off += zeros.size())
      ok = WriteAll(fd, zeros.data(), std::min(zeros.size(), size - off), off_t(off));
    ok = ok && ::fdatasync(fd) == 0;
  }
  out->Reserve(size_t(count));
  for (int i = 0; ok && i < count; ++i) {
    int64_t t0 = NowNs();
    ok = (prealloc ? WriteAll(fd, buf.data(), kBlock, off_t(i) * off_t(kBlock))
                   : WriteAll(fd, buf.data(), kBlock)) &&
         ::fdatasync(fd) == 0;
    out->Add(NowNs() - t0);
  }
  ::close(fd);
  ::unlink(path.c_str());
  out->Finish();
  return ok;
}

// 4 KiB append+fdatasync at `rate` per second for `seconds` (a fixed
// schedule: a late append does not shift the ones after it).
bool Paced(const std::string& path, int rate, double seconds, LatencySamples* out) {
  constexpr size_t kBlock = 4096;
  std::vector<char> buf(kBlock, 'k');
  int fd = OpenFresh(path);
  if (fd < 0) return false;
  const int64_t interval = 1000000000 / std::max(1, rate);
  const int64_t count = int64_t(seconds * rate);
  out->Reserve(size_t(count));
  bool ok = true;
  const int64_t start = NowNs();
  for (int64_t i = 0; ok && i < count; ++i) {
    int64_t due = start + i * interval;
    int64_t now = NowNs();
    if (now < due) {
      timespec ts{time_t((due - now) / 1000000000), long((due - now) % 1000000000)};
      ::nanosleep(&ts, nullptr);
    }
    int64_t t0 = NowNs();
    ok = WriteAll(fd, buf.data(), kBlock) && ::fdatasync(fd) == 0;
    out->Add(NowNs() - t0);
  }
  ::close(fd);
  ::unlink(path.c_str());
  out->Finish();
  return ok;
}

int Main(int argc, char** argv) {
  std::string dir;
  long mib = 256;
  int appends = 2000;
  bool json = false;
  int paced_rate = 1000;
  double paced_seconds = 0;
  for (int i = 1; i < argc; ++i) {
    std::string_view a = argv[i];
    if (a == "--dir" && i + 1 < argc) {
      dir = argv[++i];
    } else if (a == "--mib" && i + 1 < argc) {
      mib = std::atol(argv[++i]);
    } else if (a == "--appends" && i + 1 < argc) {
      appends = std::atoi(argv[++i]);
    } else if (a == "--paced-rate" && i + 1 < argc) {
      paced_rate = std::atoi(argv[++i]);
    } else if (a == "--paced-seconds" && i + 1 < argc) {
      paced_seconds = std::atof(argv[++i]);
    } else if (a == "--json") {
      json = true;
    } else {
      std::fprintf(stderr, "usage: keel-rawdisk --dir DIR [--mib N] [--appends N] "
                           "[--paced-rate R --paced-seconds S] [--json]\n");
      return 2;
    }
  }
  if (dir.empty() || mib <= 0 || appends <= 0 || paced_rate <= 0 || paced_seconds < 0) {
    std::fprintf(stderr, "usage: keel-rawdisk --dir DIR [--mib N] [--appends N] "
                           "[--paced-rate R --paced-seconds S] [--json]\n");
    return 2;
  }
  std::string path = dir + "/keel-rawdisk." + std::to_string(::getpid());
  size_t total = size_t(mib) << 20;
  double seq256 = 0, seq1m = 0;
  LatencySamples plain, pre;
  bool ok = Sequential(path, 256 << 10, total, &seq256) && Sequential(path, 1 << 20, total, &seq1m) &&
            Appends(path, appends, false, &plain) && Appends(path, appends, true, &pre);
  LatencySamples paced;
  if (ok && paced_seconds > 0) ok = Paced(path, paced_rate, paced_seconds, &paced);
  if (!ok) {
    std::fprintf(stderr, "keel-rawdisk: I/O error in %s: %s\n", dir.c_str(), std::strerror(errno));
    ::unlink(path.c_str());
    return 1;
  }
  auto us = [](int64_t ns) { return double(ns) / 1e3; };
  if (json) {
    std::printf("{\"dir\": \"%s\", \"mib\": %ld, \"appends\": %d, "
                "\"seq_256k_fdatasync_mb_s\": %.1f, \"seq_1m_fdatasync_mb_s\": %.1f, "
                "\"append_4k_fdatasync_us\": {\"p50\": %.1f, \"p99\": %.1f, \"max\": %.1f}, "
                "\"append_4k_fdatasync_prealloc_us\": {\"p50\": %.1f, \"p99\": %.1f, \"max\": %.1f}",
                dir.c_str(), mib, appends, seq256, seq1m, us(plain.Percentile(50)),
                us(plain.Percentile(99)), us(plain.Max()), us(pre.Percentile(50)),
                us(pre.Percentile(99)), us(pre.Max()));
    if (paced_seconds > 0) {
      std::printf(", \"append_4k_fdatasync_paced_us\": {\"rate\": %d, \"seconds\": %.1f, "
                  "\"p50\": %.1f, \"p99\": %.1f, \"max\": %.1f}",
                  paced_rate, paced_seconds, us(paced.Percentile(50)), us(paced.Percentile(99)),
                  us(paced.Max()));
    }
    std::printf("}\n");
  } else {
    std::printf("sequential write+fdatasync 256 KiB: %.1f MB/s\n", seq256);
    std::printf("sequential write+fdatasync 1 MiB:   %.1f MB/s\n", seq1m);
    std::printf("4 KiB append+fdatasync (us):        p50 %.1f  p99 %.1f  max %.1f\n",
                us(plain.Percentile(50)), us(plain.Percentile(99)), us(plain.Max()));
    std::printf("4 KiB preallocated+fdatasync (us):  p50 %.1f  p99 %.1f  max %.1f\n",
                us(pre.Percentile(50)), us(pre.Percentile(99)), us(pre.Max()));
    if (paced_seconds > 0) {
      std::printf("4 KiB append+fdatasync at %d/s for %.0f s (us): p50 %.1f  p99 %.1f  max %.1f\n",
                  paced_rate, paced_seconds, us(paced.Percentile(50)), us(paced.Percentile(99)),
                  us(paced.Max()));
    }
  }
  return 0;
}

}  // namespace
}  // namespace keel::bench

int main(int argc, char** argv) { return keel::bench::Main(argc, argv); }
