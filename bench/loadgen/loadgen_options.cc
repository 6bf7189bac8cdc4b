#include "loadgen_options.h"

#include <cstdlib>
#include <string_view>

namespace keel::bench {
namespace {

bool ParseInt(const std::string& s, int64_t* out) {
  if (s.empty()) return false;
  char* end = nullptr;
  long long v = std::strtoll(s.c_str(), &end, 10);
  if (*end != '\0') return false;
  *out = v;
  return true;
}

bool ParseDouble(const std::string& s, double* out) {
  if (s.empty()) return false;
  char* end = nullptr;
  double v = std::strtod(s.c_str(), &end);
  if (*end != '\0') return false;
  *out = v;
  return true;
}

}  // namespace

std::string LoadgenUsage() {
  return "usage: keel-loadgen --bootstrap HOST:PORT [options]\n"
         "  --mode produce|consume|both|create\n"
         "                                (default produce; both = produce, then consume all;\n"
         "                                create = only create the topic)\n"
         "  --topic NAME                  (default keel-bench)\n"
         "  --partitions N                partitions of the topic (default 1)\n"
         "  --no-create-topic             do not create the topic with CreateTopics\n"
         "  --record-size BYTES           payload per record, no key (default 100)\n"
         "  --producers N                 producer threads, one client each (default 1)\n"
         "  --acks all|1|0                (default all)\n"
         "  --linger-ms N                 (default 5)\n"
         "  --batch-size BYTES            producer batch.size (default: client default)\n"
         "  --compression none|gzip|snappy|lz4|zstd\n"
         "  --rate N                      total msgs/s, 0 = as fast as possible (default 0)\n"
         "  --duration SECONDS            produce this long (default 10)\n"
         "  --messages N                  produce exactly N messages instead\n"
         "  --consume-timeout SECONDS     (default 60)\n"
         "  -X key=value                  extra librdkafka property for every client\n"
         "  --json                        print one JSON object instead of text\n";
}

std::string ParseLoadgenOptions(int argc, char** argv, LoadgenOptions* o) {
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    std::string v;
    auto need = [&]() -> bool {
      if (i + 1 >= argc) return false;
      v = argv[++i];
      return true;
    };
    int64_t n = 0;
    double d = 0;
    if (a == "-h" || a == "--help") return LoadgenUsage();
    if (a == "--json") {
      o->json = true;
      continue;
    }
    if (a == "--no-create-topic") {
      o->create_topic = false;
      continue;
    }
    if (!need()) return a + " needs a value (or is unknown)\n" + LoadgenUsage();
    if (a == "--bootstrap") {
      o->bootstrap = v;
    } else if (a == "--mode") {
      if (v == "produce") {
        o->produce = true, o->consume = false;
      } else if (v == "consume") {
        o->produce = false, o->consume = true;
      } else if (v == "both") {
        o->produce = true, o->consume = true;
      } else if (v == "create") {
        o->produce = false, o->consume = false;
      } else {
        return "--mode must be produce, consume, both or create\n";
      }
    } else if (a == "--topic") {
      o->topic = v;
    } else if (a == "--partitions" && ParseInt(v, &n) && n > 0) {
      o->partitions = int(n);
    } else if (a == "--record-size" && ParseInt(v, &n) && n >= 0) {
      o->record_size = int(n);
    } else if (a == "--producers" && ParseInt(v, &n) && n > 0) {
      o->producers = int(n);
    } else if (a == "--acks" && (v == "all" || v == "1" || v == "0" || v == "-1")) {
      o->acks = v == "-1" ? "all" : v;
    } else if (a == "--linger-ms" && ParseInt(v, &n) && n >= 0) {
      o->linger_ms = int(n);
    } else if (a == "--batch-size" && ParseInt(v, &n) && n >= 0) {
      o->batch_size = int(n);
    } else if (a == "--compression" &&
               (v == "none" || v == "gzip" || v == "snappy" || v == "lz4" || v == "zstd")) {
      o->compression = v;
    } else if (a == "--rate" && ParseDouble(v, &d) && d >= 0) {
      o->rate = d;
    } else if (a == "--duration" && ParseDouble(v, &d) && d > 0) {
      o->duration_s = d;
    } else if (a == "--messages" && ParseInt(v, &n) && n >= 0) {
      o->messages = n;
    } else if (a == "--consume-timeout" && ParseDouble(v, &d) && d > 0) {
      o->consume_timeout_s = d;
    } else if (a == "-X") {
      size_t eq = v.find('=');
      if (eq == std::string::npos || eq == 0) return "-X needs key=value\n";
      o->extra.emplace_back(v.substr(0, eq), v.substr(eq + 1));
    } else {
      return "bad option or value: " + a + " " + v + "\n" + LoadgenUsage();
    }
  }
  if (o->bootstrap.empty()) return "--bootstrap is required\n" + LoadgenUsage();
  return "";
}

}  // namespace keel::bench
